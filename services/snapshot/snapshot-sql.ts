import type { ClickHouseClient } from '@clickhouse/client';
import { collapse, FACT_COLUMNS, int } from '../indicators/sql.ts';
import { command, currentEpisodes, generationPoint, MARGIN_SECONDS, readPoint, ROLLUP_TABLES, rows, type ReadPoint } from './read-model.ts';
import { GENERATION_ANSWERS } from './generation-answers.ts';
import { buildRollup } from './rollup-sql.ts';
import { buildPaymentRollup } from './payment-rollup.ts';
import { buildRowsTable } from './rows-sql.ts';

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
  /** Of `ms`, the time the common pages' answers took (see `warm`). */
  warmMs: number;
}

/** Computes and stores a new generation's common answers before readers switch to it (services/api/warm-pages.ts). */
export type WarmGeneration = (point: ReadPoint) => Promise<void>;

export async function snapshotState(client: ClickHouseClient, db: string): Promise<SnapshotState> {
  const [g] = await rows(client, `SELECT max(generation) AS g, toUInt32(argMax(watermark, generation)) AS w, argMax(episodes, generation) AS e, toUInt64(argMax(built_at, generation)) * 1000 AS b FROM ${db}.episode_snapshot_generations`);
  const [d] = await rows(client, `SELECT count() AS delta FROM ${db}.episode_facts_recent WHERE ingested_at >= toDateTime(${int(Number(g!.w))}, 'UTC')`);
  return { generation: Number(g!.g), watermarkSeconds: Number(g!.w), episodes: Number(g!.e), builtAtMs: Number(g!.b), delta: Number(d!.delta) };
}

const COLUMN_LIST = ['generation', 'episode_id', 'version', ...FACT_COLUMNS].join(', ');

/**
 * Builds a new generation (its snapshot rows, their keys by id, its rollup) and makes it the one
 * readers use. `from: 'facts'` collapses every version in episode_facts (in `chunks` passes by episode hash, to bound the aggregation's
 * memory); `from: 'previous'` copies the current read model (the newest generation plus what was
 * stored since), which costs a copy instead of a collapse and gives the same rows. Generations
 * older than the two newest are dropped, by partition: a reader that picked the previous one a
 * moment ago still finds it.
 */
export async function buildSnapshot(
  client: ClickHouseClient, db: string,
  o: { from?: 'facts' | 'previous'; chunks?: number; now?: () => number; warm?: WarmGeneration } = {},
): Promise<SnapshotBuild> {
  const now = o.now ?? Date.now;
  const started = now();
  // Unique even if two processes build at once during an ownership handover: they never share a partition.
  const generation = started * 1000 + Math.floor(Math.random() * 1000);
  const mark = await watermarkAt(client);
  // A copy reads the changed episodes one by one; past MAX_CHANGED of them (a replay) it collapses
  // episode_facts instead, in `chunks` passes when given.
  const point = o.from === 'previous' ? await readPoint(client, db) : null;
  const previous = point && point.generation > 0 ? point : null;
  const from = o.from === 'previous' && previous ? 'previous' : 'facts';
  const chunks = from === 'facts' ? Math.max(1, o.chunks ?? 1) : 1;
  for (let k = 0; k < chunks; k++) {
    const source = previous ? currentEpisodes(db, '1', previous) : collapse(db, chunks > 1 ? `cityHash64(episode_id) % ${int(chunks)} = ${int(k)}` : undefined);
    await command(client, `INSERT INTO ${db}.episode_snapshot (${COLUMN_LIST}) SELECT ${int(generation)} AS generation, episode_id, latest_version AS version, ${FACT_COLUMNS.join(', ')} FROM ${source}`);
  }
  // One part per generation: the changed episodes' rows and each region's open ones are then a
  // granule each to read, not one per chunk part (6 s for six national years' 6 M rows on 18.16).
  await command(client, `OPTIMIZE TABLE ${db}.episode_snapshot PARTITION ${int(generation)} FINAL`);
  await command(client, `INSERT INTO ${db}.episode_snapshot_keys (generation, episode_id, version, region, discharged_day) SELECT generation, episode_id, version, region, discharged_day FROM ${db}.episode_snapshot WHERE generation = ${int(generation)}`);
  await buildRollup(client, db, generation);
  await buildPaymentRollup(client, db, generation);
  await buildRowsTable(client, db, generation);
  const [c] = await rows(client, `SELECT count() AS n FROM ${db}.episode_snapshot WHERE generation = ${int(generation)}`);
  const episodes = Number(c!.n);
  // Its common pages answered before it is recorded: until then readers keep the one before.
  const warmedAt = now();
  if (o.warm) await o.warm(generationPoint(generation, mark));
  const warmMs = now() - warmedAt;
  const ms = now() - started;
  const rollups = `[${ROLLUP_TABLES.map((t) => `'${t}'`).join(', ')}]`;
  await command(client, `INSERT INTO ${db}.episode_snapshot_generations (generation, watermark, episodes, build_ms, built_at, rollups) VALUES (${int(generation)}, ${int(mark)}, ${int(episodes)}, ${int(Math.min(ms, 4_000_000_000))}, ${int(Math.floor(now() / 1000))}, ${rollups})`);
  return { generation, episodes, ms, from, dropped: await dropOld(client, db), warmMs };
}

