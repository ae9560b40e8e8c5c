import { scanKeys, type RedisLike } from '../core/redis.ts';
import { UtklarError } from '../core/errors.ts';
import { DEFAULT_EVENT_PARTITIONS } from '../kafka/topics.ts';
import { planApply } from '../clock/apply-plan.ts';
import type { RegionRules } from '../clock/rules.ts';
import type { DecodedEvent } from '../model/decoded-event.ts';
import type { PartitionOwnership } from '../model/partition-ownership.ts';
import { BatchView } from './batch-view.ts';
import { batchStep } from './batch-step.ts';
import { clockKeys } from './clock-keys.ts';
import { ClockReads } from './clock-reads.ts';
import { evictPartition } from './eviction.ts';
import { PartitionCache, PartitionCaches } from './partition-cache.ts';
import { APPLY_OUTCOME, defineScripts, execPipeline, runScript, ScriptCall, type ApplyOutcome, type ScriptedRedis } from './scripts.ts';
import { firePartitionTimers } from './timer-round.ts';


export interface ClockStoreOptions {
  /**
   * A connection for the batch reads. Commands on one connection are answered in order, so a
   * partition's read would otherwise wait behind every other partition's writes. The script's
   * offset and version guards make reading on another connection safe.
   */
  reads?: RedisLike;
  /** Steps per script call at most (MAX_STEPS_PER_CALL); a test sets fewer to see a batch split. */
  maxStepsPerCall?: number;
  /** The events topic's partition count: readers look in every partition. */
  partitions?: number;
}

/** How often a batch's first step is planned afresh after meeting state changed underneath, before giving up. */
const MAX_REPLANS = 5;

/**
 * A batch is applied in script calls of at most this many events. Redis runs one script at a
 * time and answers nobody else meanwhile: the million-event rebuild (2026-12-06) met calls of a
 * whole fetched batch (thousands of events, ≈ 2 000 keys) running up to 5 s at load average
 * 12–19, past lua-time-limit, where every other client (the board, the timer worker, the
 * rebuild's progress) gets BUSY. Each call is atomic and ordered and moves the partition's
 * applied offset past its own last event, so a crash between two calls replays only the rest.
 */
export const MAX_STEPS_PER_CALL = 500;

/**
 * Per-episode clock state in Redis, a partition's keys in one hash slot. The domain core decides
 * what each event does (clock/apply-plan.ts) against a view of the partition read once per batch;
 * one script call per batch (lua/apply-batch.lua) writes the events, the states, the indexes,
 * the timers, the outbox messages and the consumed offset, refusing replays and races.
 */
export class ClockStore {
  readonly #redis: ScriptedRedis;
  readonly #reads: RedisLike;
  readonly keys: ReturnType<typeof clockKeys>;
  /** The board's, the API's and alerting's reads, across every partition. */
  readonly read: ClockReads;
  /** Parsed episodes of the partitions this process applies, kept between batches. */
  readonly caches = new PartitionCaches();
  /** Episodes whose log and state were read from Redis (the rest of a batch came from the cache). */
  episodesRead = 0;
  /** Batches that met a changed state and were planned again from a fresh read (a gauge of contention). */
  conflicts = 0;
  /** apply-batch.lua calls made. */
  scriptCalls = 0;
  readonly #maxSteps: number;
  readonly partitions: number;
  readonly #every: readonly number[];
  /** Whose assignment the timers and evictions follow; every partition until told. */
  #ownership: Pick<PartitionOwnership, 'assigned'>;

