import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import type { PartitionOwnership } from '../model/partition-ownership.ts';
import { buildSnapshot, snapshotState, type SnapshotBuild, type WarmGeneration } from './snapshot-sql.ts';
import { MAX_CHANGED } from './read-model.ts';

export interface SnapshotPolicy {
  /** Versions stored since the watermark that make a new generation due (each query collapses them). */
  maxDelta: number;
  /** Age after which any delta makes a new generation due (a quiet night still moves on). */
  maxAgeMs: number;
  /** Age after which a generation is built from episode_facts again rather than copied from the last. */
  fullEveryMs: number;
  /**
   * Rows per collapse pass of a full build (bounds the aggregation's memory: 4 M rows a pass needed
   * more than the 2 GB a query may use on the bundled server, at five national years).
   */
  rowsPerPass: number;
}

export const DEFAULT_SNAPSHOT_POLICY: SnapshotPolicy = { maxDelta: 2_000, maxAgeMs: 10 * 60_000, fullEveryMs: 6 * 3_600_000, rowsPerPass: 1_000_000 };

/**
 * Keeps the episode snapshot close behind episode_facts: each round looks at how many versions
 * queries collapse on top of it and builds a new generation when that or its age says so. Copies
 * are cheap and exact; a periodic full build from episode_facts also takes in a version whose
 * insert outlasted MARGIN_SECONDS where the server lists no running inserts (see watermarkAt). One builder is enough:
 * the process that owns the events topic's partition 0 (two at once during a handover is
 * harmless, each writes its own generation).
 */
export class SnapshotBuilder {
  #lastFullAt = 0;
  lastBuild: SnapshotBuild | null = null;
  builds = 0;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly db: string,
    private readonly log: Logger,
    private readonly ownership: PartitionOwnership | null,
    private readonly policy: SnapshotPolicy = DEFAULT_SNAPSHOT_POLICY,
    private readonly now: () => number = Date.now,
    /** The common pages answered before a generation is recorded (buildSnapshot's `warm`); unset: none. */
    private readonly warm?: WarmGeneration,
  ) {}

  /** Builds a generation when one is due and this process is the builder; returns it, or null. */
  async round(): Promise<SnapshotBuild | null> {
    if (this.ownership && !this.ownership.assigned.includes(0)) return null;
    const s = await snapshotState(this.client, this.db);
    const age = this.now() - s.builtAtMs;
    const due = s.generation === 0 || s.delta >= this.policy.maxDelta || (s.delta > 0 && age >= this.policy.maxAgeMs);
    if (!due) return null;
    // Past MAX_CHANGED changed versions a copy would collapse everything in one pass: a full build does it in passes.
    const full = s.generation === 0 || s.delta > MAX_CHANGED || this.now() - this.#lastFullAt >= this.policy.fullEveryMs;
    // The copy's passes too: should the changes pass MAX_CHANGED in between, it collapses episode_facts.
    const build = full ? await this.#full() : await buildSnapshot(this.client, this.db, { from: 'previous', chunks: await this.#passes(), now: this.now, warm: this.warm });
    this.lastBuild = build;
    this.builds++;
    this.log.info({ generation: build.generation, episodes: build.episodes, ms: build.ms, warmMs: build.warmMs, from: build.from, delta: s.delta, dropped: build.dropped }, 'episode snapshot built');
    return build;
  }

  /** Passes a collapse of episode_facts takes (rowsPerPass each). */
  async #passes(): Promise<number> {
    const [r] = await (await this.client.query({ query: `SELECT count() AS n FROM ${this.db}.episode_facts`, format: 'JSONEachRow' })).json<{ n: string }>();
    return Math.max(1, Math.ceil(Number(r!.n) / this.policy.rowsPerPass));
  }

  async #full(): Promise<SnapshotBuild> {
    const started = this.now();
    const build = await buildSnapshot(this.client, this.db, { from: 'facts', chunks: await this.#passes(), now: this.now, warm: this.warm });
    this.#lastFullAt = started;
    return build;
  }
}
