import { readFileSync } from 'node:fs';
import type { ChainableCommander } from 'ioredis';
import { scanKeys, type RedisLike } from '../core/redis.ts';
import { DEFAULT_EVENT_PARTITIONS } from '../kafka/topics.ts';
import { UtklarError } from '../core/errors.ts';
import type { DecodedEvent } from '../model/decoded-event.ts';
import { planApply } from './apply-plan.ts';
import { BatchView } from './batch-view.ts';
import { PartitionCache, PartitionCaches } from './partition-cache.ts';
import { factsAt, nextMidnight } from './clock-facts.ts';
import { stateAsOf } from './state-as-of.ts';
import { clockKeys, type PartitionKeys } from './clock-keys.ts';
import type { RegionRules } from './rules.ts';
import type { StoredEpisode } from './stored-episode.ts';

const lua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

type ScriptedRedis = RedisLike & {
  clockApply(...args: (string | number)[]): Promise<number>;
  clockEvict(...args: (string | number)[]): Promise<number>;
  clockFire(...args: (string | number)[]): Promise<number>;
  clockReject(...args: (string | number)[]): Promise<number>;
};
type ScriptedPipeline = ChainableCommander & {
  clockApply(...args: (string | number)[]): ScriptedPipeline;
  clockReject(...args: (string | number)[]): ScriptedPipeline;
  clockEvict(...args: (string | number)[]): ScriptedPipeline;
  clockFire(...args: (string | number)[]): ScriptedPipeline;
};

/** How long an episode must have been unchanged before its timer fires (see fireDue). */
export const QUIET_MS = 2_000;

/** An index of open episodes: one region, one home municipality or one ward. */
export type OpenIndex = { region: string } | { municipality: string } | { ward: readonly [string, string] };

const indexKey = (k: PartitionKeys, ix: OpenIndex) =>
  'ward' in ix ? k.openInWard(ix.ward[0], ix.ward[1]) : 'municipality' in ix ? k.openInMunicipality(ix.municipality) : k.openInRegion(ix.region);

export interface ClockStoreOptions {
  /**
   * A connection for the batch reads. Commands on one connection are answered in order, so a
   * partition's read would otherwise wait behind every other partition's pipelined writes. The
   * Lua steps' version guards make reading on another connection safe.
   */
  reads?: RedisLike;
  /** The events topic's partition count: readers look in every partition. */
  partitions?: number;
}

/**
 * Per-episode clock state in Redis. The domain core computes the next state from the episode's
 * whole event log (apply-plan.ts); the Lua step writes it, the event and the consumed offset
 * atomically, refusing replays and races.
 */
export class ClockStore {
  readonly #redis: ScriptedRedis;
  readonly keys: ReturnType<typeof clockKeys>;
  /** Parsed episodes of the partitions this process applies, kept between batches. */
  readonly caches = new PartitionCaches();
  /** Episodes whose log and state were read from Redis (the rest of a batch came from the cache). */
  episodesRead = 0;
  /** Batches whose pipelined steps met a changed state and went on one by one (a gauge of contention). */
  conflicts = 0;

  readonly #reads: RedisLike;
  readonly partitions: number;
  /** The partitions 0‥N−1, for readers that look everywhere. */
  readonly #every: readonly number[];
  /**
   * The partitions whose timers and evictions this process serves: those it owns in the
   * consumer group (the pipeline follows the assignment), every one until told.
   */
  served: () => readonly number[];

  constructor(
    redis: RedisLike,
    namespace: string,
    private readonly group: string,
    private readonly topic: string,
    private readonly rules: RegionRules,
    options: ClockStoreOptions = {},
  ) {
    this.#reads = options.reads ?? redis;
    this.partitions = options.partitions ?? DEFAULT_EVENT_PARTITIONS;
    this.#every = Array.from({ length: this.partitions }, (_, p) => p);
    this.served = () => this.#every;
    this.keys = clockKeys(namespace);
    redis.defineCommand('clockApply', { lua: lua('apply-event') });
    redis.defineCommand('clockEvict', { numberOfKeys: 5, lua: lua('evict-episode') });
    redis.defineCommand('clockFire', { numberOfKeys: 3, lua: lua('fire-timer') });
    redis.defineCommand('clockReject', { numberOfKeys: 2, lua: lua('reject-event') });
    this.#redis = redis as ScriptedRedis;
  }

