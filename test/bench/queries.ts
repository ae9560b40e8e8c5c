/**
 * The query benchmark (npm run bench:queries, issue #21): national data, every endpoint.
 *  1. writes synthetic national episode facts (national-facts.ts: 21 regions, 290 kommuner,
 *     ≈ 1.2 M episodes a year, 2–3 versions each) for 1 and 5 years into a database of its own,
 *     on a ClickHouse server and/or embedded chDB;
 *  2. builds the indicators' read model on it (the episode snapshot) and times the build;
 *  3. runs every endpoint of the query API (the API's own handlers, so the SQL is exactly what a
 *     request runs) for a region-year, the nation-year and a municipality-year, through the read
 *     model and through the episode-level SQL (every version collapsed at query time), checks
 *     that both give the same answer, and reports p50/p95 per endpoint and scope.
 * Ends with one line per data size:
 *   RESULT queries years=<n> p95_max_ms=<n> slowest=<endpoint> ratio_vs_episode_level=<r>
 * where the ratio is Σ p95 through the read model ÷ Σ p95 episode-level over the same cases.
 *
 *   npm run bench:queries [-- --years 1,5] [--clickhouse server|embedded|both] [--runs 20]
 *                         [--episode-level-runs 3] [--episodes-per-year 1200000] [--seed 7]
 *                         [--keep] [--json]
 *                         [--database NAME]  (server: measure a database kept by an earlier --keep run)
 *                         [--times]  (each case's first run and timed runs, in order: a slow start shows)
 *                         [--chdb-dir DIR]  (embedded: chDB's directory, kept; with --database, an earlier run's)
 *                         [--only rows,waiting]  (these endpoints only)
 *                         [--changes 200]  (episodes given a newer version after the build, as live traffic leaves
 *                                           them: ≈ 330 versions an hour nationally, a generation every 10 minutes)
 *                         [--rebuild]  (with --database: a new generation first, copied from the kept one)
 *                         [--requests 2000] [--concurrency 50]  (mixed indicator requests over HTTP, 0: none)
 *                         [--live-changes 0]  (versions stored a second during the mixed requests, as live traffic:
 *                                              each a new read point, so cached answers at the one before are unreachable)
 *                         [--read-rows]  (server: rows and bytes each case reads, from system.query_log: a measure
 *                                         the machine's load does not move)
 */
import './quiet-logs.ts';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { ROUTES } from '../../services/api/routes.ts';
import { OREBRO_RULES } from '../../services/clock/rules.ts';
import { loadConfig, repoRoot } from '../../services/core/config.ts';
import { openChdbPool } from '../../services/sink-clickhouse/chdb-pool.ts';
import { epochDay, fromEpochDay, stockholmDay } from '../../services/core/stockholm-time.ts';
import { answers, type Ctx, type Result } from '../../services/indicators/indicators.ts';
import { parseFilters } from '../../services/model/filters.ts';
import { scopeText, type Scope } from '../../services/model/scope.ts';
import { loadPopulation } from '../../services/reference/population.ts';
import { migrate } from '../../services/sink-clickhouse/clickhouse.ts';
import { buildSnapshot, snapshotState } from '../../services/snapshot/snapshot-sql.ts';
import { DEFAULT_SNAPSHOT_POLICY } from '../../services/snapshot/snapshot-builder.ts';
import { readPoint, ROLLUP_TABLES, type ReadModel } from '../../services/snapshot/read-model.ts';
import { liveChanges, writeChanges, writeNationalFacts } from './national-facts.ts';
import { apiLoad, type LoadResult } from './api-load.ts';
import { COMMON_PAGES, warmPages } from '../../services/api/warm-pages.ts';
import { forgetStoredAnswers } from '../../services/snapshot/generation-answers.ts';
import { countyCodes } from '../../services/reference/municipalities.ts';
import { machine } from './report.ts';

const args = parseArgs({
  options: {
    years: { type: 'string', default: '1,5' },
    clickhouse: { type: 'string', default: 'both' },
    runs: { type: 'string', default: '20' },
    'episode-level-runs': { type: 'string', default: '3' },
    'episodes-per-year': { type: 'string', default: '1200000' },
    seed: { type: 'string', default: '7' },
    keep: { type: 'boolean', default: false },
    database: { type: 'string' },
    'chdb-dir': { type: 'string' },
    only: { type: 'string' },
    changes: { type: 'string', default: '200' },
    rebuild: { type: 'boolean', default: false },
    requests: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '50' },
    'live-changes': { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
    'read-rows': { type: 'boolean', default: false },
    times: { type: 'boolean', default: false },
  },
}).values;

