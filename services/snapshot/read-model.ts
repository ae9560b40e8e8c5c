import type { ClickHouseClient } from '@clickhouse/client';
import { UtklarError } from '../core/errors.ts';
import { facts, FACT_COLUMNS, int, str } from '../indicators/sql.ts';

/** Where the indicators read each episode's latest version (see Ctx.readModel). */
export type ReadModel = 'snapshot' | 'episode-level';

/**
 * How the indicators read the episode snapshot (migrations 005–007). A generation holds each
 * episode's latest version as of its build; for the episodes with a version stored since
 * (ingested_at at or after its watermark, kept whole in episode_facts_recent) the newest version is
 * collapsed once per read point (writeDelta) and their generation rows are left out, or, in a sum,
 * taken back by the same delta. That union is the latest version
 * of every episode, exactly, whatever was replayed, duplicated or corrected since: a generation is
 * a function of episode_facts, so nothing in it is ever retracted.
 *
 * Why the watermark holds: the server stamps `ingested_at` as it stores a version, so a version the
 * build did not see comes from an insert that began after the build or was running as it began;
 * the watermark sits before the oldest such insert's start (watermarkAt in snapshot-sql.ts).
 */
/** How far before its build a generation's watermark sits when the server does not list its running inserts. */
export const MARGIN_SECONDS = 120;

/** Where an episode sits in a generation's sort order (episode_snapshot's key). */
export interface SnapshotKey {
  region: string;
  dischargedDay: number;
  episodeId: string;
}

/** The episodes with a version stored since the watermark, as the read point saw them. */
export interface Changed {
  ids: string[];
  /** Their rows in the generation (what the rollup took in from them). */
  inGeneration: SnapshotKey[];
  /** Those whose generation row is newer than every version stored since (replays of old versions). */
  stale: SnapshotKey[];
  /** Where the read point wrote their delta in episode_snapshot_delta (writeDelta); 0: none written (no episode listed). */
  point: number;
  /**
   * More than MAX_CHANGED versions stored since the watermark (a replay, a burst): the lists stay
   * empty, queries collapse each matching episode's generation row with every version stored since
   * (see currentEpisodes) and no rollup of sums is read.
   */
  many?: true;
}

/** The generation readers use and its watermark; generation 0: none built yet. */
export interface ReadPoint {
  generation: number;
  watermarkSeconds: number;
  /** The rollups (rollup-sql.ts) that hold the generation's closed episodes, as recorded with it: a generation built before a rollup existed is not in it. */
  rollups: (typeof ROLLUP_TABLES)[number][];
  /** Versions stored since the watermark, as the request began: grows with each one stored (an answer cache's key). */
  changes: number;
  changed: Changed;
}

type At = Pick<ReadPoint, 'generation' | 'watermarkSeconds' | 'changed'>;
const NONE: Changed = { ids: [], inGeneration: [], stale: [], point: 0 };
const MANY: Changed = { ids: [], inGeneration: [], stale: [], point: 0, many: true };
export const EPISODE_LEVEL: ReadPoint = { generation: 0, watermarkSeconds: 0, rollups: [], changes: 0, changed: NONE };
/** Generation `generation` (watermark `watermarkSeconds`, every rollup) alone, as if nothing had been stored since: what the builder answers its common pages at. */
export const generationPoint = (generation: number, watermarkSeconds: number): ReadPoint => ({ generation, watermarkSeconds, rollups: [...ROLLUP_TABLES], changes: 0, changed: NONE });

/**
 * The tables a generation writes besides its snapshot and keys, recorded with it (a generation
 * built before one existed is read without it): the closed-episode rollups (rollup-sql.ts:
 * DISCHARGES and ADMISSIONS say what each holds), the invoice basis's (payment-rollup.ts) and the
 * rows' latest-version tables (by month and county, by kommun) and its sample (rows-sql.ts).
 */
export const ROLLUP_TABLES = ['episode_rollup_municipal', 'episode_rollup', 'episode_admissions_rollup', 'episode_admissions_daily', 'episode_bed_days_rollup', 'episode_payment_rollup', 'episode_snapshot_rows', 'episode_snapshot_rows_sample', 'episode_snapshot_rows_kommun'] as const;

/** Of ROLLUP_TABLES, those that hold each episode's latest version rather than sums (rows-sql.ts). */
const LATEST_VERSION_TABLES = ['episode_snapshot_rows', 'episode_snapshot_rows_sample', 'episode_snapshot_rows_kommun'] as const;