/**
 * The watermark of a generation whose build starts now: no version it will not see carries an
 * earlier stamp. The server stamps each fact as it stores it (episode_facts.ingested_at DEFAULT
 * now(), evaluated once the insert runs), so a version the build does not see comes from an
 * insert that starts after this moment (stamped at or after it) or runs now (stamped no earlier
 * than its start, and it shows in system.processes with its elapsed time until it has stored its
 * rows). The watermark sits before the start of the oldest insert running now, two seconds more for
 * the stamps' whole seconds. It was `MARGIN_SECONDS` (120 s) before the build when the row buffer
 * stamped rows itself: after a burst every query collapsed its last two minutes of versions. A
 * server that will not list its processes gets that margin back.
 */
export async function watermarkAt(client: ClickHouseClient): Promise<number> {
  // Anchored at the start: this query's own text names the pattern too, but begins with SELECT.
  const inserting = `(SELECT max(elapsed) FROM system.processes WHERE like(lower(query), 'insert into %episode_facts%'))`;
  try {
    const [r] = await rows(client, `SELECT toUInt32(now()) AS now, ${inserting} AS running`);
    return Number(r!.now) - Math.ceil(Number(r!.running) || 0) - 2;
  } catch {
    const [r] = await rows(client, 'SELECT toUInt32(now()) AS now');
    return Number(r!.now) - MARGIN_SECONDS;
  }
}

/**
 * Drops every snapshot, key and rollup partition older than the two newest recorded generations (a
 * failed build's too), and the hours of episode_facts_recent that end before the older one's watermark:
 * no reader of a kept generation asks for them.
 */
async function dropOld(client: ClickHouseClient, db: string): Promise<number> {
  const kept = await rows(client, `SELECT generation, toUInt32(watermark) AS w FROM ${db}.episode_snapshot_generations ORDER BY generation DESC LIMIT 2`);
  if (kept.length === 0) return 0;
  const oldest = Math.min(...kept.map((k) => Number(k.w)));
  const hours = await rows(client, `SELECT DISTINCT intDiv(toUInt32(ingested_at), 3600) AS h FROM ${db}.episode_facts_recent WHERE ingested_at < toDateTime(${int(oldest)}, 'UTC')`);
  for (const { h } of hours) if ((Number(h) + 1) * 3600 <= oldest) await command(client, `ALTER TABLE ${db}.episode_facts_recent DROP PARTITION ${int(Number(h))}`);
  if (kept.length < 2) return 0;
  const keepFrom = Math.min(...kept.map((k) => Number(k.generation)));
  let dropped = 0;
  for (const table of ['episode_snapshot', 'episode_snapshot_keys', 'episode_snapshot_changed', 'episode_snapshot_delta', GENERATION_ANSWERS, ...ROLLUP_TABLES]) {
    const present = (await rows(client, `SELECT DISTINCT generation FROM ${db}.${table} WHERE generation < ${int(keepFrom)}`)).map((r) => Number(r.generation));
    for (const g of present) await command(client, `ALTER TABLE ${db}.${table} DROP PARTITION ${int(g)}`);
    if (table === 'episode_snapshot') dropped = present.length;
  }
  return dropped;
}