  constructor(
    redis: RedisLike,
    namespace: string,
    private readonly group: string,
    private readonly topic: string,
    private readonly rules: RegionRules,
    options: ClockStoreOptions = {},
  ) {
    this.#redis = defineScripts(redis);
    this.#reads = options.reads ?? redis;
    this.partitions = options.partitions ?? DEFAULT_EVENT_PARTITIONS;
    this.#maxSteps = options.maxStepsPerCall ?? MAX_STEPS_PER_CALL;
    this.#every = Array.from({ length: this.partitions }, (_, p) => p);
    this.#ownership = { assigned: this.#every };
    this.keys = clockKeys(namespace);
    this.read = new ClockReads(redis, this.keys, this.#every);
  }

  /** Serves the timers and evictions of the partitions this member owns in the consumer group. */
  follow(ownership: Pick<PartitionOwnership, 'assigned'>): void {
    this.#ownership = ownership;
  }

  /** The partitions whose timers and evictions this process serves. */
  get served(): readonly number[] {
    return this.#ownership.assigned;
  }

  /**
   * Applies a partition's batch in order; returns how many events changed state. The batch's
   * Redis state is read in one round trip (less what the partition's cache holds), each event is
   * planned against a running view of it, and one script call applies the lot, in slices of
   * MAX_STEPS_PER_CALL. If it finds the state changed underneath (another writer, a replay),
   * what it did not apply is planned again from a fresh read.
   */
  async apply(batch: DecodedEvent[]): Promise<number> {
    if (batch.length === 0) return 0;
    const partition = batch[0]!.partition;
    const cache = this.caches.of(partition);
    // Two batches of one partition at once (an old generation's still running after a
    // rebalance): the second works on a cache of its own, never registered.
    if (cache.busy) return this.#applySliced(batch, new PartitionCache());
    cache.busy = true;
    try {
      return await this.#applySliced(batch, cache);
    } finally {
      cache.busy = false;
    }
  }

  async #applySliced(batch: DecodedEvent[], cache: PartitionCache): Promise<number> {
    let changed = 0;
    for (let i = 0; i < batch.length; i += this.#maxSteps) changed += await this.#applyWith(batch.slice(i, i + this.#maxSteps), cache);
    return changed;
  }

  async #applyWith(batch: DecodedEvent[], cache: PartitionCache, replans = 0): Promise<number> {
    const partition = batch[0]!.partition;
    const k = this.keys.of(partition);
    const queued: DecodedEvent[] = [];
    let outcome: ApplyOutcome;
    let handled: number;
    let changed: number;
    try {
      const view = await this.#read(batch, cache);
      const call = new ScriptCall(k, k.applied(this.group, this.topic));
      const steps: object[] = [];
      for (const d of batch) {
        if (view.applied !== null && Number(view.applied) >= Number(d.offset)) continue; // applied before
        const plan = await planApply(d, view.reads(d), this.group, this.topic, this.rules, (ids) => view.states(ids));
        steps.push(batchStep(call, k, d, plan));
        if (plan.kind === 'apply') view.record(d, plan);
        queued.push(d);
      }
      if (queued.length === 0) {
        this.caches.settle(partition, cache, view.applied);
        return 0;
      }
      const packed = { partition: String(partition), now: String(Date.now()), steps };
      this.scriptCalls++;
      [outcome, handled, changed] = await runScript<[ApplyOutcome, number, number]>('apply', () => this.#redis.clockApplyBatch(...call.args(packed)));
    } catch (e) {
      // The view (the cache's maps) ran ahead of Redis by what was planned: start afresh.
      this.caches.forget(partition, cache);
      throw e;
    }
    // Another writer applied some of it in between: Redis is not what this view planned against.
    if (outcome === APPLY_OUTCOME.replayed) this.caches.forget(partition, cache);
    if (outcome === APPLY_OUTCOME.conflict) {
      this.conflicts++;
      this.caches.forget(partition, cache);
      if (handled === 0 && replans >= MAX_REPLANS) throw new UtklarError('INTERNAL', `partition ${partition}'s state kept changing under the event at offset ${queued[0]!.offset}`, { retriable: true });
      // Bounded while it makes no progress: a writer racing it step for step still lets it on.
      return changed + await this.#applyWith(queued.slice(handled), new PartitionCache(), handled === 0 ? replans + 1 : 0);
    }
    if (outcome === APPLY_OUTCOME.done) {
      const closed = new Set<string>();
      for (const d of queued) {
        const status = cache.maps.stored.get(d.event.episodeId)?.state.status;
        if (status === 'DISCHARGED' || status === 'CANCELLED') closed.add(d.event.episodeId);
      }
      this.caches.settle(partition, cache, queued.at(-1)!.offset, closed);
    }
    return changed;
  }

  /**
   * The batch's view: what the partition's cache holds, and from Redis, in one round trip, the
   * partition's applied offset and watermark and whatever episodes and patients the cache lacks.
   * If the applied offset is not the one the cache last wrote, somebody else wrote the partition:
   * the cache is dropped and everything read afresh.
   */
  async #read(batch: DecodedEvent[], cache: PartitionCache): Promise<BatchView> {
    const partition = batch[0]!.partition;
    const k = this.keys.of(partition);
    const episodes = [...new Set(batch.map((d) => d.event.episodeId))];
    const patients = [...new Set(batch.map((d) => d.event.patientKey))];
    const missingEpisodes = episodes.filter((id) => !cache.hasEpisode(id));
    const missingPatients = patients.filter((key) => !cache.hasPatient(key));
    const pipe = this.#reads.pipeline();
    pipe.get(k.applied(this.group, this.topic));
    pipe.get(k.watermark);
    for (const id of missingEpisodes) {
      pipe.hgetall(k.events(id));
      pipe.hmget(k.state(id), 'state', 'version');
    }
    for (const key of missingPatients) pipe.hgetall(k.patient(key));
    const rows = await execPipeline(pipe);
    const applied = rows[0] as string | null;
    if (applied !== cache.applied && cache.size > 0) {
      cache.reset();
      return this.#read(batch, cache);
    }
    this.episodesRead += missingEpisodes.length;
    cache.applied = applied;
    const view = new BatchView(applied, rows[1] as string | null, (ids) => this.#states(partition, ids), cache.maps);
    missingEpisodes.forEach((id, i) => {
      const [state, version] = rows[3 + 2 * i] as [string | null, string | null];
      view.load(id, rows[2 + 2 * i] as Record<string, string>, { state, version });
    });
    missingPatients.forEach((key, i) => view.loadHistory(key, rows[2 + 2 * missingEpisodes.length + i] as Record<string, string>));
    // The patients' other episodes, whose readmission links an event may change: read now, in one
    // round trip, rather than one event at a time.
    const others = new Set<string>();
    for (const key of patients) for (const id of view.history.get(key)?.keys() ?? []) if (!view.stateOf.has(id)) others.add(id);
    if (others.size > 0) await view.states([...others]);
    return view;
  }

  async #states(partition: number, ids: string[]): Promise<{ state: string | null; version: string | null }[]> {
    const k = this.keys.of(partition);
    const pipe = this.#reads.pipeline();
    for (const id of ids) pipe.hmget(k.state(id), 'state', 'version');
    return (await execPipeline(pipe)).map((row) => {
      const [state, version] = row as [string | null, string | null];
      return { state, version };
    });
  }