function whole(name: string, v: string | undefined, min = 1): number {
  const x = Number(v);
  if (!Number.isInteger(x) || x < min) {
    console.error(`--${name} must be a whole number ≥ ${min}, got '${v}'`);
    process.exit(2);
  }
  return x;
}
const yearsList = (args.years ?? '').split(',').map((y) => whole('years', y));
const modes: ('server' | 'embedded')[] | null = args.clickhouse === 'both' ? ['server', 'embedded'] : args.clickhouse === 'server' || args.clickhouse === 'embedded' ? [args.clickhouse] : null;
if (!modes) {
  console.error(`--clickhouse must be server, embedded or both, got '${args.clickhouse}'`);
  process.exit(2);
}
const runs = whole('runs', args.runs);
const episodeLevelRuns = whole('episode-level-runs', args['episode-level-runs'], 0);
const episodesPerYear = whole('episodes-per-year', args['episodes-per-year']);
const seed = whole('seed', args.seed);
const changes = whole('changes', args.changes, 0);
const requests = whole('requests', args.requests, 0);
const concurrency = whole('concurrency', args.concurrency);
const livePerSecond = whole('live-changes', args['live-changes'], 0);

// A fixed "today", so that every run reads the same periods whatever the date.
const today = stockholmDay(Date.parse('2026-12-01T12:00:00+01:00'));
const year = fromEpochDay(today).year;
const population = loadPopulation();

interface Case { endpoint: string; scope: Scope; q: URLSearchParams }
const SCOPES: Scope[] = [{ kind: 'region', region: '18' }, { kind: 'nation' }, { kind: 'municipality', municipality: '1880' }];
const ENDPOINT_QUERIES: Record<string, string> = {
  overview: '',
  'indicators/mean-days': 'groupBy=month',
  'indicators/goal-fulfilment': 'groupBy=month',
  'indicators/per-1000': '',
  'indicators/occupied-beds': 'groupBy=hospital',
  'indicators/variation': '',
  waiting: '',
  payment: `month=${year}-11`,
  'track-colours': '',
  readmissions: 'groupBy=month',
  rows: 'limit=1000',
};
const only = args.only ? new Set(args.only.split(',')) : null;
const cases: Case[] = SCOPES.flatMap((scope) => Object.entries(ENDPOINT_QUERIES).filter(([endpoint]) => !only || only.has(endpoint)).map(([endpoint, q]) => ({ endpoint, scope, q: new URLSearchParams(q) })));
if (cases.length === 0) {
  console.error(`--only: none of ${Object.keys(ENDPOINT_QUERIES).join(', ')}`);
  process.exit(2);
}

function ctxOf(client: ClickHouseClient, db: string, c: Case, readModel: ReadModel): Ctx {
  const q = new URLSearchParams(c.q);
  for (const k of ['groupBy', 'month', 'limit']) q.delete(k);
  const filters = parseFilters(q, { fromDay: epochDay({ year, month: 1, day: 1 }), toDay: today });
  return { client, db, filters, scope: c.scope, today, rules: OREBRO_RULES, population, readModel };
}

/**
 * Forgets every answer, in this process and stored with the newest generation
 * (generation-answers.ts): the runs time the queries themselves, not a lookup of what the run
 * before computed.
 */
async function forget(client: ClickHouseClient, db: string): Promise<void> {
  answers.clear();
  await forgetStoredAnswers(client, db);
}

async function timed(client: ClickHouseClient, db: string, c: Case, readModel: ReadModel): Promise<{ ms: number; result: Result }> {
  // The queries themselves: an answer cached from the previous run would time a Map lookup.
  await forget(client, db);
  const t0 = performance.now();
  const result = await ROUTES[c.endpoint]!.handler(ctxOf(client, db, c, readModel), c.q);
  return { ms: performance.now() - t0, result };
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const round = (v: unknown): unknown => (typeof v === 'number' ? Math.round(v * 1e9) / 1e9 : Array.isArray(v) ? v.map(round) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, round(x)])) : v);
const same = (a: Result, b: Result) => JSON.stringify(round(a.rows)) === JSON.stringify(round(b.rows));

interface Reads { queries: number; rows: number; bytes: number }
interface CaseResult { endpoint: string; scope: string; rows: number; p50: number; p95: number; episodeLevelP50: number | null; episodeLevelP95: number | null; equal: boolean | null; reads: Reads | null }

