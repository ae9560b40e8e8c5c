import type { RegionRules } from '../clock/rules.ts';
import type { RedisLike } from '../core/redis.ts';
import { clockKeys } from '../store/clock-keys.ts';
import { ClockReads } from '../store/clock-reads.ts';
import type { DataSide } from './read-pointer.ts';

/** What a request needs of the pipeline it is served by. */
export interface ServingPipeline {
  readonly config: { readonly namespace: string };
  readonly redis: RedisLike;
  readonly rules: RegionRules;
  readonly clocks: { readonly read: ClockReads; readonly partitions: number };
}

/** The clocks of one side and the rules their rows are computed under. */
export interface SideView {
  reads: ClockReads;
  rules: RegionRules;
}

/**
 * The clocks (Redis) a request reads beside its side's ClickHouse answers: the side the read
 * pointer names, as those answers. The process's own pipeline applies that side but for the
 * seconds after a switch (follow.ts notices the pointer within 2 s, then starts that side's
 * pipeline): meanwhile the board, its streams and the forecast read the named side's own keys,
 * which the promotion's (or rollback's) catch-up has just brought up to date, so the board never
 * shows the side left while the figures beside it show the side taken up.
 */
export class SideClocks {
  readonly #reads = new Map<string, { redis: RedisLike; reads: ClockReads }>();

  of(side: Pick<DataSide, 'namespace' | 'rules'>, pipeline: ServingPipeline): SideView {
    if (side.namespace === pipeline.config.namespace) return { reads: pipeline.clocks.read, rules: pipeline.rules };
    let cached = this.#reads.get(side.namespace);
    // A switch of pipelines replaces the connection: read through the current one.
    if (!cached || cached.redis !== pipeline.redis) {
      const partitions = Array.from({ length: pipeline.clocks.partitions }, (_, p) => p);
      cached = { redis: pipeline.redis, reads: new ClockReads(pipeline.redis, clockKeys(side.namespace), partitions) };
      this.#reads.set(side.namespace, cached);
    }
    return { reads: cached.reads, rules: side.rules };
  }
}