/** Versions stored since the watermark beyond which queries name no changed episode one by one (see readPoint). */
export const MAX_CHANGED = 5_000;
/** Queries name up to MAX_CHANGED episodes and their keys, some lists twice: beyond the default 256 KiB a query may have. */
export const QUERY_SETTINGS = { max_query_size: String(32 * 1024 * 1024) };

/** The changed episodes of the last read point per database: found again only when a version was stored or a generation built. */
const lastChanged = new Map<string, { generation: number; changes: number; changed: Changed }>();

/**
 * The newest recorded generation and the episodes changed since its watermark, resolved once per
 * request: the generation's partition, the changed ids and where they sit in it are literals in
 * every query (the server prunes by them and evaluates no subquery twice). One round trip, and two
 * more only when a version was stored or a generation built since the last request.
 */
export async function readPoint(client: ClickHouseClient, db: string): Promise<ReadPoint> {
  // Aliases unlike the columns: an alias named like a column would stand for it inside argMax.
  // The versions since the watermark are counted from the watermark read, in a second query: a
  // scalar subquery reading it again runs before the query around it, so a generation recorded in
  // between paired the new generation with the count since the old watermark, and the changed
  // episodes, found since the new one, could be none of them (an empty IN () on CI).
  const [r] = await rows(client, `SELECT max(generation) AS g, toUInt32(argMax(watermark, generation)) AS w, argMax(rollups, generation) AS r
    FROM ${db}.episode_snapshot_generations`);
  const generation = Number(r!.g);
  if (generation === 0) return EPISODE_LEVEL;
  // The rollups the generation was built with (recorded with it, migration 009) that this version reads.
  const rollups = ROLLUP_TABLES.filter((t) => (r!.r as string[]).includes(t));
  const [n] = await rows(client, `SELECT count() AS c FROM ${db}.episode_facts_recent WHERE ${sinceWatermark({ watermarkSeconds: Number(r!.w) })}`);
  const at = { generation, watermarkSeconds: Number(r!.w), rollups, changes: Number(n!.c) };
  if (at.changes === 0) return { ...at, changed: NONE };
  // A replay stores thousands a second: naming them one by one would cost more than collapsing
  // them all with the generation's matching rows, and the rollups would need them all retracted.
  // The rows' latest-version tables hold no sums (nothing to take back): they still find a page.
  if (at.changes > MAX_CHANGED) return { ...at, rollups: rollups.filter((t) => (LATEST_VERSION_TABLES as readonly string[]).includes(t)), changed: MANY };
  const last = lastChanged.get(db);
  if (last && last.generation === generation && last.changes === at.changes) return { ...at, changed: last.changed };
  const since = sinceWatermark(at);
  const stored = await rows(client, `SELECT episode_id, max(version) AS stored FROM ${db}.episode_facts_recent WHERE ${since} GROUP BY episode_id`);
  const newest = new Map(stored.map((x) => [String(x.episode_id), Number(x.stored)]));
  const changedIds = [...newest.keys()].sort();
  const where = await keysIn(client, db, generation, changedIds, since);
  const inGeneration = changedIds.map((id) => where.get(id)).filter((k) => k != null);
  const named = {
    ids: changedIds,
    inGeneration: inGeneration.map((k) => k.key),
    stale: inGeneration.filter((k) => k.version > newest.get(k.key.episodeId)!).map((k) => k.key),
  };
  await copyChangedRows(client, db, generation, named.inGeneration);
  const changed: Changed = { ...named, point: await writeDelta(client, db, at, named) };
  // The count read first may be lower than the ids read after it: the key says what was asked.
  lastChanged.set(db, { generation, changes: at.changes, changed });
  return { ...at, changed };
}

/** Where each changed episode sits in its database's newest generation and its version there (null: not in it), as this process found it. */
const knownKeys = new Map<string, { generation: number; keys: Map<string, { key: SnapshotKey; version: number } | null> }>();
/** Unseen ids named one by one up to this many; beyond, found through the recent versions (each id costs a granule of the keys either way). */
const LITERAL_KEYS = 64;

/**
 * Where `wanted` sit in generation `generation` (episode_snapshot_keys), each looked up once per
 * generation and process: a generation never changes once recorded, and finding every changed
 * episode's key at every read point cost ≈ 55 ms for 274 of them at five national years (a
 * 1 024-row granule each), where one new id costs 4.
 */
