import type { ClickHouseClient } from '@clickhouse/client';
import { UtklarError } from '../core/errors.ts';
import { facts, FACT_COLUMNS, int } from '../indicators/sql.ts';

/** Where the indicators read each episode's latest version (see Ctx.readModel). */
export type ReadModel = 'snapshot' | 'episode-level';

/**
 * The episode snapshot's SQL (migration 005). A generation holds each episode's latest version as
 * of its build; the versions stored since (ingested_at at or after its watermark) are collapsed at
 * query time from episode_facts, and those episodes' snapshot rows are left out. That union is the
 * latest version of every episode, exactly, whatever was replayed, duplicated or corrected since:
 * nothing is ever retracted, because a generation is a function of episode_facts.
 *
 * Why the watermark holds: the row buffer stamps `ingested_at` at each insert attempt, so a version
 * the build did not see (stored after the build began) carries a stamp no earlier than the build's
 * start minus the longest insert attempt; the watermark sits `MARGIN_SECONDS` before the start.
 */
export const MARGIN_SECONDS = 120;

/** The generation readers use and its watermark; generation 0: none built yet. */
export interface ReadPoint {
  generation: number;
  watermarkSeconds: number;
  /** The generation's closed episodes are aggregated ahead (episode_rollup; a generation built before migration 007 has none). */
  rollup: boolean;
  /** Versions stored since the watermark, as the request began: grows with each one stored (an answer cache's key). */
  changes: number;
}

type At = Pick<ReadPoint, 'generation' | 'watermarkSeconds'>;
const since = (at: At) => `ingested_at >= toDateTime(${int(at.watermarkSeconds)}, 'UTC')`;

/** The newest recorded generation, resolved once per request so its partition is a literal the server prunes by. */
export async function readPoint(client: ClickHouseClient, db: string): Promise<ReadPoint> {
  // One round trip (it precedes every request's queries). Aliases unlike the columns: an alias
  // named like a column would stand for it inside argMax.
  const g = `(SELECT max(generation) FROM ${db}.episode_snapshot_generations)`;
  const w = `(SELECT argMax(watermark, generation) FROM ${db}.episode_snapshot_generations)`;
  const [r] = await rows(client, `SELECT ${g} AS g, toUInt32(${w}) AS w,
    (SELECT count() FROM ${db}.episode_rollup WHERE generation = ${g}) AS n,
    (SELECT count() FROM ${db}.episode_facts_recent WHERE ingested_at >= ${w}) AS c`);
  const generation = Number(r!.g);
  return { generation, watermarkSeconds: Number(r!.w), rollup: generation > 0 && Number(r!.n) > 0, changes: generation > 0 ? Number(r!.c) : 0 };
}

/** Episodes with a version stored since the watermark: the last hours of episode_facts_recent (migration 006). */
export const changed = (db: string, at: Pick<ReadPoint, 'watermarkSeconds'>) =>
  `(SELECT episode_id FROM ${db}.episode_facts_recent WHERE ${since(at as At)})`;

/** Every column of the read model, in the order of `facts()`. */
export const ALL_COLUMNS = ['episode_id', 'latest_version', ...FACT_COLUMNS];

const fromSnapshot = (columns: readonly string[]) => columns.map((c) => (c === 'latest_version' ? 'version AS latest_version' : c)).join(', ');

/** Where the changed episodes' generation rows sit in its sort order (`extra`: a condition on episode_snapshot_keys). */
const changedKeys = (db: string, at: At, extra = '1') =>
  `(SELECT region, discharged_day FROM ${db}.episode_snapshot_keys WHERE generation = ${int(at.generation)} AND episode_id IN ${changed(db, at)} AND ${extra})`;

/**
 * The changed episodes' rows in generation `at` that satisfy `cond`, with `columns`: found through
 * episode_snapshot_keys (their place in the snapshot's sort order), and `cond` read with the sort
 * key, so a region's question reads that region's few granules, not every row's id.
 */
export const changedInSnapshot = (db: string, at: At, cond: string, columns: readonly string[] = ALL_COLUMNS) =>
  `(SELECT ${fromSnapshot(columns)} FROM ${db}.episode_snapshot
      WHERE generation = ${int(at.generation)} AND ${cond}
        AND (region, discharged_day) IN ${changedKeys(db, at)}
        AND episode_id IN ${changed(db, at)})`;

/**
 * The newest version of each episode changed since the watermark, every column: the newest of its
 * versions stored since (the recent hours) and its generation row. Every version older than the
 * watermark is in the generation (see MARGIN_SECONDS). The generation row is read only where it is
 * newer than every version stored since (a replay of old versions): nearly never, so this reads
 * the recent hours and a narrow key lookup, never the version history.
 */
export const changedEpisodes = (db: string, at: At) => {
  const all = ['episode_id', 'version', ...FACT_COLUMNS];
  const newest = `(SELECT episode_id, max(version) AS stored FROM ${db}.episode_facts_recent WHERE ${since(at)} GROUP BY episode_id)`;
  const stale = `(SELECT region, discharged_day FROM ${db}.episode_snapshot_keys ANY INNER JOIN ${newest} AS newest USING episode_id
      WHERE generation = ${int(at.generation)} AND episode_id IN ${changed(db, at)} AND version > stored)`;
  const versions = `(SELECT ${all.join(', ')} FROM ${db}.episode_facts_recent WHERE ${since(at)}
    UNION ALL
    SELECT ${all.join(', ')} FROM ${db}.episode_snapshot
      WHERE generation = ${int(at.generation)} AND (region, discharged_day) IN ${stale} AND episode_id IN ${changed(db, at)})`;
  return `(SELECT episode_id, max(version) AS latest_version, ${FACT_COLUMNS.map((c) => `argMax(${c}, version) AS ${c}`).join(', ')} FROM ${versions} GROUP BY episode_id)`;
};

/**
 * The latest version of every episode that satisfies `cond` (a condition on episode_facts'
 * columns), as a FROM source with `columns` (of ALL_COLUMNS; a query names the few it reads, so
 * the server reads only those of the snapshot's rows). `cond` is applied in both branches: the
 * snapshot's rows are sorted by region and discharge day, so a region's or a period's condition
 * reads only its own granules. Before any generation exists, every version is collapsed.
 */
export function currentEpisodes(db: string, cond: string, at: At, columns: readonly string[] = ALL_COLUMNS): string {
  const list = columns.join(', ');
  if (at.generation === 0) return `(SELECT ${list} FROM ${facts(db, cond)} WHERE ${cond})`;
  return `(SELECT ${fromSnapshot(columns)} FROM ${db}.episode_snapshot
      WHERE generation = ${int(at.generation)} AND ${cond} AND episode_id NOT IN ${changed(db, at)}
    UNION ALL
    SELECT ${list} FROM ${changedEpisodes(db, at)} WHERE ${cond})`;
}

export async function rows(client: ClickHouseClient, query: string): Promise<Record<string, unknown>[]> {
  try {
    return await (await client.query({ query, format: 'JSONEachRow' })).json<Record<string, unknown>>();
  } catch (cause) {
    throw new UtklarError('DEPENDENCY_UNAVAILABLE', `clickhouse: snapshot query failed: ${(cause as Error).message}`, { retriable: true, cause });
  }
}

export async function command(client: ClickHouseClient, query: string): Promise<void> {
  try {
    await client.command({ query });
  } catch (cause) {
    throw new UtklarError('DEPENDENCY_UNAVAILABLE', `clickhouse: snapshot statement failed: ${(cause as Error).message}`, { retriable: true, cause });
  }
}

