import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { PatientEvent } from '../contract/event.ts';
import { UtklarError } from '../core/errors.ts';
import type { DecodedEvent } from '../kafka/event-consumer.ts';
import { stateChanged } from './changelog.ts';
import { factsAt, nextMidnight } from './clock-facts.ts';
import { stateAsOf } from './state-as-of.ts';
import { clockKeys } from './clock-keys.ts';
import { deadLetterEntry, rejectionWithdrawn } from './dead-letter-entry.ts';
import { foldEpisode } from './episode-state.ts';
import { historyEntry, readmissionLink, relinked, type EpisodeHistoryEntry } from './readmission.ts';
import type { RegionRules } from './rules.ts';
import { evictionTime, openIndexes, openTimer, type StoredEpisode } from './stored-episode.ts';

const lua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

type ScriptedRedis = Redis & {
  clockApply(...args: (string | number)[]): Promise<number>;
  clockEvict(...args: (string | number)[]): Promise<number>;
  clockFire(...args: (string | number)[]): Promise<number>;
  clockReject(...args: (string | number)[]): Promise<number>;
};

/**
 * Per-episode clock state in Redis. The domain core computes the next state from the episode's
 * whole event log (so late and reordered events land where their event time puts them); the Lua
 * step writes it, the event and the consumed offset atomically, refusing replays and races.
 */
/** How long an episode must have been unchanged before its timer fires (see fireDue). */
export const QUIET_MS = 2_000;

export class ClockStore {
  readonly #redis: ScriptedRedis;
  readonly keys: ReturnType<typeof clockKeys>;

  constructor(
    redis: Redis,
    namespace: string,
    private readonly group: string,
    private readonly topic: string,
    private readonly rules: RegionRules,
  ) {
    this.keys = clockKeys(namespace);
    redis.defineCommand('clockApply', { lua: lua('apply-event') });
    redis.defineCommand('clockEvict', { numberOfKeys: 5, lua: lua('evict-episode') });
    redis.defineCommand('clockFire', { numberOfKeys: 3, lua: lua('fire-timer') });
    redis.defineCommand('clockReject', { numberOfKeys: 2, lua: lua('reject-event') });
    this.#redis = redis as ScriptedRedis;
  }

  /** Applies a partition's batch in order; returns how many events changed state. */
  async apply(batch: DecodedEvent[]): Promise<number> {
    let changed = 0;
    for (const d of batch) changed += await this.#applyOne(d);
    return changed;
  }

