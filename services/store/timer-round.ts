import { factsAt, nextMidnight } from '../clock/clock-facts.ts';
import type { RegionRules } from '../clock/rules.ts';
import { stateAsOf } from '../clock/state-as-of.ts';
import type { StoredEpisode } from '../clock/stored-episode.ts';
import type { PartitionKeys } from './clock-keys.ts';
import { execPipeline, runScript, ScriptCall, type ScriptedRedis } from './scripts.ts';

/** How long an episode must have been unchanged before its timer fires (see firePartitionTimers). */
export const QUIET_MS = 2_000;

/**
 * The timer worker's share of a partition's outbox. The outbox is one queue per partition, sent
 * in order, so whatever the worker puts in it, a live change written after it waits for. After a
 * million-event replay the worker announced a year of day boundaries (every episode's ready days,
 * claimed in one go) for 15–20 s, and live changes waited up to 5 s behind them (freshness p99
 * 5.2 s, 2026-12-02). So the worker adds facts only while the partition's outbox holds fewer than
 * OUTBOX_ROOM entries, and at most FACTS_PER_CALL in one call: a live change then queues behind
 * at most about a transaction's worth (the publisher's maxEntries), and the announcements still
 * go out as fast as the publisher sends them.
 */
export const OUTBOX_ROOM = 1_000;
export const FACTS_PER_CALL = 1_000;

/**
 * Fires a partition's due timers: each announces the facts of the Stockholm day boundaries that
 * have passed (ready day accrued, threshold crossed, payment responsibility started) through the
 * outbox and moves on to the next boundary still ahead. A history replayed from last year catches
 * up in one claim per episode (at most `maxBoundaries` days at a time), not one round per day.
 * At most `limit` episodes per call; one round trip reads them, one script call fires them.
 */
export async function firePartitionTimers(redis: ScriptedRedis, k: PartitionKeys, applied: string, rules: RegionRules, now: number, limit: number, maxBoundaries: number): Promise<number> {
  const due = await redis.zrangebyscore(k.timers, 0, now, 'WITHSCORES', 'LIMIT', 0, limit);
  if (due.length === 0) return 0;
  // An episode changed in the last moments may have more of its events on the way (a replay
  // applies them batch by batch): announcing now could count days from half its history.
  // A partition still receiving events (a replay, a backfill) is only as far as its watermark:
  // boundaries beyond it wait, since the events that end a ready period may be on the way. A
  // partition quiet for QUIET_MS is taken as caught up, and wall time rules.
  const quiet = now - QUIET_MS;
  const ids = due.filter((_, i) => i % 2 === 0);
  const look = redis.pipeline();
  look.zremrangebyscore(k.recent, 0, quiet - 60_000);
  look.zmscore(k.recent, 'p', ...ids);
  look.get(k.watermark);
  look.xlen(k.outbox);
  const [, [partitionChanged, ...changedAt], mark, queued] = (await execPipeline(look)) as [unknown, (string | null)[], string | null, number];
  if (queued >= OUTBOX_ROOM) return 0;
  const busy = partitionChanged != null && Number(partitionChanged) > quiet;
  const horizon = busy ? Math.min(now, Number(mark ?? 0)) : now;
  const ready: { episodeId: string; at: number }[] = [];
  for (let i = 0; i < due.length; i += 2) {
    const changed = changedAt[i / 2];
    // Its own events may still be arriving: leave it until it has been quiet a moment.
    if (changed !== null && changed !== undefined && Number(changed) > quiet) continue;
    const at = Number(due[i + 1]);
    if (at <= horizon) ready.push({ episodeId: due[i]!, at });
  }
  if (ready.length === 0) return 0;
  const read = redis.pipeline();
  for (const { episodeId } of ready) read.hmget(k.state(episodeId), 'state', 'announcedDays', 'paymentAnnounced', 'version');
  const rows = await execPipeline(read);
  const call = new ScriptCall(k, applied);
  const steps: object[] = [];
  let factsInCall = 0;
  for (const [i, { episodeId, at }] of ready.entries()) {
    // The rest stay due: the next round claims them once the publisher has sent these.
    if (factsInCall >= FACTS_PER_CALL) break;
    // A replay's catch-up computes many days per episode: let the consumers in between.
    if (i % 20 === 19) await new Promise((r) => setImmediate(r));
    const [raw, announced, paid, version] = rows[i] as [string | null, string | null, string | null, string | null];
    if (!raw) continue;
    const { state } = JSON.parse(raw) as StoredEpisode;
    let boundary = at;
    let days = Number(announced ?? 0);
    let paymentAnnounced = paid === '1';
    let next: number | null = null;
    const facts: number[] = [];
    for (let n = 0; n < maxBoundaries; n++) {
      const f = factsAt(stateAsOf(state, boundary), boundary, days, paymentAnnounced, rules);
      for (const fact of f.facts) facts.push(call.value(JSON.stringify(fact)));
      days = f.utklarDays;
      paymentAnnounced = f.paymentAnnounced;
      // Beyond the last known event the future is unknown: keep ticking while the period is open.
      next = f.next ?? (state.readyPeriods.some((p) => p.end === null || p.end > boundary) ? nextMidnight(boundary) : null);
      if (next === null || next > horizon) break;
      boundary = next;
    }
    factsInCall += facts.length;
    steps.push({
      episode: episodeId, at: String(at), next: next === null ? '' : String(next), days: String(days),
      paid: paymentAnnounced ? '1' : '0', version: version ?? '', state: call.key(k.state(episodeId)), facts,
    });
  }
  if (steps.length === 0) return 0;
  return runScript<number>('timer', () => redis.clockFireTimers(...call.args({ steps })));
}
