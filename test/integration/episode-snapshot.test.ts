import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateChanged } from '../../services/clock/changelog.ts';
import { foldEpisode } from '../../services/clock/episode-state.ts';
import { AgreementSet, loadAgreementSet } from '../../services/agreements/agreement-set.ts';
import { OREBRO_RULES } from '../../services/clock/rules.ts';
import { isoDate, fromEpochDay, stockholmDay } from '../../services/core/stockholm-time.ts';
import { episodeFact, monthOfDay, type EpisodeFact } from '../../services/facts/episode-fact.ts';
import * as ind from '../../services/indicators/indicators.ts';
import { parseFilters } from '../../services/model/filters.ts';
import type { Scope } from '../../services/model/scope.ts';
import { loadPopulation } from '../../services/reference/population.ts';
import { migrate, openClickHouse } from '../../services/sink-clickhouse/clickhouse.ts';
import { Rng } from '../../services/simulator/rng.ts';
import { buildSnapshot, snapshotState } from '../../services/snapshot/snapshot-sql.ts';
import { currentEpisodes, MAX_CHANGED, readPoint, ROLLUP_TABLES } from '../../services/snapshot/read-model.ts';
import { forgetStoredAnswers } from '../../services/snapshot/generation-answers.ts';
import { configOf, isolatedEnv } from '../support/env.ts';
import { simulatedEpisodes } from '../support/simulated-episodes.ts';

type Fact = EpisodeFact & { ingested_at: number };

/** An INSERT over HTTP whose first rows are sent now and the rest by `end`: a slow or paused writer. */
function heldInsert(config: ReturnType<typeof configOf>, query: string, first: string): { end: (rest: string) => Promise<void> } {
  let answer!: Promise<void>;
  const req = http.request(`${new URL('/', config.clickhouseUrl).href}?query=${encodeURIComponent(query)}`, {
    method: 'POST', headers: { 'transfer-encoding': 'chunked', 'x-clickhouse-user': config.clickhouseUser, 'x-clickhouse-key': config.clickhousePassword },
  });
  answer = new Promise((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`insert answered ${res.statusCode}: ${text}`))));
    });
  });
  req.write(first);
  return { end: async (rest) => { req.end(rest); await answer; } };
}
const round = (v: unknown): unknown => (typeof v === 'number' ? Math.round(v * 1e9) / 1e9 : Array.isArray(v) ? v.map(round) : v);
const rounded = (r: ind.Result) => ({ ...r, rows: r.rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, round(v)]))) });

/**
 * The episode snapshot (services/snapshot/) answers every indicator exactly as collapsing every
 * version at query time does: for random scopes and filters, after a full build, after versions
 * stored since (corrections that reopen, cancel, move or re-region a closed episode; replayed
 * duplicates; late discharges), after a build that copies the previous generation, and after a
 * chunked full build. A corrected closed episode is counted once, with its new version.
 */
