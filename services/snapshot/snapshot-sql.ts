import type { ClickHouseClient } from '@clickhouse/client';
import { UtklarError } from '../core/errors.ts';
import { collapse, FACT_COLUMNS, int } from '../indicators/sql.ts';

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

const newest = (db: string) => `(SELECT max(generation) FROM ${db}.episode_snapshot_generations)`;
const watermark = (db: string) => `(SELECT argMax(watermark, generation) FROM ${db}.episode_snapshot_generations)`;
/** Episodes with a version stored since the newest generation's watermark (all of them when there is none). */
const changed = (db: string) => `(SELECT episode_id FROM ${db}.episode_facts WHERE ingested_at >= ${watermark(db)})`;

/**
 * The latest version of every episode that satisfies `cond` (a condition on episode_facts'
 * columns), with the columns of `facts()` (episode_id, latest_version, FACT_COLUMNS), as a FROM
 * source. `cond` is applied in both branches: the snapshot's rows are sorted by region and
 * discharge day, so a region's or a period's condition reads only its own granules.
 */
export const currentEpisodes = (db: string, cond: string): string =>
  `(SELECT episode_id, version AS latest_version, ${FACT_COLUMNS.join(', ')} FROM ${db}.episode_snapshot
      WHERE generation = ${newest(db)} AND episode_id NOT IN ${changed(db)} AND ${cond}
    UNION ALL
    SELECT * FROM ${collapse(db, `episode_id IN ${changed(db)}`)} WHERE ${cond})`;

export interface SnapshotState {
  /** 0: none built yet (every episode is then read from episode_facts). */
  generation: number;
  watermarkSeconds: number;
  episodes: number;
  builtAtMs: number;
  /** Versions stored since the watermark: what each query collapses on top of the snapshot. */
  delta: number;
}

export interface SnapshotBuild {
  generation: number;
  episodes: number;
  ms: number;
  from: 'facts' | 'previous';
  dropped: number;
}

async function rows(client: ClickHouseClient, query: string): Promise<Record<string, unknown>[]> {
  try {
    return await (await client.query({ query, format: 'JSONEachRow' })).json<Record<string, unknown>>();
  } catch (cause) {
    throw new UtklarError('DEPENDENCY_UNAVAILABLE', `clickhouse: snapshot query failed: ${(cause as Error).message}`, { retriable: true, cause });
  }
}

async function command(client: ClickHouseClient, query: string): Promise<void> {
  try {
    await client.command({ query });
  } catch (cause) {
    throw new UtklarError('DEPENDENCY_UNAVAILABLE', `clickhouse: snapshot statement failed: ${(cause as Error).message}`, { retriable: true, cause });
  }
}

export async function snapshotState(client: ClickHouseClient, db: string): Promise<SnapshotState> {
  // Aliases unlike the columns: an alias named like a column would stand for it inside argMax.
  const [g] = await rows(client, `SELECT max(generation) AS g, toUInt32(argMax(watermark, generation)) AS w, argMax(episodes, generation) AS e, toUInt64(argMax(built_at, generation)) * 1000 AS b FROM ${db}.episode_snapshot_generations`);
  const [d] = await rows(client, `SELECT count() AS delta FROM ${db}.episode_facts WHERE ingested_at >= toDateTime(${int(Number(g!.w))}, 'UTC')`);
  return { generation: Number(g!.g), watermarkSeconds: Number(g!.w), episodes: Number(g!.e), builtAtMs: Number(g!.b), delta: Number(d!.delta) };
}

const COLUMN_LIST = ['generation', 'episode_id', 'version', ...FACT_COLUMNS].join(', ');

/**
 * Builds a new generation and makes it the one readers use. `from: 'facts'` collapses every
 * version in episode_facts (in `chunks` passes by episode hash, to bound the aggregation's
 * memory); `from: 'previous'` copies the current read model (the newest generation plus what was
 * stored since), which costs a copy instead of a collapse and gives the same rows. Generations
 * older than the two newest are dropped, by partition: a reader that picked the previous one a
 * moment ago still finds it.
 */
export async function buildSnapshot(
  client: ClickHouseClient, db: string,
  o: { from?: 'facts' | 'previous'; chunks?: number; now?: () => number } = {},
): Promise<SnapshotBuild> {
  const now = o.now ?? Date.now;
  const started = now();
  const from = o.from ?? 'facts';
  // Unique even if two processes build at once during an ownership handover: they never share a partition.
  const generation = started * 1000 + Math.floor(Math.random() * 1000);
  const mark = Math.floor(started / 1000) - MARGIN_SECONDS;
  const chunks = from === 'facts' ? Math.max(1, o.chunks ?? 1) : 1;
  for (let k = 0; k < chunks; k++) {
    const source = from === 'previous' ? currentEpisodes(db, '1') : collapse(db, chunks > 1 ? `cityHash64(episode_id) % ${int(chunks)} = ${int(k)}` : undefined);
    await command(client, `INSERT INTO ${db}.episode_snapshot (${COLUMN_LIST}) SELECT ${int(generation)} AS generation, episode_id, latest_version AS version, ${FACT_COLUMNS.join(', ')} FROM ${source}`);
  }
  const [c] = await rows(client, `SELECT count() AS n FROM ${db}.episode_snapshot WHERE generation = ${int(generation)}`);
  const episodes = Number(c!.n);
  const ms = now() - started;
  await command(client, `INSERT INTO ${db}.episode_snapshot_generations (generation, watermark, episodes, build_ms, built_at) VALUES (${int(generation)}, ${int(mark)}, ${int(episodes)}, ${int(Math.min(ms, 4_000_000_000))}, ${int(Math.floor(now() / 1000))})`);
  return { generation, episodes, ms, from, dropped: await dropOld(client, db) };
}

/** Drops every snapshot partition older than the two newest recorded generations (a failed build's too). */
async function dropOld(client: ClickHouseClient, db: string): Promise<number> {
  const recorded = (await rows(client, `SELECT DISTINCT generation FROM ${db}.episode_snapshot_generations ORDER BY generation DESC LIMIT 2`)).map((r) => Number(r.generation));
  if (recorded.length < 2) return 0;
  const keepFrom = Math.min(...recorded);
  const present = (await rows(client, `SELECT DISTINCT generation FROM ${db}.episode_snapshot WHERE generation < ${int(keepFrom)}`)).map((r) => Number(r.generation));
  for (const g of present) await command(client, `ALTER TABLE ${db}.episode_snapshot DROP PARTITION ${int(g)}`);
  return present.length;
}