  async #applyOne(d: DecodedEvent, attempt = 0): Promise<number> {
    const { event } = d;
    const k = this.keys;
    const [rawEvents, version, rawState, rawHistory, watermark] = await Promise.all([
      this.#redis.hgetall(k.events(event.episodeId)),
      this.#redis.hget(k.state(event.episodeId), 'version'),
      this.#redis.hget(k.state(event.episodeId), 'state'),
      this.#redis.hgetall(k.patient(event.patientKey)),
      this.#redis.hget(k.watermark, String(d.partition)),
    ]);
    const origin = { consumer: this.group, topic: this.topic, partition: d.partition };
    // An episode nobody admitted, this far behind its partition's event time, will not be
    // completed by a late admission (or was already evicted): dead-letter rather than keep it.
    // The watermark is a function of the offsets applied before, so a replay decides the same.
    if (Object.keys(rawEvents).length === 0 && event.type !== 'admission' && watermark !== null && event.occurredAt < Number(watermark) - this.rules.allowedLatenessMs) {
      const reason = `${event.type} for an unknown episode, ${Math.round((Number(watermark) - event.occurredAt) / 3_600_000)} h behind the partition's event time (allowed lateness ${this.rules.allowedLatenessMs / 3_600_000} h)`;
      const entry = deadLetterEntry(event, reason, { ...origin, offset: d.offset });
      try {
        await this.#redis.clockReject(k.applied(this.group, this.topic), k.outbox, d.partition, d.offset, event.patientKey, JSON.stringify(entry));
      } catch (cause) {
        throw new UtklarError('DEPENDENCY_UNAVAILABLE', `redis: clock reject failed: ${(cause as Error).message}`, { retriable: true, cause });
      }
      return 0;
    }
    const events: PatientEvent[] = Object.values(rawEvents).map((j) => JSON.parse(j) as PatientEvent);
    events.push(event);
    const state = foldEpisode(events);
    const history: EpisodeHistoryEntry[] = Object.values(rawHistory).map((j) => JSON.parse(j) as EpisodeHistoryEntry);
    const previous = rawState ? (JSON.parse(rawState) as StoredEpisode) : undefined;
    const stored: StoredEpisode = { state, readmission: readmissionLink(state, history, previous, this.rules) };
    const before = previous ? openIndexes(previous.state) : {};
    const after = openIndexes(state);
    const setsOf = (ix: ReturnType<typeof openIndexes>) => [
      ...(ix.region ? [k.openInRegion(ix.region)] : []),
      ...(ix.municipality ? [k.openInMunicipality(ix.municipality)] : []),
      ...(ix.ward ? [k.openInWard(...ix.ward)] : []),
    ];
    const leave = setsOf(before);
    const join = setsOf(after);
    const entry = historyEntry(state);
    const evictAt = evictionTime(state, this.rules.retainClosedEpisodeDays);
    const rejectedBefore = new Set((previous?.state.rejected ?? []).map((r) => r.eventId));
    const rejectedNow = new Set(state.rejected.map((r) => r.eventId));
    const byId = (id: string) => events.find((e) => e.eventId === id)!;
    const newlyRejected = [
      ...state.rejected.filter((r) => !rejectedBefore.has(r.eventId))
        .map((r) => JSON.stringify(deadLetterEntry(byId(r.eventId), r.reason, { ...origin, ...(r.eventId === event.eventId ? { offset: d.offset } : {}) }))),
      ...(previous?.state.rejected ?? []).filter((r) => !rejectedNow.has(r.eventId))
        .map((r) => JSON.stringify(rejectionWithdrawn(byId(r.eventId), r.reason, origin))),
    ];
    const related = await this.#relinked(event.episodeId, entry, history);
    const keys = [
      k.applied(this.group, this.topic), k.events(event.episodeId), k.state(event.episodeId), k.patient(event.patientKey), k.closed(d.partition), k.watermark, k.outbox, k.timers, k.recent,
      ...leave, ...join, ...related.map((r) => k.state(r.stored.state.episodeId)),
    ];
    let result: number;
    try {
      result = await this.#redis.clockApply(
        keys.length,
        ...keys,
        d.partition,
        d.offset,
        event.eventId,
        JSON.stringify(event),
        version ?? '',
        JSON.stringify(stored),
        entry ? JSON.stringify(entry) : '',
        evictAt === null ? '' : String(evictAt),
        leave.length,
        event.episodeId,
        event.occurredAt,
        JSON.stringify(stateChanged(stored, Number(version ?? 0) + 1, event.eventId)),
        openTimer(state) ?? '',
        event.patientKey,
        newlyRejected.length,
        ...newlyRejected,
        related.length,
        ...related.flatMap((r) => [r.stored.state.episodeId, r.version, JSON.stringify(r.stored), JSON.stringify(stateChanged(r.stored, Number(r.version) + 1, event.eventId))]),
      );
    } catch (cause) {
      throw new UtklarError('DEPENDENCY_UNAVAILABLE', `redis: clock apply failed: ${(cause as Error).message}`, { retriable: true, cause });
    }
    if (result === -1) {
      if (attempt >= 5) throw new UtklarError('INTERNAL', `episode state kept changing under event ${event.eventId}`, { retriable: true });
      return this.#applyOne(d, attempt + 1);
    }
    return result;
  }

  /**
   * The patient's other stored episodes whose readmission link changes with this episode's new
   * history entry: e.g. the index stay's discharge arrived after the readmission was applied.
   */
  async #relinked(episodeId: string, entry: EpisodeHistoryEntry | undefined, history: EpisodeHistoryEntry[]): Promise<{ stored: StoredEpisode; version: string }[]> {
    const old = history.find((h) => h.episodeId === episodeId);
    if (JSON.stringify(old) === JSON.stringify(entry)) return [];
    const others = history.filter((h) => h.episodeId !== episodeId);
    if (others.length === 0) return [];
    const after = [...others, ...(entry ? [entry] : [])];
    const rows = await Promise.all(others.map((h) => this.#redis.hmget(this.keys.state(h.episodeId), 'state', 'version')));
    const stored = rows.flatMap(([raw, version]) => (raw && version ? [{ ...(JSON.parse(raw) as StoredEpisode), version }] : []));
    return relinked(stored, after, this.rules).map(({ version, ...s }) => ({ stored: s, version }));
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
    let evicted = 0;
    for (const episodeId of due) {
      const stored = await this.get(episodeId);
      const patient = stored ? this.keys.patient(stored.state.patientKey) : `${closed}:none`;
      evicted += await this.#redis.clockEvict(closed, this.keys.events(episodeId), this.keys.state(episodeId), patient, this.keys.timers, episodeId, now);
    }
    return evicted;
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
    const [changedAt, marks, partitions] = await Promise.all([
      this.#redis.zmscore(this.keys.recent, ...ids),
      this.#redis.hgetall(this.keys.watermark),
      Promise.all(ids.map((id) => this.#redis.hget(this.keys.state(id), 'partition'))),
    ]);
    const busy = new Set<string>();
    for (const p of new Set(partitions)) {
      if (p === null) continue;
      const at = await this.#redis.zscore(this.keys.recent, `p:${p}`);
      if (at !== null && Number(at) > quiet) busy.add(p);
    }
    let fired = 0;
    for (let i = 0; i < due.length; i += 2) {
      const episodeId = due[i]!;
      const at = Number(due[i + 1]);
      const changed = changedAt[i / 2];
      // Its own events may still be arriving: leave it until it has been quiet a moment.
      if (changed !== null && changed !== undefined && Number(changed) > quiet) continue;
      const partition = partitions[i / 2];
      const horizon = partition != null && busy.has(partition) ? Math.min(now, Number(marks[partition] ?? 0)) : now;
      if (at > horizon) continue;
      const [raw, announced, paid] = await this.#redis.hmget(this.keys.state(episodeId), 'state', 'announcedDays', 'paymentAnnounced');
      if (!raw) continue;
      const { state } = JSON.parse(raw) as StoredEpisode;
      let boundary = at;
      let days = Number(announced ?? 0);
      let paymentAnnounced = paid === '1';
      let next: number | null = null;
      const facts: string[] = [];
      for (let n = 0; n < maxBoundaries; n++) {
        const r = factsAt(stateAsOf(state, boundary), boundary, days, paymentAnnounced, this.rules);
        facts.push(...r.facts.map((f) => JSON.stringify(f)));
        days = r.utklarDays;
        paymentAnnounced = r.paymentAnnounced;
        // Beyond the last known event the future is unknown: keep ticking while the period is open.
        next = r.next ?? (state.readyPeriods.some((p) => p.end === null || p.end > boundary) ? nextMidnight(boundary) : null);
        if (next === null || next > horizon) break;
        boundary = next;
      }
      fired += await this.#redis.clockFire(
        this.keys.timers, this.keys.state(episodeId), this.keys.outbox,
        episodeId, at, next === null ? '' : next, days, paymentAnnounced ? 1 : 0,
        ...facts,
      );
    }
    return fired;
  }
}