  /**
   * Refuses to start on the key layout before the partitions' hash tags (`<ns>:clock:*`): the
   * group's committed offsets would go on past events whose state sits under the old names.
   */
  async refuseOldLayout(namespace: string): Promise<void> {
    const old = await scanKeys(this.#redis, `${namespace}:clock:applied:*`);
    if (old.length > 0) {
      throw new UtklarError('CONFIG', `Redis holds the clock's state in the layout before per-partition keys (${old[0]}); rebuild it from Kafka: stop the pipeline, delete the '${namespace}:clock:*' keys and the consumer group '${this.group}', start again (docs/clock-state.md, Rebuild)`);
    }
  }

  /**
   * Forgets closed episodes whose retention has ended. Retention is measured in event time: a
   * partition's watermark (the latest event time applied there) less the allowed lateness, capped
   * by the wall clock. A replay of last year's events then keeps each index episode exactly as
   * long as readmissions in the same partition (the same patient) can still arrive.
   */
  async evictSettled(wallNow: number): Promise<number> {
    // The sweep is the housekeeping round: caches of partitions that moved away go too.
    this.caches.keepOnly(this.served);
    let total = 0;
    for (const partition of this.served) {
      const mark = await this.#redis.get(this.keys.of(partition).watermark);
      if (mark === null) continue;
      const now = Math.min(wallNow, Number(mark) - this.rules.allowedLatenessMs);
      for (let n = -1; n !== 0; total += n) n = await this.evictDue(partition, now);
    }
    return total;
  }

  /** Forgets a partition's closed episodes due by `now`; safe to run from several workers. */
  async evictDue(partition: number, now: number, limit = 500): Promise<number> {
    const k = this.keys.of(partition);
    // Eviction does not move the applied offset, the cache's token: the partition's cache is
    // forgotten before (a batch under way keeps its own) and after (one read in between).
    this.caches.forget(partition);
    try {
      return await evictPartition(this.#redis, k, k.applied(this.group, this.topic), now, limit);
    } finally {
      this.caches.forget(partition);
    }
  }

  /**
   * The timer worker's round: fires due timers until none is left or `budgetMs` has passed (a
   * replayed year's boundaries must not starve the consumers sharing the process; the next round
   * goes on where this one stopped). Returns how many episodes fired.
   */
  async fireForAWhile(budgetMs: number, limit = 100): Promise<number> {
    const until = Date.now() + budgetMs;
    let fired = 0;
    for (let n = -1; n !== 0 && Date.now() < until; fired += n) n = await this.fireDue(Date.now(), limit);
    return fired;
  }

  /** Fires the served partitions' due timers (timer-round.ts), at most `limit` per partition. */
  async fireDue(now: number, limit = 500, maxBoundaries = 400): Promise<number> {
    let fired = 0;
    for (const partition of this.served) {
      const k = this.keys.of(partition);
      fired += await firePartitionTimers(this.#redis, k, k.applied(this.group, this.topic), this.rules, now, limit, maxBoundaries);
    }
    return fired;
  }
}
