import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin } from 'kafkajs';
import { topics, type Config } from '../core/config.ts';
import { UtklarError } from '../core/errors.ts';
import { scanKeys, type RedisLike } from '../core/redis.ts';
import { clockKeys } from '../store/clock-keys.ts';
import { setVersions } from '../agreements/agreement-version.ts';
import { logRebuild } from './rebuild-log.ts';
import { RebuildRecords, type ActiveData, type RebuildRecord } from './records.ts';

/** How long the data a promotion replaced is kept, for a way back (UTKLAR_REBUILD_KEEP_HOURS, default 168: a week). */
export function keepHours(env: Record<string, string | undefined> = process.env): number {
  const v = env.UTKLAR_REBUILD_KEEP_HOURS ?? '168';
  if (!/^\d+(\.\d+)?$/.test(v)) throw new UtklarError('CONFIG', `UTKLAR_REBUILD_KEEP_HOURS must be a number of hours, got '${v}'`);
  return Number(v);
}

export interface PromotionDeps {
  config: Config;
  redis: RedisLike;
  client: ClickHouseClient;
  admin: Admin;
  now: () => number;
}

/**
 * Rows the API must go on answering whichever side it reads (frozen invoices stay frozen, the
 * access log stays whole), carried from one side's database to another's: those the other lacks.
 * Both tables are append-only, so a carry repeated (a switch back and forth, the running process's
 * own carry at its switch, follow.ts) adds nothing twice: a freeze by its id; an access-log row
 * once it is newer than the newest there (a side is written by one process at a time), or than
 * `since`, that newest as it was before the side taken up began to be written.
 */
export async function carry(client: ClickHouseClient, from: string, to: string, since?: number): Promise<void> {
  await client.command({ query: `INSERT INTO ${to}.invoice_freezes SELECT * FROM ${from}.invoice_freezes WHERE freeze_id NOT IN (SELECT freeze_id FROM ${to}.invoice_freezes)` });
  await client.command({ query: `INSERT INTO ${to}.access_log SELECT * FROM ${from}.access_log WHERE at_ms > ${since ?? await newestAccess(client, to)}` });
}

/** The newest access-log entry of a side (ms; 0 when none): where a carry into it begins. */
export async function newestAccess(client: ClickHouseClient, db: string): Promise<number> {
  const [r] = await (await client.query({ query: `SELECT toString(max(at_ms)) AS at FROM ${db}.access_log`, format: 'JSONEachRow' })).json<{ at: string }>();
  return Number(r?.at ?? 0);
}

/**
 * Switches the API to a finished rebuild: one SET of the read pointer (read-pointer.ts), so every
 * request from then on reads the rebuild's database under its agreements and none reads half of
 * each. Before it, the frozen invoices and the access log are carried over (a promotion changes
 * no frozen invoice: its corrections show what the rebuilt facts would change). Recorded in the
 * rebuild, in the pointer (who, when, which agreement versions) and in `<db>.rebuild_log`.
 */
export async function promote(d: PromotionDeps, id: string, by: string, keepForHours: number): Promise<ActiveData> {
  const records = new RebuildRecords(d.redis, d.config.eventsNamespace);
  const r = await records.get(id);
  if (!r) throw new UtklarError('NOT_FOUND', `no rebuild ${id}`);
  if (!PROMOTABLE.has(r.status)) throw new UtklarError('CONFIG', `rebuild ${id} is ${r.status}: only a finished rebuild (ready, or rolled back) can be promoted`);
  const before = await records.active();
  const previous = before
    ? { id: before.id, namespace: before.namespace, database: before.database, agreements: before.agreements }
    : { id: null, namespace: d.config.namespace, database: d.config.clickhouseDatabase, agreements: null };
  await carry(d.client, previous.database, r.database);
  const at = d.now();
  const active: ActiveData = {
    id, namespace: r.namespace, database: r.database, agreements: r.agreements, agreementVersions: r.agreementVersions,
    promotedAt: new Date(at).toISOString(), promotedBy: by,
    previous: { ...previous, keepUntil: new Date(at + keepForHours * 3_600_000).toISOString() },
  };
  // The switch: one key, one write.
  await d.redis.set(records.keys.active, JSON.stringify(active));
  await records.update(id, { status: 'promoted', promotedAt: active.promotedAt, promotedBy: by, keepUntil: undefined });
  if (before) await records.update(before.id, { status: 'retired' }).catch(() => undefined);
  await logRebuild(d.client, d.config.clickhouseDatabase, { at, rebuildId: id, action: 'promoted', by, agreementVersion: r.agreementVersions.join(','), database: r.database, namespace: r.namespace, detail: { previous: active.previous } });
  return active;
}