async function keysIn(client: ClickHouseClient, db: string, generation: number, wanted: string[], since: string) {
  let known = knownKeys.get(db);
  if (!known || known.generation !== generation) knownKeys.set(db, (known = { generation, keys: new Map() }));
  const unseen = wanted.filter((id) => !known.keys.has(id));
  if (unseen.length > 0) {
    const which = unseen.length <= LITERAL_KEYS ? ids(unseen) : `(SELECT episode_id FROM ${db}.episode_facts_recent WHERE ${since})`;
    const found = await rows(client, `SELECT episode_id, region, discharged_day, version FROM ${db}.episode_snapshot_keys WHERE generation = ${int(generation)} AND episode_id IN ${which}`);
    for (const k of found) known.keys.set(String(k.episode_id), { key: { region: String(k.region), dischargedDay: Number(k.discharged_day), episodeId: String(k.episode_id) }, version: Number(k.version) });
    for (const id of unseen) if (!known.keys.has(id)) known.keys.set(id, null);
  }
  return known.keys;
}

/** The episodes whose generation rows this process copied to episode_snapshot_changed, per database, for its newest generation. */
const copied = new Map<string, { generation: number; ids: Set<string> }>();
const SNAPSHOT_COLUMNS = ['generation', 'episode_id', 'version', ...FACT_COLUMNS].join(', ');

/**
 * Copies the generation rows of changed episodes not copied yet (by this process) to
 * episode_snapshot_changed: found by their sort key once per read point, not once per query
 * (migration 018). Another process may copy them too; readers take one row per id.
 */
async function copyChangedRows(client: ClickHouseClient, db: string, generation: number, keys: SnapshotKey[]): Promise<void> {
  let done = copied.get(db);
  if (!done || done.generation !== generation) copied.set(db, (done = { generation, ids: new Set() }));
  const fresh = keys.filter((k) => !done.ids.has(k.episodeId));
  if (fresh.length === 0) return;
  await command(client, `INSERT INTO ${db}.episode_snapshot_changed (${SNAPSHOT_COLUMNS}) SELECT ${SNAPSHOT_COLUMNS} FROM ${db}.episode_snapshot
    WHERE generation = ${int(generation)} AND ${SORT_KEY} IN ${tuples(fresh)}`);
  for (const k of fresh) done.ids.add(k.episodeId);
}

/**
 * Writes the delta of the changed episodes `c` in generation `at` to episode_snapshot_delta (migration
 * 019) under a new point: each one's generation row with sign -1 and its newest version with sign
 * +1 (the newest of its versions stored since the watermark and, where newer than all of them, its
 * generation row). A generation's sums plus these signed rows are the sums over every episode's
 * newest version; the generation's rows without the changed ones plus the +1 rows are the rows.
 * Once per read point, not once per query and branch. Returns the point.
 */
async function writeDelta(client: ClickHouseClient, db: string, at: Pick<ReadPoint, 'generation' | 'watermarkSeconds'>, c: Omit<Changed, 'point'>): Promise<number> {
  // Unique per read point even across processes (each writes and reads its own).
  const point = Date.now() * 1000 + Math.floor(Math.random() * 1000);
  const head = `${int(at.generation)} AS generation, ${int(point)} AS point`;
  const all = ['episode_id', 'version', ...FACT_COLUMNS].join(', ');
  const versions = [`SELECT ${all} FROM ${db}.episode_facts_recent WHERE ${sinceWatermark(at)} AND episode_id IN ${ids(c.ids)}`];
  if (c.stale.length > 0) versions.push(`SELECT ${all} FROM ${copiedRows(db, at, c.stale)}`);
  const parts = [`SELECT ${head}, toInt8(1) AS sign, episode_id, latest_version AS version, ${FACT_COLUMNS.join(', ')} FROM ${collapsed(FACT_COLUMNS, versions)}`];
  if (c.inGeneration.length > 0) parts.push(`SELECT ${head}, toInt8(-1) AS sign, ${all} FROM ${copiedRows(db, at, c.inGeneration)}`);
  await command(client, `INSERT INTO ${db}.episode_snapshot_delta (generation, point, sign, ${all}) ${parts.join('\n    UNION ALL\n    ')}`);
  return point;
}

/** The generation rows of `keys` (changed episodes' rows, copied by readPoint), one per episode. */
const copiedRows = (db: string, at: Pick<ReadPoint, 'generation'>, keys: SnapshotKey[]) =>
  `(SELECT * FROM ${db}.episode_snapshot_changed WHERE generation = ${int(at.generation)} AND episode_id IN ${ids(keys.map((k) => k.episodeId))} LIMIT 1 BY episode_id)`;

