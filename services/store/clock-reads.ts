import { scanKeys, type RedisLike } from '../core/redis.ts';
import type { StoredEpisode } from '../clock/stored-episode.ts';
import type { clockKeys, PartitionKeys } from './clock-keys.ts';
import { execPipeline } from './scripts.ts';

/** An index of open episodes: one region, one home municipality or one ward. */
export type OpenIndex = { region: string } | { municipality: string } | { ward: readonly [string, string] };

const indexKey = (k: PartitionKeys, ix: OpenIndex) =>
  'ward' in ix ? k.openInWard(ix.ward[0], ix.ward[1]) : 'municipality' in ix ? k.openInMunicipality(ix.municipality) : k.openInRegion(ix.region);

/**
 * What the board, the API and alerting read of the clocks: every partition's, whoever owns it.
 * One slot per partition: a round trip each, all at once (Redis Cluster refuses a pipeline across
 * slots of different nodes).
 */
export class ClockReads {
  constructor(
    private readonly redis: RedisLike,
    private readonly keys: ReturnType<typeof clockKeys>,
    private readonly partitions: readonly number[],
  ) {}

  /** Open episodes of a region, municipality or ward, gathered from every partition. */
  async openEpisodes(index: OpenIndex): Promise<StoredEpisode[]> {
    return this.#statesOf((k) => this.redis.smembers(indexKey(k, index)));
  }

  /** Regions with an open episode in some partition (their index sets exist while not empty). */
  async regionsWithOpen(): Promise<string[]> {
    const marker = ':clock:open:region:';
    const keys = await scanKeys(this.redis, this.keys.every(`clock:open:region:*`));
    return [...new Set(keys.map((k) => k.slice(k.indexOf(marker) + marker.length)))].sort();
  }

  /** Closed episodes whose eviction time is at or after `minScore`, from every partition. */
  async closedEpisodes(minScore: number): Promise<StoredEpisode[]> {
    return this.#statesOf((k) => this.redis.zrangebyscore(k.closed, minScore, '+inf'));
  }

  /** Every stored state (open and retained closed episodes), counted by status. */
  async countByStatus(): Promise<Record<string, number>> {
    const byStatus: Record<string, number> = {};
    for (const p of this.partitions) {
      const k = this.keys.of(p);
      const states = (await scanKeys(this.redis, k.state('*'))).filter((key) => !key.endsWith(':events'));
      for (let i = 0; i < states.length; i += 1000) {
        const pipe = this.redis.pipeline();
        for (const key of states.slice(i, i + 1000)) pipe.hget(key, 'state');
        for (const json of await execPipeline(pipe)) {
          if (typeof json !== 'string') continue;
          const status = (JSON.parse(json) as StoredEpisode).state.status;
          byStatus[status] = (byStatus[status] ?? 0) + 1;
        }
      }
    }
    return byStatus;
  }

  async #statesOf(idsIn: (k: PartitionKeys) => Promise<string[]>): Promise<StoredEpisode[]> {
    const parts = await Promise.all(this.partitions.map(async (p) => {
      const k = this.keys.of(p);
      const ids = await idsIn(k);
      if (ids.length === 0) return [];
      const pipe = this.redis.pipeline();
      for (const id of ids) pipe.hget(k.state(id), 'state');
      return (await execPipeline(pipe)).flatMap((raw) => (typeof raw === 'string' ? [JSON.parse(raw) as StoredEpisode] : []));
    }));
    return parts.flat();
  }
}