/** Drops a rebuild that was not promoted: its database, its Redis state, its consumer group and derived topics. */
export async function discard(d: PromotionDeps, id: string, by: string): Promise<RebuildRecord> {
  const records = new RebuildRecords(d.redis, d.config.eventsNamespace);
  const r = await records.get(id);
  if (!r) throw new UtklarError('NOT_FOUND', `no rebuild ${id}`);
  const active = await records.active();
  if (active?.id === id) throw new UtklarError('CONFIG', `rebuild ${id} is what the API reads: promote another before discarding it`);
  await dropShadow(d, r.namespace, r.database);
  const next = await records.update(id, { status: 'discarded', discardedAt: new Date(d.now()).toISOString(), discardedBy: by });
  await d.redis.del(records.keys.diff(id));
  await logRebuild(d.client, d.config.clickhouseDatabase, { at: d.now(), rebuildId: id, action: 'discarded', by, agreementVersion: r.agreementVersions.join(','), database: r.database, namespace: r.namespace, detail: null });
  return next;
}

/** Which rebuilds may be promoted: a finished one, or one rolled back (its consumer group goes on from where it stopped). */
export const PROMOTABLE = new Set<RebuildRecord['status']>(['ready', 'rolled-back']);

/** What `--rollback` switches back to (what the promotion in force replaced), or why there is none. */
export async function rollbackTarget(d: Pick<PromotionDeps, 'config' | 'redis' | 'now'>): Promise<{ active: ActiveData; previous: NonNullable<ActiveData['previous']> }> {
  const active = await new RebuildRecords(d.redis, d.config.eventsNamespace).active();
  if (!active) throw new UtklarError('PREREQUISITE', 'nothing to roll back: no promotion is in force (the API reads the namespace\'s own data)');
  const p = active.previous;
  if (!p) throw new UtklarError('PREREQUISITE', `nothing to roll back to: what the promotion of ${active.id} replaced is no longer kept (dropped after its keeping time, or this is already a rollback's result)`);
  if (Date.parse(p.keepUntil) <= d.now()) throw new UtklarError('PREREQUISITE', `the promotion of ${active.id} can no longer be rolled back: what it replaced was kept until ${p.keepUntil} (UTKLAR_REBUILD_KEEP_HOURS)`);
  return { active, previous: p };
}

export interface RolledBack {
  rolledBack: string;
  /** The rebuild read again, or null: the namespace's own data. */
  to: string | null;
  database: string;
  namespace: string;
  agreementVersions: string[];
  at: string;
  by: string;
}

/**
 * Undoes the promotion in force within its keeping time: the frozen invoices and access-log rows
 * written on the promoted side are carried back, then one write of the read pointer (a DEL when
 * what it replaced was the namespace's own data, a SET naming the rebuild read before) switches
 * every request at once, as a promotion does. Recorded in the records (`rolled-back`, who, when),
 * the pointer (`rolledBack`, when a rebuild is read again) and `<db>.rebuild_log`. The rolled-back
 * rebuild is kept as long as what a promotion replaces (promotable again meanwhile), then dropped.
 * One step: the side read again has no `previous` (a second rollback is refused).
 */
export async function rollback(d: PromotionDeps, by: string, keepForHours: number): Promise<RolledBack> {
  const records = new RebuildRecords(d.redis, d.config.eventsNamespace);
  const { active, previous: p } = await rollbackTarget(d);
  await carry(d.client, active.database, p.database);
  const at = d.now();
  const when = new Date(at).toISOString();
  let versions = setVersions(d.config.agreements);
  if (p.id === null) {
    // The switch: one key, one write.
    await d.redis.del(records.keys.active);
  } else {
    const r = await records.get(p.id);
    if (!r) throw new UtklarError('NOT_FOUND', `no rebuild ${p.id} (what the promotion of ${active.id} replaced)`);
    versions = r.agreementVersions;
    const restored: ActiveData = {
      id: r.id, namespace: r.namespace, database: r.database, agreements: r.agreements, agreementVersions: r.agreementVersions,
      promotedAt: r.promotedAt ?? when, promotedBy: r.promotedBy ?? by, previous: null, rolledBack: { id: active.id, at: when, by },
    };
    await d.redis.set(records.keys.active, JSON.stringify(restored));
    await records.update(r.id, { status: 'promoted' });
  }
  await records.update(active.id, { status: 'rolled-back', rolledBackAt: when, rolledBackBy: by, keepUntil: new Date(at + keepForHours * 3_600_000).toISOString() });
  await logRebuild(d.client, d.config.clickhouseDatabase, {
    at, rebuildId: active.id, action: 'rolled-back', by, agreementVersion: versions.join(','), database: p.database, namespace: p.namespace,
    detail: { from: { id: active.id, database: active.database, agreementVersions: active.agreementVersions }, to: { id: p.id, database: p.database, namespace: p.namespace } },
  });
  return { rolledBack: active.id, to: p.id, database: p.database, namespace: p.namespace, agreementVersions: versions, at: when, by };
}