/** Versions stored since the read point's watermark (episode_facts_recent's stamp). */
const sinceWatermark = (at: Pick<ReadPoint, 'watermarkSeconds'>) => `ingested_at >= toDateTime(${int(at.watermarkSeconds)}, 'UTC')`;

/** The fact columns `uses` names (all without): each argMax costs, and a query's few columns took a fifth of the time all of them did. */
const factColumnsIn = (uses?: string): string[] => (uses === undefined ? FACT_COLUMNS : columnsIn(uses).filter((c) => c !== 'episode_id' && c !== 'latest_version'));

/** Each episode's newest version in `versions` (rows of episode_id, version and `wanted`), as latest_version and `wanted`. */
const collapsed = (wanted: readonly string[], versions: readonly string[]) =>
  `(SELECT episode_id, max(version) AS latest_version${wanted.map((c) => `, argMax(${c}, version) AS ${c}`).join('')}
    FROM (${versions.join('\n      UNION ALL\n      ')}) GROUP BY episode_id)`;

const ids = (list: string[]) => `(${list.map(str).join(', ')})`;
const tuples = (list: SnapshotKey[]) => `(${list.map((k) => `(${str(k.region)}, ${int(k.dischargedDay)}, ${str(k.episodeId)})`).join(', ')})`;
const SORT_KEY = '(region, discharged_day, episode_id)';

/** Every column of the read model, in the order of `facts()`. */
export const ALL_COLUMNS = ['episode_id', 'latest_version', ...FACT_COLUMNS];
/** The read model's columns that `sql` names (what a query over it needs to read). */
export const columnsIn = (sql: string): string[] => ALL_COLUMNS.filter((c) => new RegExp(`\\b${c}\\b`).test(sql));

export const fromSnapshot = (columns: readonly string[]) => columns.map((c) => (c === 'latest_version' ? 'version AS latest_version' : c)).join(', ');

/** The read point's delta rows (see writeDelta) that satisfy `cond`. */
const deltaRows = (db: string, at: At, select: string, cond: string) =>
  `SELECT ${select} FROM ${db}.episode_snapshot_delta WHERE generation = ${int(at.generation)} AND point = ${int(at.changed.point)} AND ${cond}`;

/**
 * The changed episodes' delta rows that satisfy `cond`, with their `sign` and `columns`: per
 * changed episode its generation row with sign -1 (where it has one) and its newest version with
 * sign +1 (writeDelta). Added, signed, to the sums over every generation row that satisfies `cond`,
 * they give the sums over every episode's newest version (rollup-sql.ts). Null when none changed.
 */
export const changedDelta = (db: string, at: At, cond: string, columns: readonly string[] = ALL_COLUMNS): string | null =>
  listed(at).ids.length === 0 ? null : `(${deltaRows(db, at, `sign, ${fromSnapshot(columns)}`, cond)})`;

/**
 * The newest version of each episode changed since the watermark, as the read point wrote it
 * (writeDelta: the newest of its versions stored since and, only where newer than all of them, its
 * generation row). With `uses` (SQL that reads it), only the columns it names. Null when no
 * episode changed.
 */
export const changedEpisodes = (db: string, at: At, uses?: string): string | null => {
  if (listed(at).ids.length === 0) return null;
  return `(${deltaRows(db, at, fromSnapshot(['episode_id', 'latest_version', ...factColumnsIn(uses)]), 'sign = 1')})`;
};

/**
 * The latest version of every episode that satisfies `cond` (a condition on episode_facts'
 * columns), as a FROM source with `columns` (of ALL_COLUMNS; a query names the few it reads, so
 * the server reads only those of the snapshot's rows). `cond` is applied in both branches: the
 * snapshot's rows are sorted by region and discharge day, so a region's or a period's condition
 * reads only its own granules. Before any generation exists, every version is collapsed.
 * With `o.table`, the generation's rows are read from that table of the same rows (the rows'
 * table, sorted otherwise), with `o.prune` (a condition on its own columns, implied by `cond`),
 * all of it as PREWHERE: the columns asked for are then read only for granules holding a match.
 */
export function currentEpisodes(db: string, cond: string, at: At, columns: readonly string[] = ALL_COLUMNS, o: { table?: string; prune?: string } = {}): string {
  const list = columns.join(', ');
  if (at.generation === 0) return `(SELECT ${list} FROM ${facts(db, cond)} WHERE ${cond})`;
  if (at.changed.many) return manyChanged(db, cond, at, columns, o);
  const changedNow = changedEpisodes(db, at, `${list} ${cond}`);
  const unchanged = unchangedRows(db, cond, at, columns, o);
  return changedNow ? `(${unchanged}
    UNION ALL
    SELECT ${list} FROM ${changedNow} WHERE ${cond})` : `(${unchanged})`;
}