  /**
   * Applies a partition's batch in order; returns how many events changed state. The batch's
   * Redis state is read in one round trip, each event is planned against a running view of it,
   * and the Lua steps go in one pipeline, each guarded by its predecessor's offset: if one finds
   * the state changed underneath (another worker, a timer), the rest stand still and are applied
   * one by one from there, reading afresh.
   */
  async apply(batch: DecodedEvent[]): Promise<number> {
    if (batch.length === 0) return 0;
    const partition = batch[0]!.partition;
    const cache = this.caches.of(partition);
    // Two batches of one partition at once (an old generation's still running after a
    // rebalance): the second works on a cache of its own, never registered.
    if (cache.busy) return this.#applyWith(batch, new PartitionCache());
    cache.busy = true;
    try {
      return await this.#applyWith(batch, cache);
    } finally {
      cache.busy = false;
    }
  }

  async #applyWith(batch: DecodedEvent[], cache: PartitionCache): Promise<number> {
    const partition = batch[0]!.partition;
    let view: BatchView;
    try {
      view = await this.#read(batch, cache);
    } catch (e) {
      this.caches.forget(partition, cache);
      throw e;
    }
    const keys = this.keys.of(partition);
    const pipe = this.#redis.pipeline() as unknown as ScriptedPipeline;
    const queued: { d: DecodedEvent; reject: boolean }[] = [];
    let previous = '';
    let results: unknown[];
    try {
      for (const d of batch) {
        if (view.applied !== null && Number(view.applied) >= Number(d.offset)) continue; // the Lua step would say 0
        const plan = await planApply(d, view.reads(d), keys, this.group, this.topic, this.rules, (ids) => view.states(ids));
        if (plan.kind === 'reject') pipe.clockReject(...plan.keys, ...plan.args, previous);
        else {
          pipe.clockApply(plan.keys.length, ...plan.keys, ...plan.head, previous, String(Date.now()), ...plan.tail);
          view.record(d, plan);
        }
        queued.push({ d, reject: plan.kind === 'reject' });
        previous = d.offset;
      }
      if (queued.length === 0) {
        this.caches.settle(partition, cache, view.applied);
        return 0;
      }
      results = await this.#exec(pipe, 'apply');
    } catch (e) {
      // The view (the cache's maps) ran ahead of Redis by what was planned: start afresh.
      this.caches.forget(partition, cache);
      throw e;
    }
    let changed = 0;
    for (let i = 0; i < queued.length; i++) {
      const result = results[i];
      if (result === -1 || result === -2) {
        this.conflicts++;
        this.caches.forget(partition, cache);
        for (const { d } of queued.slice(i)) changed += await this.#applyOne(d);
        return changed;
      }
      // Another worker applied it in between: Redis is not what this view planned against.
      if (result === 0) this.caches.forget(partition, cache);
      // A dead-lettered event is handled, not a change of state.
      if (result === 1 && !queued[i]!.reject) changed += 1;
    }
    const closed = new Set<string>();
    for (const { d } of queued) {
      const status = cache.maps.stored.get(d.event.episodeId)?.state.status;
      if (status === 'DISCHARGED' || status === 'CANCELLED') closed.add(d.event.episodeId);
    }
    this.caches.settle(partition, cache, previous, closed);
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
    const rows = await this.#exec(pipe);
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
    // round trip, rather than one event at a time behind other partitions' pipelines.
    const others = new Set<string>();
    for (const key of patients) for (const id of view.history.get(key)?.keys() ?? []) if (!view.stateOf.has(id)) others.add(id);
    if (others.size > 0) await view.states([...others]);
    return view;
  }

  async #states(partition: number, ids: string[]): Promise<{ state: string | null; version: string | null }[]> {
    const k = this.keys.of(partition);
    const pipe = this.#reads.pipeline();
    for (const id of ids) pipe.hmget(k.state(id), 'state', 'version');
    return (await this.#exec(pipe)).map((row) => {
      const [state, version] = row as [string | null, string | null];
      return { state, version };
    });
  }

  async #exec(pipe: ChainableCommander, what = 'read'): Promise<unknown[]> {
    try {
      const results = (await pipe.exec()) ?? [];
      return results.map(([error, value]) => {
        if (error) throw error;
        return value;
      });
    } catch (cause) {
      throw new UtklarError('DEPENDENCY_UNAVAILABLE', `redis: clock ${what} failed: ${(cause as Error).message}`, { retriable: true, cause });
    }
  }

  /** One event against freshly read state, retried while the state changes underneath. */
  async #applyOne(d: DecodedEvent, attempt = 0): Promise<number> {
    const view = await this.#read([d], new PartitionCache());
    const plan = await planApply(d, view.reads(d), this.keys.of(d.partition), this.group, this.topic, this.rules, (ids) => view.states(ids));
    let result: number;
    try {
      result = plan.kind === 'reject'
        ? await this.#redis.clockReject(...plan.keys, ...plan.args, '')
        : await this.#redis.clockApply(plan.keys.length, ...plan.keys, ...plan.head, '', String(Date.now()), ...plan.tail);
    } catch (cause) {
      throw new UtklarError('DEPENDENCY_UNAVAILABLE', `redis: clock apply failed: ${(cause as Error).message}`, { retriable: true, cause });
    }
    if (plan.kind === 'reject') return 0;
    if (result === -1) {
      if (attempt >= 5) throw new UtklarError('INTERNAL', `episode state kept changing under event ${d.event.eventId}`, { retriable: true });
      return this.#applyOne(d, attempt + 1);
    }
    return result;
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

  /** An episode's stored state, from whichever partition holds it. */
  async get(episodeId: string): Promise<StoredEpisode | undefined> {
    const rows = await Promise.all(this.#every.map((p) => this.#redis.hget(this.keys.of(p).state(episodeId), 'state')));
    const raw = rows.find((r) => r !== null);
    return raw ? (JSON.parse(raw) as StoredEpisode) : undefined;
  }

  /** Open episodes of a region, municipality or ward, gathered from every partition. */
  async openEpisodes(index: OpenIndex): Promise<StoredEpisode[]> {
    // One slot per partition: a round trip each, all at once (Redis Cluster refuses a pipeline
    // across slots of different nodes).
    const parts = await Promise.all(this.#every.map(async (p) => {
      const k = this.keys.of(p);
      const ids = await this.#redis.smembers(indexKey(k, index));
      if (ids.length === 0) return [];
      const pipe = this.#redis.pipeline();
      for (const id of ids) pipe.hget(k.state(id), 'state');
      return (await this.#exec(pipe)).flatMap((raw) => (typeof raw === 'string' ? [JSON.parse(raw) as StoredEpisode] : []));
    }));
    return parts.flat();
  }

  /** Regions with an open episode in some partition (their index sets exist while not empty). */
  async regionsWithOpen(): Promise<string[]> {
    const marker = ':clock:open:region:';
    const keys = await scanKeys(this.#redis, this.keys.every(`clock:open:region:*`));
    return [...new Set(keys.map((k) => k.slice(k.indexOf(marker) + marker.length)))].sort();
  }

  /** Closed episodes whose eviction time is at or after `minScore`, from every partition. */
  async closedEpisodes(minScore: number): Promise<StoredEpisode[]> {
    const parts = await Promise.all(this.#every.map(async (p) => {
      const k = this.keys.of(p);
      const ids = await this.#redis.zrangebyscore(k.closed, minScore, '+inf');
      if (ids.length === 0) return [];
      const pipe = this.#redis.pipeline();
      for (const id of ids) pipe.hget(k.state(id), 'state');
      return (await this.#exec(pipe)).flatMap((raw) => (typeof raw === 'string' ? [JSON.parse(raw) as StoredEpisode] : []));
    }));
    return parts.flat();
  }

  /** Every stored state (open and retained closed episodes), counted by status. */
  async countByStatus(): Promise<Record<string, number>> {
    const byStatus: Record<string, number> = {};
    for (const p of this.#every) {
      const k = this.keys.of(p);
      const states = (await scanKeys(this.#redis, k.state('*'))).filter((key) => !key.endsWith(':events'));
      for (let i = 0; i < states.length; i += 1000) {
        const pipe = this.#redis.pipeline();
        for (const key of states.slice(i, i + 1000)) pipe.hget(key, 'state');
        for (const json of await this.#exec(pipe)) {
          if (typeof json !== 'string') continue;
          const status = (JSON.parse(json) as StoredEpisode).state.status;
          byStatus[status] = (byStatus[status] ?? 0) + 1;
        }
      }
    }
    return byStatus;
  }

  /**
   * Forgets closed episodes whose retention has ended. Retention is measured in event time: a
   * partition's watermark (the latest event time applied there) less the allowed lateness, capped
   * by the wall clock. A replay of last year's events then keeps each index episode exactly as
   * long as readmissions in the same partition (the same patient) can still arrive.
   */
  async evictSettled(wallNow: number): Promise<number> {
    // The sweep is the housekeeping round: caches of partitions that moved away go too.
    this.caches.keepOnly(this.served());
    let total = 0;
    for (const partition of this.served()) {
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
    const due = await this.#redis.zrangebyscore(k.closed, 0, now, 'LIMIT', 0, limit);
    if (due.length === 0) return 0;
    // Eviction does not move the applied offset, the cache's token: the partition's cache is
    // forgotten before (a batch under way keeps its own) and after (one read in between).
    this.caches.forget(partition);
    // Two round trips for the lot, not two per episode: a replay closes thousands a minute.
    const read = this.#redis.pipeline();
    for (const episodeId of due) read.hget(k.state(episodeId), 'state');
    const states = await this.#exec(read);
    const evict = this.#redis.pipeline() as unknown as ScriptedPipeline;
    due.forEach((episodeId, i) => {
      const raw = states[i] as string | null;
      const patient = raw ? k.patient((JSON.parse(raw) as StoredEpisode).state.patientKey) : `${k.closed}:none`;
      evict.clockEvict(k.closed, k.events(episodeId), k.state(episodeId), patient, k.timers, episodeId, now);
    });
    return (await this.#exec(evict, 'eviction').finally(() => this.caches.forget(partition))).reduce<number>((sum, n) => sum + Number(n), 0);
  }

  /**
   * Fires due timers: each announces the facts of the Stockholm day boundaries that have passed
   * (ready day accrued, threshold crossed, payment responsibility started) through the outbox and
   * moves on to the next boundary still ahead. A history replayed from last year catches up in
   * one claim per episode (at most `maxBoundaries` days at a time), not one round per day.
   * Each served partition fires its own timers, at most `limit` per call.
   */
  async fireDue(now: number, limit = 500, maxBoundaries = 400): Promise<number> {
    let fired = 0;
    for (const partition of this.served()) fired += await this.#fireDue(partition, now, limit, maxBoundaries);
    return fired;
  }

  async #fireDue(partition: number, now: number, limit: number, maxBoundaries: number): Promise<number> {
    const k = this.keys.of(partition);
    const due = await this.#redis.zrangebyscore(k.timers, 0, now, 'WITHSCORES', 'LIMIT', 0, limit);
    if (due.length === 0) return 0;
    // An episode changed in the last moments may have more of its events on the way (a replay
    // applies them one by one): announcing now could count days from half its history.
    // A partition still receiving events (a replay, a backfill) is only as far as its watermark:
    // boundaries beyond it wait, since the events that end a ready period may be on the way. A
    // partition quiet for QUIET_MS is taken as caught up, and wall time rules.
    const quiet = now - QUIET_MS;
    const ids = due.filter((_, i) => i % 2 === 0);
    const look = this.#redis.pipeline();
    look.zremrangebyscore(k.recent, 0, quiet - 60_000);
    look.zmscore(k.recent, 'p', ...ids);
    look.get(k.watermark);
    const [, [partitionChanged, ...changedAt], mark] = (await this.#exec(look)) as [unknown, (string | null)[], string | null];
    const busy = partitionChanged != null && Number(partitionChanged) > quiet;
    const horizon = busy ? Math.min(now, Number(mark ?? 0)) : now;
    const ready: { episodeId: string; at: number }[] = [];
    for (let i = 0; i < due.length; i += 2) {
      const episodeId = due[i]!;
      const at = Number(due[i + 1]);
      const changed = changedAt[i / 2];
      // Its own events may still be arriving: leave it until it has been quiet a moment.
      if (changed !== null && changed !== undefined && Number(changed) > quiet) continue;
      if (at <= horizon) ready.push({ episodeId, at });
    }
    if (ready.length === 0) return 0;
    // One round trip reads them all and one fires them all; each fire is still its own claim.
    const read = this.#redis.pipeline();
    for (const { episodeId } of ready) read.hmget(k.state(episodeId), 'state', 'announcedDays', 'paymentAnnounced', 'version');
    const rows = await this.#exec(read);
    const fire = this.#redis.pipeline() as unknown as ScriptedPipeline;
    let queued = 0;
    for (const [i, { episodeId, at }] of ready.entries()) {
      // A replay's catch-up computes many days per episode: let the consumers in between.
      if (i % 20 === 19) await new Promise((r) => setImmediate(r));
      const [raw, announced, paid, version] = rows[i] as [string | null, string | null, string | null, string | null];
      if (!raw) continue;
      const { state } = JSON.parse(raw) as StoredEpisode;
      let boundary = at;
      let days = Number(announced ?? 0);
      let paymentAnnounced = paid === '1';
      let next: number | null = null;
      const facts: string[] = [];
      for (let n = 0; n < maxBoundaries; n++) {
        const f = factsAt(stateAsOf(state, boundary), boundary, days, paymentAnnounced, this.rules);
        facts.push(...f.facts.map((x) => JSON.stringify(x)));
        days = f.utklarDays;
        paymentAnnounced = f.paymentAnnounced;
        // Beyond the last known event the future is unknown: keep ticking while the period is open.
        next = f.next ?? (state.readyPeriods.some((p) => p.end === null || p.end > boundary) ? nextMidnight(boundary) : null);
        if (next === null || next > horizon) break;
        boundary = next;
      }
      fire.clockFire(
        k.timers, k.state(episodeId), k.outbox,
        episodeId, at, next === null ? '' : next, days, paymentAnnounced ? 1 : 0, version ?? '',
        ...facts,
      );
      queued++;
    }
    if (queued === 0) return 0;
    return (await this.#exec(fire, 'timer')).reduce<number>((sum, n) => sum + Number(n), 0);
  }
}