/** What one request of the case read on the server: its queries' read rows and bytes (query_log, one run). */
async function readsOf(client: ClickHouseClient, db: string, c: Case): Promise<Reads> {
  const mark = `bench-${randomUUID()}`;
  await forget(client, db);
  const logged = new Proxy(client, {
    get: (target, prop) => (prop === 'query'
      ? (params: Parameters<ClickHouseClient['query']>[0]) => target.query({ ...params, query_id: `${mark}-${randomUUID()}`, clickhouse_settings: { ...params.clickhouse_settings, log_queries: 1 } })
      : Reflect.get(target, prop)),
  });
  await ROUTES[c.endpoint]!.handler(ctxOf(logged, db, c, 'snapshot'), c.q);
  await client.command({ query: 'SYSTEM FLUSH LOGS' });
  const [r] = await (await client.query({ query: `SELECT count() AS q, sum(read_rows) AS r, sum(read_bytes) AS b FROM system.query_log WHERE type = 2 AND query_id LIKE '${mark}-%' AND event_date >= yesterday()`, format: 'JSONEachRow' })).json<{ q: string; r: string; b: string }>();
  return { queries: Number(r!.q), rows: Number(r!.r), bytes: Number(r!.b) };
}
interface SizeResult { mode: 'server' | 'embedded'; years: number; versionRows: number; episodes: number; changedSince: number; load: LoadResult | null; warmLoad: LoadResult | null; liveChanges: number; writeMs: number; buildMs: number; cases: CaseResult[]; p95Max: number; slowest: string; ratio: number | null }

async function count(client: ClickHouseClient, table: string): Promise<number> {
  const [r] = await (await client.query({ query: `SELECT count() AS n FROM ${table}`, format: 'JSONEachRow' })).json<{ n: string }>();
  return Number(r!.n);
}

/**
 * Waits (up to two minutes) until no merge of `db`'s parts runs: right after a build the server
 * (and chDB, in this very process) merges the generation's new parts in the background, and the
 * first cases timed would measure that contention, not their queries.
 */