/**
 * Every generation row that satisfies `cond`, changed episodes' included: for a sum that adds the
 * changed episodes' delta (changedDelta) once for all its parts (rollup-sql.ts). Needs a generation.
 */
export const generationEpisodes = (db: string, cond: string, at: At, columns: readonly string[] = ALL_COLUMNS): string =>
  `(${generationRows(db, fromSnapshot(columns), at, cond, {})})`;

/** The changed episodes named one by one: a read point past MAX_CHANGED names none (its rollups are not read, so nothing asks). */
function listed(at: At): Changed {
  if (at.changed.many) throw new UtklarError('INTERNAL', 'read model: a read point past MAX_CHANGED lists no changed episode (read it through currentEpisodes)');
  return at.changed;
}

const unchangedRows = (db: string, cond: string, at: At, columns: readonly string[], o: { table?: string; prune?: string }): string => {
  const changed = listed(at).ids;
  return generationRows(db, fromSnapshot(columns), at, `${cond}${changed.length > 0 ? ` AND episode_id NOT IN ${ids(changed)}` : ''}`, o);
};

/** `select` over the generation's rows that satisfy `cond` (from `o.table` where given, its `o.prune` with the rest as PREWHERE). */
const generationRows = (db: string, select: string, at: At, cond: string, o: { table?: string; prune?: string }): string =>
  `SELECT ${select} FROM ${db}.${o.table ?? 'episode_snapshot'}
      ${o.table ? 'PREWHERE' : 'WHERE'} generation = ${int(at.generation)} AND ${o.prune ? `${o.prune} AND ` : ''}${cond}`;

/**
 * currentEpisodes past MAX_CHANGED: every episode that may satisfy `cond` collapsed from its
 * generation row and every version stored since the watermark, in one GROUP BY, so that each
 * episode is one row however the versions stored during the query fall (a NOT IN of the changed
 * ids in one branch and an IN in another would each be evaluated at its own moment, and an
 * episode changed in between would count twice or not at all). The candidates: the generation's
 * rows that satisfy `cond`, the versions since (all of them: a few minutes of a replay), and the
 * generation rows of the episodes with a version since that satisfies `cond` (found through the
 * keys: their generation row may be newer, a replay of old versions). Slower than naming the
 * changed episodes (the generation's matching rows are grouped too), far faster than collapsing
 * every version, and it lasts only until the next generation.
 */
function manyChanged(db: string, cond: string, at: At, columns: readonly string[], o: { table?: string; prune?: string }): string {
  const list = columns.join(', ');
  const wanted = factColumnsIn(`${list} ${cond}`);
  const all = ['episode_id', 'version', ...wanted].join(', ');
  const since = sinceWatermark(at);
  const keysChanged = `(SELECT region, discharged_day, episode_id FROM ${db}.episode_snapshot_keys
      WHERE generation = ${int(at.generation)} AND episode_id IN (SELECT episode_id FROM ${db}.episode_facts_recent WHERE ${since} AND ${cond}))`;
  return `(SELECT ${list} FROM ${collapsed(wanted, [
    generationRows(db, all, at, cond, o),
    `SELECT ${all} FROM ${db}.episode_facts_recent WHERE ${since}`,
    generationRows(db, all, at, `${SORT_KEY} IN ${keysChanged}`, {}),
  ])} WHERE ${cond})`;
}

export async function rows(client: ClickHouseClient, query: string): Promise<Record<string, unknown>[]> {
  try {
    return await (await client.query({ query, format: 'JSONEachRow', clickhouse_settings: QUERY_SETTINGS })).json<Record<string, unknown>>();
  } catch (cause) {
    throw new UtklarError('DEPENDENCY_UNAVAILABLE', `clickhouse: snapshot query failed: ${(cause as Error).message}`, { retriable: true, cause });
  }
}

export async function command(client: ClickHouseClient, query: string): Promise<void> {
  try {
    await client.command({ query, clickhouse_settings: QUERY_SETTINGS });
  } catch (cause) {
    throw new UtklarError('DEPENDENCY_UNAVAILABLE', `clickhouse: snapshot statement failed: ${(cause as Error).message}`, { retriable: true, cause });
  }
}