describe.each(['server', 'embedded'] as const)('the episode snapshot equals the episode-level read (ClickHouse %s)', (mode) => {
  const env = isolatedEnv(mode, { LOG_LEVEL: 'warn' });
  const config = configOf(env);
  const db = config.clickhouseDatabase;
  const from = Date.parse('2026-01-05T00:00:00+01:00');
  const until = Date.parse('2026-04-10T00:00:00+02:00');
  const today = stockholmDay(until);
  const rng = new Rng(mode === 'server' ? 31 : 32);
  const population = loadPopulation();
  let client: Awaited<ReturnType<typeof openClickHouse>>['client'];
  /** The newest version of each episode written so far, as the test knows it. */
  const latest = new Map<string, Fact>();
  const written: Fact[] = [];

  const stamp = () => Math.floor(Date.now() / 1000);
  async function insert(rows: Fact[]): Promise<void> {
    for (const r of rows) if (!latest.has(r.episode_id) || latest.get(r.episode_id)!.version <= r.version) latest.set(r.episode_id, r);
    written.push(...rows);
    await client.insert({ table: `${db}.episode_facts`, values: rows, format: 'JSONEachRow' });
  }

  beforeAll(async () => {
    client = (await openClickHouse(config)).client;
    await migrate(client, db);
    // Every version of each simulated episode (the fold of each prefix of its events), a third of
    // them moved to another region, stamped long ago: what a build will find.
    const rows: Fact[] = [];
    for (const [id, events] of simulatedEpisodes({ seed: 17, admissionsPerDay: 25, from, until })) {
      const other = rng.next() < 0.33;
      for (let k = 1; k <= events.length; k++) {
        const f = episodeFact(stateChanged({ state: foldEpisode(events.slice(0, k)), readmission: null }, k, `${id}:${k}`), OREBRO_RULES);
        rows.push({ ...f, ...(other ? { region: '03', hospital: 'UAS' } : {}), ingested_at: 1_000_000 });
      }
    }
    await insert(rows);
  });

  afterAll(async () => {
    await client?.command({ query: `DROP DATABASE IF EXISTS ${db}` }).catch(() => undefined);
    await client?.close();
  });

  const months = ['2026-01', '2026-02', '2026-03', '2026-04'];
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rng.next() * list.length)]!;
  function randomCase(): { scope: Scope; q: URLSearchParams } {
    const facts = [...latest.values()];
    const someone = pick(facts);
    const scope: Scope = pick([
      { kind: 'nation' }, { kind: 'region', region: '18' }, { kind: 'region', region: '03' },
      { kind: 'municipality', municipality: someone.home_municipality || '1880' },
      { kind: 'unit', hospital: someone.hospital, ward: someone.ward },
    ] as Scope[]);
    const q = new URLSearchParams();
    const a = Math.floor(rng.next() * months.length);
    const b = a + Math.floor(rng.next() * (months.length - a));
    // Half the periods begin or end inside a month: those partial months are not rolled up by month.
    // (A period begins by today: occupied beds refuse one that has not begun.)
    const d1 = rng.next() < 0.5 ? Math.min(1 + Math.floor(rng.next() * 28), a === months.length - 1 ? fromEpochDay(today).day : 28) : null;
    const d2 = rng.next() < 0.5 ? Math.max(a === b ? d1 ?? 1 : 1, 1 + Math.floor(rng.next() * 28)) : null;
    const dd = (d: number) => String(d).padStart(2, '0');
    q.set('from', d1 === null ? months[a]! : `${months[a]}-${dd(d1)}`);
    q.set('to', d2 === null ? months[b]! : `${months[b]}-${dd(d2)}`);
    if (rng.next() < 0.2 && scope.kind !== 'municipality') q.set('kommun', someone.home_municipality);
    if (rng.next() < 0.3) q.set('careType', someone.care_type);
    if (rng.next() < 0.2) q.set('ageGroup', someone.age_group);
    if (rng.next() < 0.2) q.set('trackColour', pick(['NONE', 'BLUE', 'GREEN', 'YELLOW', 'RED']));
    if (rng.next() < 0.15) q.set('status', pick(['discharged', 'inpatient']));
    if (rng.next() < 0.15 && scope.kind !== 'unit') q.set('hospital', someone.hospital);
    if (rng.next() < 0.15) q.set('lan', pick([someone.home_county, 'utom', `${someone.home_county},utom`]));
    return { scope, q };
  }

  const march = { fromDay: stockholmDay(Date.parse('2026-03-01T12:00:00+01:00')), toDay: stockholmDay(Date.parse('2026-03-31T12:00:00+02:00')) };
  const only18 = new AgreementSet(loadAgreementSet(undefined, 'orebro').agreements.filter((a) => a.region === '18'));
  const selected = (counted: ind.Counted): ind.RowsSelection => ({ counted, band: null, reason: null, party: null, recipient: null, indexClinic: null, utklarDays: null, daysSinceDischarge: null });
  const endpoints: [string, (c: ind.Ctx) => Promise<ind.Result>][] = [
    ['meanDays by municipality', (c) => ind.meanDays(c, 'municipality')],
    ['meanDays by month', (c) => ind.meanDays(c, 'month')],
    ['goalFulfilment by ward', (c) => ind.goalFulfilment(c, 'ward')],
    ['perThousand', (c) => ind.perThousand(c)],
    ['occupiedBeds by ward', (c) => ind.occupiedBeds(c, 'ward')],
    // By hospital and by kommun the bed-day rollup answers (a ward is not one of its dimensions).
    ['occupiedBeds by hospital', (c) => ind.occupiedBeds(c, 'hospital')],
    ['occupiedBeds by municipality', (c) => ind.occupiedBeds(c, 'municipality')],
    ['variation', (c) => ind.variation(c)],
    ['waiting by hospital', (c) => ind.waiting(c, 'hospital')],
    ['payment, March', (c) => ind.payment(c, march)],
    // Region 03 under no agreement: its lines name their earliest discharge day, which a changed episode's delta cannot take back.
    ['payment, March, region 18 alone under an agreement', (c) => ind.payment({ ...c, agreements: only18 }, march)],
    ['trackColours', (c) => ind.trackColours(c)],
    ['overview by municipality', (c) => ind.overview(c, 'municipality')],
    ['readmissions by month', (c) => ind.readmissions(c, 'month')],
    ['rows', (c) => ind.episodeRows(c, 10_000, 0)],
    // Pages found below a bound on the id in the rows' table (rows-sql.ts), and those read on above it.
    ['rows, a page of 10', (c) => ind.episodeRows(c, 10, 0)],
    ['rows of the admitted, a page', (c) => ind.episodeRows(c, 15, 15, selected('admitted'))],
    ['rows of the utklar, a page', (c) => ind.episodeRows(c, 12, 0, selected('utklar'))],
    ['rows of the occupied, a page', (c) => ind.episodeRows(c, 12, 6, selected('occupied'))],
    ['rows of the waiting, a page', (c) => ind.episodeRows(c, 5, 0, selected('waiting'))],
  ];

  /** Queries that read each closed-episode rollup: the cases that go through one are counted, so a test knows it was taken. */
  const rolled = new Map<string, number>();
  const rolledQueries = () => [...rolled.values()].reduce((a, b) => a + b, 0);
  /** Queries that read a rollup of sums but not the changed episodes' delta (a sum's generation part, see SplitSums), and those that read the delta. */
  let generationParts = 0;
  let deltaReads = 0;
  /** The invoice month's sums (payment-sql.ts): read over the generation's rows less the changed ids (NOT IN), and as the signed delta. */
  let paymentNotIn = 0;
  let paymentDeltas = 0;
  /** Nothing answered before, in memory or stored with a generation (generation-answers.ts): each query runs again. */
  const forgetAnswers = async () => {
    ind.answers.clear();
    await forgetStoredAnswers(client, db);
  };
  const SUMS = ROLLUP_TABLES.filter((t) => !t.startsWith('episode_snapshot_rows'));
  /** The rows' tables' reads in order: a request's sample, a page below the bound ('bounded'), all of the period ('whole', also after a bound held too few). */
  const rowsReads: ('sample' | 'bounded' | 'whole')[] = [];
  /** Pages answered below their bound alone (not read on above it). */
  const pagesBelowBound = () => rowsReads.filter((r, i) => r === 'bounded' && rowsReads[i + 1] !== 'whole').length;
  const counting = new Proxy({} as typeof client, {
    get: (_, key) => (key === 'query'
      ? (o: { query: string }) => {
        if (/\bby_year\b/.test(o.query) && /\bepisode_id NOT IN\b/.test(o.query)) paymentNotIn++;
        if (/\bby_year\b/.test(o.query) && /sum\(sign\)/.test(o.query)) paymentDeltas++;
        if (/\.episode_snapshot_delta\b/.test(o.query)) deltaReads++;
        else if (new RegExp(`\\.(${SUMS.join('|')})\\s+WHERE generation = \\d+ AND`).test(o.query)) generationParts++;
        for (const [, table] of o.query.matchAll(new RegExp(`\\.(${ROLLUP_TABLES.join('|')})\\s+(?:PRE)?WHERE generation = \\d+ AND`, 'g'))) rolled.set(table!, (rolled.get(table!) ?? 0) + 1);
        if (/\.episode_snapshot_rows_sample\s+WHERE/.test(o.query)) rowsReads.push('sample');
        else if (/\.episode_snapshot_rows(_kommun)?\s+PREWHERE/.test(o.query)) rowsReads.push(/ AND episode_id <= '/.test(o.query) ? 'bounded' : 'whole');
        return client.query(o as never);
      }
      : (client as unknown as Record<string | symbol, unknown>)[key]),
  });

  /**
   * Besides the random ones, a case for each way through the rollups, so that every run takes each:
   * a nation's and a kommun's (the municipal rollup), a region's (the nation's sums by region
   * through the rollups; within one month its own episodes, no rollup), a hospital filter (the
   * wide one), periods beginning and ending inside a month (the admissions by day, and discharges
   * one by one).
   */
  const fixedCases = (): { scope: Scope; q: URLSearchParams }[] => [
    { scope: { kind: 'nation' }, q: new URLSearchParams('from=2026-01-15&to=2026-03') },
    { scope: { kind: 'region', region: '18' }, q: new URLSearchParams('from=2026-01&to=2026-03-20') },
    { scope: { kind: 'region', region: '03' }, q: new URLSearchParams('from=2026-02-03&to=2026-02-20') },
    { scope: { kind: 'municipality', municipality: pick([...latest.values()]).home_municipality || '1880' }, q: new URLSearchParams('from=2026-01&to=2026-04') },
    { scope: { kind: 'nation' }, q: new URLSearchParams(`from=2026-02&to=2026-03&hospital=${encodeURIComponent(pick([...latest.values()]).hospital)}`) },
  ];

  /** Every endpoint, for the fixed cases and `cases` random scopes and filters, both read models: equal. Returns how many answers had rows. */
  const sameAnswers = (cases: number): Promise<number> => sameAnswersFor([...fixedCases(), ...Array.from({ length: cases }, () => randomCase())]);
  async function sameAnswersFor(list: { scope: Scope; q: URLSearchParams }[]): Promise<number> {
    let nonEmpty = 0;
    for (const { scope, q } of list) {
      const filters = parseFilters(q, { fromDay: 0, toDay: today });
      const base = { client: counting, db, filters, scope, today, rules: OREBRO_RULES, population };
      for (const [name, run] of endpoints) {
        const snapshot = await run({ ...base, readModel: 'snapshot' });
        const reference = await run({ ...base, readModel: 'episode-level' });
        expect(rounded(snapshot), `${name} for ${JSON.stringify(scope)} ${q}`).toEqual(rounded(reference));
        if (snapshot.rows.length > 0) nonEmpty++;
      }
    }
    return nonEmpty;
  }

  /** Newer versions of a random handful of episodes, as corrections and late events write them; and replayed duplicates. */
  async function correctSome(n: number): Promise<Fact[]> {
    const rows = corrections(n);
    await insert(rows);
    return rows;
  }

  /** correctSome's rows, not stored. */
  function corrections(n: number): Fact[] {
    const closed = [...latest.values()].filter((f) => f.discharged_day >= 0 && f.status === 'DISCHARGED');
    const open = [...latest.values()].filter((f) => f.discharged_day < 0 && f.admitted_day >= 0);
    const next = (f: Fact, change: Partial<Fact>): Fact => ({ ...f, ...change, version: f.version + 1, ingested_at: stamp() });
    const rows: Fact[] = [];
    const taken = new Set<string>();
    const some = (list: Fact[]) => list.filter((f) => !taken.has(f.episode_id) && rng.next() < n / Math.max(1, list.length)).map((f) => (taken.add(f.episode_id), f));
    // A cancelled discharge: open again, inpatient.
    for (const f of some(closed)) rows.push(next(f, { status: 'ADMITTED', discharged_day: -1, discharged_month: 0, destination: '' }));
    for (const f of some(closed)) rows.push(next(f, { status: 'CANCELLED' }));
    // The discharge moved three days earlier (a month boundary crossed now and then).
    for (const f of some(closed)) {
      const d = Math.max(f.admitted_day, f.discharged_day - 3);
      rows.push(next(f, { discharged_day: d, discharged_month: monthOfDay(d), ready_end_days: f.ready_end_days.map((e) => Math.min(e, d)) }));
    }
    for (const f of some(closed)) rows.push(next(f, { region: f.region === '18' ? '03' : '18', ward: `${f.ward} (flyttad)` }));
    // A late discharge of an open episode.
    for (const f of some(open)) rows.push(next(f, { status: 'DISCHARGED', discharged_day: today - 1, discharged_month: monthOfDay(today - 1), ready_end_days: f.ready_end_days.map((e) => (e < 0 ? today - 1 : e)), open_payment_from_day: -1 }));
    // Replays: versions already stored, stored again.
    for (let i = 0; i < n; i++) rows.push({ ...pick(written), ingested_at: stamp() });
    return rows;
  }

  it('answers equal before any build (everything is the delta)', async () => {
    expect((await snapshotState(client, db)).generation).toBe(0);
    expect(await sameAnswers(3)).toBeGreaterThan(10);
    expect(rolledQueries()).toBe(0);
  });

  it('answers equal after a full build, and after corrections stored since', async () => {
    const build = await buildSnapshot(client, db);
    expect(build.episodes).toBe(latest.size);
    expect((await snapshotState(client, db)).delta).toBe(0);
    // The versions stored long before the watermark are gone from the recent ids: queries find the changed episodes there.
    const recent = async () => (await (await client.query({ query: `SELECT toString(countIf(ingested_at < toDateTime(100000000))) AS old, toString(count()) AS n FROM ${db}.episode_facts_recent`, format: 'JSONEachRow' })).json<{ old: string; n: string }>())[0]!;
    expect(await recent()).toEqual({ old: '0', n: '0' });
    expect(await sameAnswers(5)).toBeGreaterThan(40);
    const corrections = await correctSome(15);
    expect(corrections.length).toBeGreaterThan(40);
    expect((await snapshotState(client, db)).delta).toBe(corrections.length);
    expect(await recent()).toEqual({ old: '0', n: String(corrections.length) });
    // From an empty answer cache: the generations' parts of the sums asked above would come from it.
    await forgetAnswers();
    const before = new Map(rolled);
    expect(await sameAnswers(6)).toBeGreaterThan(50);
    // Whole months through each rollup (the municipal one for a nation or kommun, the wide one
    // under a hospital or län filter, the admissions ones for the overview and
    // readmissions, by month and the partial months by day), with the corrected episodes taken
    // back and added anew.
    const taken = ROLLUP_TABLES.map((table) => (rolled.get(table) ?? 0) - (before.get(table) ?? 0));
    ROLLUP_TABLES.forEach((table, i) => expect(taken[i], table).toBeGreaterThan(0));
    expect(taken.reduce((a, b) => a + b, 0)).toBeGreaterThan(5);
    // Pages of rows found below their bound, and others read on above it: both ways compared.
    expect(pagesBelowBound()).toBeGreaterThan(10);
    expect(rowsReads.filter((r, i) => r === 'bounded' && rowsReads[i + 1] === 'whole').length).toBeGreaterThan(0);
  });

  it("a sum's generation part comes from the answer cache after versions are stored; the changed episodes' delta is read anew", async () => {
    const list = fixedCases();
    await forgetAnswers();
    expect(await sameAnswersFor(list)).toBeGreaterThan(20);
    const samples = () => rowsReads.filter((r) => r === 'sample').length;
    const [parts, deltas, notIn, paymentDelta, sampled] = [generationParts, deltaReads, paymentNotIn, paymentDeltas, samples()];
    await correctSome(10);
    expect(await sameAnswersFor(list)).toBeGreaterThan(20);
    // Equal to the episode-level read (above), with no rollup of sums read again without the delta.
    expect(generationParts).toBe(parts);
    expect(deltaReads).toBeGreaterThan(deltas + 10);
    // The invoice month: its generation's cells from the cache and the delta read, per case; the
    // generation's rows less the changed ids read only where a line has no agreement (region 03).
    // (Both sets bill alike here, so their SQL, and its cached answer, is one.)
    expect(paymentDeltas - paymentDelta).toBeGreaterThanOrEqual(list.length);
    expect(paymentNotIn - notIn).toBeGreaterThanOrEqual(1);
    expect(paymentNotIn - notIn).toBeLessThanOrEqual(list.length);
    // A page's bound comes from the generation's sample: not read again (the pages themselves are, above).
    expect(sampled).toBeGreaterThan(0);
    expect(samples()).toBe(sampled);
  });

  it("regions' sums are the nation's by region: a second region with the same filters reads no rollup again", async () => {
    const filters = parseFilters(new URLSearchParams('from=2026-01&to=2026-03'), { fromDay: 0, toDay: today });
    const ctxOf = (region: string, readModel: 'snapshot' | 'episode-level'): ind.Ctx => ({ client: counting, db, filters, scope: { kind: 'region', region }, today, rules: OREBRO_RULES, population, readModel });
    await forgetAnswers();
    const before = generationParts;
    const first = await ind.meanDays(ctxOf('18', 'snapshot'), 'municipality');
    const parts = generationParts;
    const second = await ind.meanDays(ctxOf('03', 'snapshot'), 'municipality');
    expect(parts).toBeGreaterThan(before);
    expect(generationParts).toBe(parts);
    expect(first.rows.length).toBeGreaterThan(0);
    expect(second.rows.length).toBeGreaterThan(0);
    expect(rounded(first)).toEqual(rounded(await ind.meanDays(ctxOf('18', 'episode-level'), 'municipality')));
    expect(rounded(second)).toEqual(rounded(await ind.meanDays(ctxOf('03', 'episode-level'), 'municipality')));
  });

  it('counts a corrected closed episode once, with its newest version', async () => {
    const [moved] = await correctSome(3);
    const rows = await (await client.query({ query: `SELECT episode_id, latest_version, discharged_day, status FROM ${currentEpisodes(db, '1', await readPoint(client, db))}`, format: 'JSONEachRow' })).json<{ episode_id: string; latest_version: string; discharged_day: number; status: string }>();
    expect(rows.length).toBe(latest.size);
    expect(new Set(rows.map((r) => r.episode_id)).size).toBe(latest.size);
    const mine = rows.filter((r) => r.episode_id === moved!.episode_id).map((r) => ({ ...r, latest_version: String(r.latest_version) }));
    expect(mine).toEqual([{ episode_id: moved!.episode_id, latest_version: String(moved!.version), discharged_day: moved!.discharged_day, status: moved!.status }]);
  });

  it('answers equal after a build that copies the previous generation, and a chunked full build; old generations are dropped', async () => {
    const copy = await buildSnapshot(client, db, { from: 'previous' });
    expect(copy.episodes).toBe(latest.size);
    expect(await sameAnswers(3)).toBeGreaterThan(30);
    await correctSome(10);
    expect(await sameAnswers(2)).toBeGreaterThan(20);
    const full = await buildSnapshot(client, db, { from: 'facts', chunks: 3 });
    expect(full.episodes).toBe(latest.size);
    expect(full.dropped).toBeGreaterThanOrEqual(1);
    // Every table a generation writes keeps the two newest, no older one.
    for (const table of ['episode_snapshot', 'episode_snapshot_keys', ...ROLLUP_TABLES]) {
      const generations = await (await client.query({ query: `SELECT DISTINCT generation FROM ${db}.${table} ORDER BY generation`, format: 'JSONEachRow' })).json<{ generation: string }>();
      expect(generations.map((g) => Number(g.generation)), table).toEqual([copy.generation, full.generation]);
    }
    // What read points write per generation (the changed episodes' copies and deltas): none of an older one.
    for (const table of ['episode_snapshot_changed', 'episode_snapshot_delta']) {
      const generations = (await (await client.query({ query: `SELECT DISTINCT generation FROM ${db}.${table} ORDER BY generation`, format: 'JSONEachRow' })).json<{ generation: string }>()).map((g) => Number(g.generation));
      expect(generations, table).toContain(copy.generation);
      expect(generations.filter((g) => g !== copy.generation && g !== full.generation), table).toEqual([]);
    }
    expect(await sameAnswers(3)).toBeGreaterThan(30);
  });

  it('a condition on the sort key (a region\'s discharges in one month) finds exactly those episodes', async () => {
    const cond = `region = '18' AND discharged_day >= ${stockholmDay(Date.parse('2026-03-01T12:00:00+01:00'))} AND discharged_day <= ${stockholmDay(Date.parse('2026-03-31T12:00:00+02:00'))}`;
    const r = await client.query({ query: `SELECT count() AS n FROM ${currentEpisodes(db, cond, await readPoint(client, db))}`, format: 'JSONEachRow' });
    const n = (await r.json<{ n: string }>())[0]!.n;
    const expected = [...latest.values()].filter((f) => f.region === '18' && isoDate(fromEpochDay(Math.max(0, f.discharged_day))).startsWith('2026-03') && f.discharged_day >= 0).length;
    expect(Number(n)).toBe(expected);
  });

  it('a changed episode\'s generation row copied twice (two API processes) is taken back once', async () => {
    await correctSome(10);
    const point = await readPoint(client, db);
    expect(point.changed.inGeneration.length).toBeGreaterThan(10);
    const copies = async () => Number((await (await client.query({ query: `SELECT count() AS n FROM ${db}.episode_snapshot_changed WHERE generation = ${point.generation}`, format: 'JSONEachRow' })).json<{ n: string }>())[0]!.n);
    // One copy per changed episode, by this process, whatever read point found it first.
    expect(await copies()).toBe(point.changed.inGeneration.length);
    await client.command({ query: `INSERT INTO ${db}.episode_snapshot_changed SELECT * FROM ${db}.episode_snapshot_changed WHERE generation = ${point.generation}` });
    expect(await copies()).toBe(2 * point.changed.inGeneration.length);
    // A new read point writes its delta from the doubled copies (the one above was written before).
    await correctSome(1);
    expect((await readPoint(client, db)).changed.point).not.toBe(point.changed.point);
    const before = rolledQueries();
    expect(await sameAnswers(3)).toBeGreaterThan(30);
    expect(rolledQueries()).toBeGreaterThan(before);
  });

  it('answers equal past MAX_CHANGED versions since the watermark (a replay): no rollup of sums read, old versions replayed over newer ones', async () => {
    await buildSnapshot(client, db);
    // Every stored version again, but each episode's newest only for a third of them: the others'
    // generation rows are newer than all they have since (a replay of old versions, the stale case).
    const newest = new Set([...latest.values()].filter(() => rng.next() < 0.33).map((f) => `${f.episode_id}:${f.version}`));
    const replay = written.filter((f) => f.version < latest.get(f.episode_id)!.version || newest.has(`${f.episode_id}:${f.version}`));
    while (replay.length <= MAX_CHANGED) replay.push(pick(written));
    await insert(replay.map((f) => ({ ...f, ingested_at: stamp() })));
    const point = await readPoint(client, db);
    expect(point.changes).toBeGreaterThan(MAX_CHANGED);
    expect(point.changed.many).toBe(true);
    // The rows' latest-version tables still find pages; no table of sums is read.
    expect(point.rollups).toEqual(['episode_snapshot_rows', 'episode_snapshot_rows_sample', 'episode_snapshot_rows_kommun']);
    const sums = () => ROLLUP_TABLES.filter((t) => !point.rollups.includes(t)).reduce((n, t) => n + (rolled.get(t) ?? 0), 0);
    const before = sums();
    const pages = rowsReads.length;
    expect(await sameAnswers(4)).toBeGreaterThan(40);
    // Corrections on top of the replay (a cancelled discharge, a moved one, a new region).
    await correctSome(15);
    expect(await sameAnswers(4)).toBeGreaterThan(40);
    expect(sums()).toBe(before);
    expect(rowsReads.slice(pages).filter((r) => r === 'bounded').length).toBeGreaterThan(0);
    // Every episode once, with its newest version.
    const all = await (await client.query({ query: `SELECT episode_id, toString(latest_version) AS v FROM ${currentEpisodes(db, '1', await readPoint(client, db))}`, format: 'JSONEachRow' })).json<{ episode_id: string; v: string }>();
    expect(all.length).toBe(latest.size);
    expect(Object.fromEntries(all.map((r) => [r.episode_id, Number(r.v)]))).toEqual(Object.fromEntries([...latest.values()].map((f) => [f.episode_id, f.version])));
    // A copy of such a read point is the latest version of every episode, and it takes the
    // replay in: its watermark sits just before its build (no insert runs), after every version
    // stored above.
    const copy = await buildSnapshot(client, db, { from: 'previous' });
    expect(copy.from).toBe('previous');
    expect(copy.episodes).toBe(latest.size);
    const after = await readPoint(client, db);
    expect(after.changes).toBe(0);
    expect(after.changed.many).toBeUndefined();
    expect(await sameAnswers(2)).toBeGreaterThan(20);
  });

  it('a generation\'s watermark sits before every insert running as its build starts; the insert\'s versions, stored after the build, are read', async () => {
    // Versions the server stamps (no ingested_at given), sent as one insert held open over the
    // build: a newer server stamps them as the insert starts, 18.16 as their block is formed.
    const head = corrections(15);
    const body = (list: Fact[]) => list.map(({ ingested_at: _, ...f }) => `${JSON.stringify(f)}\n`).join('');
    // Past the 1 MiB 18.16's HTTP handler reads of a body before it starts the query (and lists it as running).
    for (let size = body(head).length; size < 2.5 * 1024 * 1024; ) {
      const f = { ...pick(written), ingested_at: 0 };
      head.push(f);
      size += body([f]).length;
    }
    const tail = corrections(10).filter((f) => !head.some((h) => h.episode_id === f.episode_id));
    const running = async () => (await (await client.query({ query: `SELECT count() AS n FROM system.processes WHERE like(query, 'INSERT INTO ${db}.episode_facts %')`, format: 'JSONEachRow' })).json<{ n: string }>())[0]!.n !== '0';
    let began = 0;
    let insert: ReturnType<typeof heldInsert> | undefined;
    if (mode === 'server') {
      await buildSnapshot(client, db);
      began = Math.floor(Date.now() / 1000);
      insert = heldInsert(config, `INSERT INTO ${db}.episode_facts (${Object.keys(head[0]!).filter((c) => c !== 'ingested_at').join(', ')}) FORMAT JSONEachRow`, body(head));
      for (const until = Date.now() + 10_000; !(await running()); ) {
        if (Date.now() > until) throw new Error('the held insert never showed as running');
        await new Promise((r) => setTimeout(r, 50));
      }
      // Held for longer than the old margin-free guess (the build's start less two seconds) would allow.
      await new Promise((r) => setTimeout(r, 5_000));
    }
    const build = await buildSnapshot(client, db);
    const [g] = await (await client.query({ query: `SELECT toUInt32(watermark) AS w, toUInt32(built_at) AS b FROM ${db}.episode_snapshot_generations WHERE generation = ${build.generation}`, format: 'JSONEachRow' })).json<{ w: number; b: number }>();
    if (mode === 'embedded') {
      // In one process no insert runs beside the build: the watermark is a moment before it (not MARGIN_SECONDS).
      expect(Number(g!.b) - Number(g!.w)).toBeLessThan(30);
      return;
    }
    expect(Number(g!.w)).toBeLessThanOrEqual(began);
    expect(Number(g!.b) - Number(g!.w)).toBeLessThan(60);
    await insert!.end(body(tail));
    for (const f of [...head, ...tail]) if (!latest.has(f.episode_id) || latest.get(f.episode_id)!.version <= f.version) latest.set(f.episode_id, f);
    written.push(...head, ...tail);
    const point = await readPoint(client, db);
    expect(point.changes).toBe(head.length + tail.length);
    expect(await sameAnswers(3)).toBeGreaterThan(30);
  });
});