/** Whether dropExpired has anything to do (read from Redis alone: the running process asks every round). */
export async function somethingExpired(d: Pick<PromotionDeps, 'config' | 'redis' | 'now'>): Promise<boolean> {
  const records = new RebuildRecords(d.redis, d.config.eventsNamespace);
  const p = (await records.active())?.previous;
  if (p?.id && Date.parse(p.keepUntil) <= d.now()) return true;
  return (await records.list()).some((r) => rolledBackExpired(r, d.now()));
}

const rolledBackExpired = (r: RebuildRecord, now: number) => r.status === 'rolled-back' && r.keepUntil !== undefined && Date.parse(r.keepUntil) <= now;

/**
 * Drops what a promotion replaced once its keeping time has passed, when it was itself a
 * rebuild, and a rolled-back rebuild once its own has. The namespace's own original data is never
 * dropped by this (a rollback may return to it; its events topic is the source). Returns a dropped rebuild's id.
 */
export async function dropExpired(d: PromotionDeps): Promise<string | null> {
  const records = new RebuildRecords(d.redis, d.config.eventsNamespace);
  const active = await records.active();
  let dropped: string | null = null;
  const p = active?.previous;
  if (active && p && p.id !== null && Date.parse(p.keepUntil) <= d.now()) {
    await dropShadow(d, p.namespace, p.database);
    await d.redis.set(records.keys.active, JSON.stringify({ ...active, previous: null }));
    await logRebuild(d.client, d.config.clickhouseDatabase, { at: d.now(), rebuildId: p.id, action: 'dropped', by: 'utklar (keeping time passed)', agreementVersion: '', database: p.database, namespace: p.namespace, detail: { keepUntil: p.keepUntil } });
    dropped = p.id;
  }
  for (const r of await records.list()) {
    if (!rolledBackExpired(r, d.now()) || active?.id === r.id) continue;
    await dropShadow(d, r.namespace, r.database);
    await records.update(r.id, { status: 'discarded', discardedAt: new Date(d.now()).toISOString(), discardedBy: 'utklar (keeping time passed)' });
    await d.redis.del(records.keys.diff(r.id));
    await logRebuild(d.client, d.config.clickhouseDatabase, { at: d.now(), rebuildId: r.id, action: 'dropped', by: 'utklar (keeping time passed)', agreementVersion: r.agreementVersions.join(','), database: r.database, namespace: r.namespace, detail: { keepUntil: r.keepUntil, rolledBackAt: r.rolledBackAt } });
    dropped = r.id;
  }
  return dropped;
}

/** A shadow's data, never the events topic it read (nor its dead letters): those are the live namespace's. */
async function dropShadow(d: PromotionDeps, namespace: string, database: string): Promise<void> {
  if (namespace === d.config.eventsNamespace || !namespace.includes('-rb-')) throw new UtklarError('INTERNAL', `refusing to drop ${namespace}: not a rebuild's namespace`);
  await d.client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
  for (const pattern of clockKeys(namespace).patterns) {
    const keys = await scanKeys(d.redis, pattern);
    for (const key of keys) await d.redis.del(key);
  }
  await d.admin.deleteGroups([`${namespace}.clock`]).catch(() => undefined);
  const t = topics(namespace);
  const existing = new Set(await d.admin.listTopics());
  const own = [t.patientEvents, t.deadLetter, t.episodeState, t.clockEvents, t.clockOutboxProgress, t.alerts].filter((x) => existing.has(x));
  if (own.length > 0) await d.admin.deleteTopics({ topics: own }).catch(() => undefined);
}
