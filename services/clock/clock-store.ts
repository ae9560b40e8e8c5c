import { readFileSync } from 'node:fs';
import type { ChainableCommander, Redis } from 'ioredis';
import { UtklarError } from '../core/errors.ts';
import type { DecodedEvent } from '../model/decoded-event.ts';
import { planApply } from './apply-plan.ts';
import { BatchView } from './batch-view.ts';
import { PartitionCache, PartitionCaches } from './partition-cache.ts';
import { factsAt, nextMidnight } from './clock-facts.ts';
import { stateAsOf } from './state-as-of.ts';
import { clockKeys } from './clock-keys.ts';
import type { RegionRules } from './rules.ts';
import type { StoredEpisode } from './stored-episode.ts';

const lua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

type ScriptedRedis = Redis & {
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

  readonly #reads: Redis;

  constructor(
    redis: Redis,
    namespace: string,
    private readonly group: string,
    private readonly topic: string,
    private readonly rules: RegionRules,
    /**
     * A connection for the batch reads. Commands on one connection are answered in order, so a
     * partition's read would otherwise wait behind every other partition's pipelined writes. The
     * Lua steps' version guards make reading on another connection safe.
     */
    reads: Redis = redis,
  ) {
    this.#reads = reads;
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
    const pipe = this.#redis.pipeline() as unknown as ScriptedPipeline;
    const queued: { d: DecodedEvent; reject: boolean }[] = [];
    let previous = '';
    let results: unknown[];
    try {
      for (const d of batch) {
        if (view.applied !== null && Number(view.applied) >= Number(d.offset)) continue; // the Lua step would say 0
        const plan = await planApply(d, view.reads(d), this.keys, this.group, this.topic, this.rules, (ids) => view.states(ids));
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
    this.caches.settle(partition, cache, previous);
    return changed;
  }

  /**
   * The batch's view: what the partition's cache holds, and from Redis, in one round trip, the
   * partition's applied offset and watermark and whatever episodes and patients the cache lacks.
   * If the applied offset is not the one the cache last wrote, somebody else wrote the partition:
   * the cache is dropped and everything read afresh.
   */
  async #read(batch: DecodedEvent[], cache: PartitionCache): Promise<BatchView> {
    const k = this.keys;
    const partition = batch[0]!.partition;
    const episodes = [...new Set(batch.map((d) => d.event.episodeId))];
    const patients = [...new Set(batch.map((d) => d.event.patientKey))];
    const missingEpisodes = episodes.filter((id) => !cache.hasEpisode(id));
    const missingPatients = patients.filter((key) => !cache.hasPatient(key));
    const pipe = this.#reads.pipeline();
    pipe.hget(k.applied(this.group, this.topic), String(partition));
    pipe.hget(k.watermark, String(partition));
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
    const view = new BatchView(applied, rows[1] as string | null, (ids) => this.#states(ids), cache.maps);
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

  async #states(ids: string[]): Promise<{ state: string | null; version: string | null }[]> {
    const pipe = this.#reads.pipeline();
    for (const id of ids) pipe.hmget(this.keys.state(id), 'state', 'version');
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
    const plan = await planApply(d, view.reads(d), this.keys, this.group, this.topic, this.rules, (ids) => view.states(ids));
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

  async get(episodeId: string): Promise<StoredEpisode | undefined> {
    const raw = await this.#redis.hget(this.keys.state(episodeId), 'state');
    return raw ? (JSON.parse(raw) as StoredEpisode) : undefined;
  }

  /** Open episodes in an index set (region, municipality or ward). */
  async openEpisodes(indexKey: string): Promise<StoredEpisode[]> {
    const ids = await this.#redis.smembers(indexKey);
    if (ids.length === 0) return [];
    const pipe = this.#redis.pipeline();
    for (const id of ids) pipe.hget(this.keys.state(id), 'state');
    const rows = (await pipe.exec()) ?? [];
    return rows.flatMap(([, raw]) => (typeof raw === 'string' ? [JSON.parse(raw) as StoredEpisode] : []));
  }

  /**
   * Forgets closed episodes whose retention has ended. Retention is measured in event time: a
   * partition's watermark (the latest event time applied there) less the allowed lateness, capped
   * by the wall clock. A replay of last year's events then keeps each index episode exactly as
   * long as readmissions in the same partition (the same patient) can still arrive.
   */
  async evictSettled(wallNow: number): Promise<number> {
    const marks = await this.#redis.hgetall(this.keys.watermark);
    let total = 0;
    for (const [partition, mark] of Object.entries(marks)) {
      const now = Math.min(wallNow, Number(mark) - this.rules.allowedLatenessMs);
      for (let n = -1; n !== 0; total += n) n = await this.evictDue(Number(partition), now);
    }
    return total;
  }

  /** Forgets a partition's closed episodes due by `now`; safe to run from several workers. */
  async evictDue(partition: number, now: number, limit = 500): Promise<number> {
    const closed = this.keys.closed(partition);
    const due = await this.#redis.zrangebyscore(closed, 0, now, 'LIMIT', 0, limit);
    if (due.length === 0) return 0;
    // Eviction does not move the applied offset, the cache's token: the partition's cache is
    // forgotten before (a batch under way keeps its own) and after (one read in between).
    this.caches.forget(partition);
    // Two round trips for the lot, not two per episode: a replay closes thousands a minute.
    const read = this.#redis.pipeline();
    for (const episodeId of due) read.hget(this.keys.state(episodeId), 'state');
    const states = await this.#exec(read);
    const evict = this.#redis.pipeline() as unknown as ScriptedPipeline;
    due.forEach((episodeId, i) => {
      const raw = states[i] as string | null;
      const patient = raw ? this.keys.patient((JSON.parse(raw) as StoredEpisode).state.patientKey) : `${closed}:none`;
      evict.clockEvict(closed, this.keys.events(episodeId), this.keys.state(episodeId), patient, this.keys.timers, episodeId, now);
    });
    return (await this.#exec(evict, 'eviction').finally(() => this.caches.forget(partition))).reduce<number>((sum, n) => sum + Number(n), 0);
  }

  /**
   * Fires due timers: each announces the facts of the Stockholm day boundaries that have passed
   * (ready day accrued, threshold crossed, payment responsibility started) through the outbox and
   * moves on to the next boundary still ahead. A history replayed from last year catches up in
   * one claim per episode (at most `maxBoundaries` days at a time), not one round per day.
   */
  async fireDue(now: number, limit = 500, maxBoundaries = 400): Promise<number> {
    const due = await this.#redis.zrangebyscore(this.keys.timers, 0, now, 'WITHSCORES', 'LIMIT', 0, limit);
    if (due.length === 0) return 0;
    // An episode changed in the last moments may have more of its events on the way (a replay
    // applies them one by one): announcing now could count days from half its history.
    // A partition still receiving events (a replay, a backfill) is only as far as its watermark:
    // boundaries beyond it wait, since the events that end a ready period may be on the way. A
    // partition quiet for QUIET_MS is taken as caught up, and wall time rules.
    const quiet = now - QUIET_MS;
    await this.#redis.zremrangebyscore(this.keys.recent, 0, quiet - 60_000);
    const ids = due.filter((_, i) => i % 2 === 0);
    const look = this.#redis.pipeline();
    look.zmscore(this.keys.recent, ...ids);
    look.hgetall(this.keys.watermark);
    for (const id of ids) look.hget(this.keys.state(id), 'partition');
    const [changedAt, marks, ...partitions] = (await this.#exec(look)) as [(string | null)[], Record<string, string>, ...(string | null)[]];
    const known = [...new Set(partitions)].filter((p): p is string => p !== null);
    const lastChange = known.length > 0 ? await this.#redis.zmscore(this.keys.recent, ...known.map((p) => `p:${p}`)) : [];
    const busy = new Set(known.filter((_, i) => lastChange[i] != null && Number(lastChange[i]) > quiet));
    const ready: { episodeId: string; at: number; horizon: number }[] = [];
    for (let i = 0; i < due.length; i += 2) {
      const episodeId = due[i]!;
      const at = Number(due[i + 1]);
      const changed = changedAt[i / 2];
      // Its own events may still be arriving: leave it until it has been quiet a moment.
      if (changed !== null && changed !== undefined && Number(changed) > quiet) continue;
      const partition = partitions[i / 2];
      const horizon = partition != null && busy.has(partition) ? Math.min(now, Number(marks[partition] ?? 0)) : now;
      if (at <= horizon) ready.push({ episodeId, at, horizon });
    }
    if (ready.length === 0) return 0;
    // One round trip reads them all and one fires them all; each fire is still its own claim.
    const read = this.#redis.pipeline();
    for (const { episodeId } of ready) read.hmget(this.keys.state(episodeId), 'state', 'announcedDays', 'paymentAnnounced', 'version');
    const rows = await this.#exec(read);
    const fire = this.#redis.pipeline() as unknown as ScriptedPipeline;
    let queued = 0;
    for (const [i, { episodeId, at, horizon }] of ready.entries()) {
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
        this.keys.timers, this.keys.state(episodeId), this.keys.outbox,
        episodeId, at, next === null ? '' : next, days, paymentAnnounced ? 1 : 0, version ?? '',
        ...facts,
      );
      queued++;
    }
    if (queued === 0) return 0;
    return (await this.#exec(fire, 'timer')).reduce<number>((sum, n) => sum + Number(n), 0);
  }
}