async function mergesDone(client: ClickHouseClient, db: string): Promise<{ ms: number; left: number }> {
  const t = performance.now();
  for (;;) {
    const [r] = await (await client.query({ query: `SELECT count() AS n FROM system.merges WHERE database = '${db}'`, format: 'JSONEachRow' })).json<{ n: string }>();
    const left = Number(r!.n);
    const ms = performance.now() - t;
    if (left === 0 || ms > 120_000) return { ms: left === 0 && ms < 50 ? 0 : ms, left };
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function open(mode: 'server' | 'embedded', dir: string): Promise<ClickHouseClient> {
  if (mode === 'server') {
    const port = process.env.UTKLAR_CLICKHOUSE_HTTP_PORT ?? '18123';
    return Promise.resolve(createClient({ url: process.env.CLICKHOUSE_URL ?? `http://127.0.0.1:${port}`, request_timeout: 600_000 }));
  }
  mkdirSync(dir, { recursive: true });
  // As the pipeline opens it (UTKLAR_CHDB_CONNECTIONS connections, chdb-pool.ts).
  return openChdbPool(dir, loadConfig().chdbConnections).then((connection) => createClient({ connection } as never));
}

async function measure(client: ClickHouseClient, mode: 'server' | 'embedded', years: number): Promise<SizeResult> {
  const reused = args.database !== undefined;
  const db = args.database ?? `bench_q_${randomUUID().slice(0, 8)}`;
  await migrate(client, db);
  try {
    let t = performance.now();
    const versionRows = reused ? await count(client, `${db}.episode_facts`) : await writeNationalFacts(client, db, { years, today, episodesPerYear, seed }, 5 * years);
    const writeMs = performance.now() - t;
    t = performance.now();
    const state = await snapshotState(client, db);
    const point = await readPoint(client, db);
    // A kept database's generation is measured as it is, unless it predates the rollup (then a copy builds one).
    // (As recorded with the generation: a read point past MAX_CHANGED names only the rows' tables.)
    const [recorded] = await (await client.query({ query: `SELECT argMax(rollups, generation) AS r FROM ${db}.episode_snapshot_generations`, format: 'JSONEachRow' })).json<{ r: string[] }>();
    const episodes = reused && point.generation > 0 && ROLLUP_TABLES.every((t) => recorded!.r.includes(t)) && !args.rebuild ? state.episodes
      : (await buildSnapshot(client, db, point.generation > 0 ? { from: 'previous' } : { from: 'facts', chunks: Math.max(1, Math.ceil(versionRows / DEFAULT_SNAPSHOT_POLICY.rowsPerPass)) })).episodes;
    const buildMs = performance.now() - t;
    const since = changes > 0 ? await writeChanges(client, db, (await readPoint(client, db)).generation, episodes, changes, seed) : 0;
    const settled = await mergesDone(client, db);
    if (settled.ms > 0) console.log(`  (waited ${(settled.ms / 1000).toFixed(1)} s for the build's background merges${settled.left > 0 ? `; ${settled.left} still running` : ''})`);
    console.log(`${mode}, ${years} year(s): ${versionRows.toLocaleString('sv-SE')} version rows, ${episodes.toLocaleString('sv-SE')} episodes ${reused ? 'reused' : 'written'} in ${(writeMs / 1000).toFixed(1)} s; read model built in ${(buildMs / 1000).toFixed(1)} s; ${since.toLocaleString('sv-SE')} versions stored since its watermark`);
    const out: CaseResult[] = [];
    for (const c of cases) {
      const first = await timed(client, db, c, 'snapshot');
      const times: number[] = [];
      for (let i = 0; i < runs; i++) times.push((await timed(client, db, c, 'snapshot')).ms);
      if (args.times) console.log(`    first ${first.ms.toFixed(0)} runs ${times.map((t) => t.toFixed(0)).join(' ')}`);
      const reference: number[] = [];
      let equal: boolean | null = null;
      for (let i = 0; i < episodeLevelRuns; i++) {
        // At five national years the reference may not fit a query's memory: recorded, not fatal.
        const r = await timed(client, db, c, 'episode-level').catch((e: Error) => (console.log(`  ${scopeText(c.scope)} ${c.endpoint}: episode-level failed: ${e.message.slice(0, 120)}`), null));
        if (!r) break;
        reference.push(r.ms);
        if (i === 0) equal = same(first.result, r.result);
      }
      const reads = args['read-rows'] && mode === 'server' ? await readsOf(client, db, c) : null;
      const row: CaseResult = { endpoint: c.endpoint, scope: scopeText(c.scope), rows: first.result.rows.length, p50: pct(times, 50)!, p95: pct(times, 95)!, episodeLevelP50: pct(reference, 50), episodeLevelP95: pct(reference, 95), equal, reads };
      out.push(row);
      console.log(`  ${row.scope.padEnd(20)} ${row.endpoint.padEnd(28)} ${String(row.rows).padStart(5)} rows  p50 ${row.p50.toFixed(0).padStart(5)} ms  p95 ${row.p95.toFixed(0).padStart(5)} ms${row.episodeLevelP95 === null ? '' : `   episode-level p50 ${row.episodeLevelP50!.toFixed(0).padStart(5)} p95 ${row.episodeLevelP95.toFixed(0).padStart(5)} ms  ${equal ? 'same answer' : 'DIFFERENT ANSWER'}`}${reads ? `  read ${reads.rows.toLocaleString('sv-SE')} rows, ${(reads.bytes / 1048576).toFixed(1)} MiB in ${reads.queries} queries` : ''}`);
    }
    // Mixed requests as the analytics pages send them: every region's and the nation's. First from
    // a cold start: nothing in memory, nothing stored. Then as a process finds a generation the
    // builder has warmed (services/api/warm-pages.ts): its common pages' generation parts stored,
    // nothing in memory.
    const deps = { rules: OREBRO_RULES, population, now: () => Date.parse('2026-12-01T12:00:00+01:00') };
    const wave = async (label: string): Promise<{ load: LoadResult | null; stored: number }> => {
      const [hits, misses] = [answers.hits, answers.misses];
      const live = requests > 0 && livePerSecond > 0 ? await liveChanges(client, db, (await readPoint(client, db)).generation, livePerSecond, seed) : null;
      const load = requests === 0 ? null : await apiLoad(client, db, deps, {
        requests, concurrency, seed,
        paths: ['indicators/mean-days?groupBy=month', 'indicators/mean-days', 'indicators/goal-fulfilment?groupBy=month', 'indicators/per-1000', 'track-colours', 'waiting', 'overview', 'readmissions?groupBy=month', 'indicators/variation'],
        scopes: [{ kind: 'nation' }, ...[...countyCodes].map((region): Scope => ({ kind: 'region', region }))],
      });
      const stored = live ? await live.stop() : 0;
      if (load) console.log(`  ${label} (answer cache: ${answers.hits - hits} hits, ${answers.misses - misses} misses${live ? `; ${stored} versions stored meanwhile, ${livePerSecond} a second` : ''})`);
      if (load) console.log(`  ${load.requests} mixed requests, ${load.concurrency} at a time: ${load.perSecond.toFixed(0)} requests/s, p50 ${load.p50.toFixed(0)} ms, p99 ${load.p99.toFixed(0)} ms, ${load.failed} failed`);
      return { load, stored };
    };
    await forget(client, db);
    const cold = await wave('cold start, nothing stored');
    let warm: { load: LoadResult | null; stored: number } = { load: null, stored: 0 };
    if (requests > 0) {
      await forget(client, db);
      const t = performance.now();
      const pages = await warmPages({ ...deps, client, db, secret: undefined }, await readPoint(client, db), COMMON_PAGES);
      console.log(`  the builder's warming: ${pages} common pages in ${(performance.now() - t).toFixed(0)} ms`);
      answers.clear();
      warm = await wave('a warmed generation, nothing in memory');
    }
    const [load, stored] = [cold.load, cold.stored + warm.stored];
    const slowest = out.reduce((a, b) => (b.p95 > a.p95 ? b : a));
    const compared = out.filter((r) => r.episodeLevelP95 !== null);
    const ratio = compared.length > 0 ? compared.reduce((s, r) => s + r.p95, 0) / compared.reduce((s, r) => s + r.episodeLevelP95!, 0) : null;
    return { mode, years, versionRows, episodes, changedSince: since, load, warmLoad: warm.load, liveChanges: stored, writeMs, buildMs, cases: out, p95Max: slowest.p95, slowest: `${slowest.endpoint}@${slowest.scope}`, ratio };
  } finally {
    if (!args.keep && !reused) await client.command({ query: `DROP DATABASE IF EXISTS ${db}` }).catch(() => undefined);
    else console.log(`  kept database ${db}`);
  }
}

const results: SizeResult[] = [];
for (const mode of modes) {
  // A kept embedded database is reused by naming its directory (--chdb-dir) and --database.
  const dir = args['chdb-dir'] ? path.resolve(args['chdb-dir']) : path.join(repoRoot, 'infra/.data', `bench-queries-chdb-${process.pid}`);
  const client = await open(mode, dir);
  try {
    for (const years of yearsList) results.push(await measure(client, mode, years));
  } finally {
    await client.close();
    if (mode === 'embedded' && !args.keep && !args['chdb-dir']) rmSync(dir, { recursive: true, force: true });
    else if (mode === 'embedded') console.log(`  kept chDB directory ${dir}`);
  }
}

const resultsDir = path.join(repoRoot, 'test/bench/results');
mkdirSync(resultsDir, { recursive: true });
const file = path.join(resultsDir, `queries-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ benchmark: 'queries', at: new Date().toISOString(), machine: machine(), runs, episodeLevelRuns, episodesPerYear, seed, results }, null, 2));
if (args.json) console.log(JSON.stringify(results));
console.log(`\nresults: ${path.relative(repoRoot, file)}`);
const wrong = results.flatMap((r) => r.cases.filter((c) => c.equal === false).map((c) => `${r.mode} ${r.years}y ${c.endpoint}@${c.scope}`));
if (wrong.length > 0) console.log(`DIFFERENT ANSWERS from the read model and the episode-level SQL: ${wrong.join(', ')}`);
for (const years of yearsList) {
  const mine = results.filter((r) => r.years === years);
  const worst = mine.reduce((a, b) => (b.p95Max > a.p95Max ? b : a));
  const ratios = mine.map((r) => r.ratio).filter((r): r is number => r !== null);
  const ratio = ratios.length > 0 ? Math.max(...ratios) : null;
  const loads = mine.map((r) => r.load).filter((l): l is LoadResult => l !== null);
  const warmed = mine.map((r) => r.warmLoad).filter((l): l is LoadResult => l !== null);
  const load = loads.length === 0 ? '' : ` requests_per_s_min=${Math.round(Math.min(...loads.map((l) => l.perSecond)))} p99_max_ms=${Math.round(Math.max(...loads.map((l) => l.p99)))}${warmed.length === 0 ? '' : ` warmed_requests_per_s_min=${Math.round(Math.min(...warmed.map((l) => l.perSecond)))} warmed_p99_max_ms=${Math.round(Math.max(...warmed.map((l) => l.p99)))}`}${livePerSecond > 0 ? ` live_changes_per_s=${livePerSecond}` : ''}`;
  console.log(`RESULT queries years=${years} p95_max_ms=${Math.round(worst.p95Max)} slowest=${worst.slowest}(${worst.mode}) ratio_vs_episode_level=${ratio === null ? 'n/a' : ratio.toFixed(4)}${load}`);
}
process.exit(wrong.length > 0 ? 1 : 0);
