import type { ClickHouseClient } from '@clickhouse/client';
import type { Scope } from '../model/scope.ts';
import { visibleIndexEpisode } from '../model/readmission-visibility.ts';
import { GROUPS, type Filters, type GroupBy } from '../model/filters.ts';
import { delayBand, DELAY_BANDS } from '../clock/delay-band.ts';
import type { RegionRules } from '../clock/rules.ts';
import { AgreementSet } from '../agreements/agreement-set.ts';
import { epochDay, fromEpochDay, isoDate } from '../core/stockholm-time.ts';
import { UtklarError } from '../core/errors.ts';
import { municipalities } from '../reference/municipalities.ts';
import type { PopulationTable } from '../reference/population.ts';
import { changedDelta, columnsIn, currentEpisodes, EPISODE_LEVEL, generationEpisodes, fromSnapshot, QUERY_SETTINGS, readPoint, type ReadPoint, type ReadModel } from '../snapshot/read-model.ts';
import { hasKommunRows, hasRowsTable, MAX_KOMMUN_RUNS, ROWS_KOMMUN, ROWS_SAMPLE, ROWS_TABLE, rowsPrune, sampleRank } from '../snapshot/rows-sql.ts';
import { ADMISSIONS, bedDaysSql, DISCHARGES, mergeSums, periodSums, throughRollup, type SplitSums, type SumsFamily } from '../snapshot/rollup-sql.ts';
import { AnswerCache } from './answer-cache.ts';
import { storeAnswer, storedAnswer } from '../snapshot/generation-answers.ts';
import { perThousandRows, type PopulationUsed } from './per-thousand.ts';
import { paymentBasisOf, paymentReadsFrom, type PaymentCell, type PaymentEpisode, type SpecifiedEpisode } from './payment-basis.ts';
import { mergePaymentCells, paymentCellsSql } from './payment-sql.ts';
import { PAYMENT_ROLLUP, paymentRollupAnswers } from '../snapshot/payment-rollup.ts';
import { band, bedDaysIn, conditions, int, paymentDays, str, utklarDays } from './sql.ts';

export interface Ctx {
  client: ClickHouseClient;
  db: string;
  filters: Filters;
  scope: Scope;
  /** Today as a Stockholm epoch day, from the injected clock: open episodes count up to it. */
  today: number;
  rules: RegionRules;
  /** The payment agreements per region and year; unset: `rules` for every region. */
  agreements?: AgreementSet;
  population: PopulationTable;
  /**
   * Where the latest version of each episode is read: 'snapshot' (the default) the episode
   * snapshot plus the versions stored since it was built; 'episode-level' collapses every version
   * in episode_facts at query time (the reference the snapshot is checked and benchmarked against).
   */
  readModel?: ReadModel;
}

export type Row = Record<string, string | number | boolean | null | string[] | number[]>;
export interface Result {
  rows: Row[];
  notes: string[];
  /** When the indicator's own period differs from the from/to filters (e.g. one invoicing month). */
  period?: { from: string; to: string };
  /** The populations a per-1 000 answer divides by, with the year used (per-thousand.ts). */
  populations?: PopulationUsed[];
}

async function select(ctx: Ctx, sql: string): Promise<Record<string, unknown>[]> {
  try {
    return await (await ctx.client.query({ query: sql, format: 'JSONEachRow', clickhouse_settings: QUERY_SETTINGS })).json<Record<string, unknown>>();
  } catch (cause) {
    throw new UtklarError('DEPENDENCY_UNAVAILABLE', `clickhouse: query failed: ${(cause as Error).message}`, { retriable: true, cause });
  }
}

const n = (v: unknown): number => Number(v);

/** One read point per request: a request's queries (readmissions asks twice) read the same generation. */
const points = new WeakMap<Ctx, Promise<ReadPoint>>();
const pointsInFlight = new Map<string, Promise<ReadPoint>>();
export const answers = new AnswerCache();
const inFlight = new Map<string, Promise<Record<string, unknown>[]>>();

/**
 * The read model's answer to `sql`, from the cache while no version was stored and no generation
 * built since it was computed; with `generationOnly` (SQL that reads only the generation's own
 * tables, immutable once recorded), while no generation was built. `compute` answers instead of
 * the SQL where the answer is derived from other answers (a region's slice of the nation's sums).
 */
async function cached(ctx: Ctx, sql: string, generationOnly = false, compute: () => Promise<Record<string, unknown>[]> = () => select(ctx, sql)): Promise<Record<string, unknown>[]> {
  const at = await pointOf(ctx);
  if (at.generation === 0) return compute();
  const key = `${ctx.db}|${at.generation}|${generationOnly ? 'g' : at.changes}|${sql}`;
  const hit = answers.get(key);
  if (hit) return hit;
  // Requests asking the same at once share one query (a page's charts, many users at nine).
  let pending = inFlight.get(key);
  if (!pending) {
    pending = (generationOnly ? ofGeneration(ctx, at.generation, sql, compute) : compute()).then((rows) => (answers.set(key, rows), rows)).finally(() => inFlight.delete(key));
    inFlight.set(key, pending);
  }
  return pending;
}
/** A generation's own answer: stored by the builder or another process, else computed and stored (generation-answers.ts). */
async function ofGeneration(ctx: Ctx, generation: number, sql: string, compute: () => Promise<Record<string, unknown>[]>): Promise<Record<string, unknown>[]> {
  const stored = await storedAnswer(ctx.client, ctx.db, generation, sql);
  if (stored) return stored;
  const rows = await compute();
  storeAnswer(ctx.client, ctx.db, generation, sql, rows);
  return rows;
}
/**
 * Makes `ctx`'s requests read `point` rather than the newest recorded generation: the builder
 * computes a generation's common pages with it before recording the generation.
 */
export function readingAt(ctx: Ctx, point: ReadPoint): Ctx {
  points.set(ctx, Promise.resolve(point));
  return ctx;
}
function pointOf(ctx: Ctx): Promise<ReadPoint> {
  if (ctx.readModel === 'episode-level') return Promise.resolve(EPISODE_LEVEL);
  let p = points.get(ctx);
  if (!p) {
    // Requests arriving while a read point is asked share it: one round trip older at most.
    p = pointsInFlight.get(ctx.db) ?? readPoint(ctx.client, ctx.db).finally(() => pointsInFlight.delete(ctx.db));
    pointsInFlight.set(ctx.db, p);
    points.set(ctx, p);
  }
  return p;
}

/**
 * The latest version of the episodes that satisfy `cond`, with the columns that `uses` (the SQL
 * that reads the source) names: a query over a nation's five years reads a handful of columns,
 * not all 36.
 */
async function latest(ctx: Ctx, cond: string, uses: string): Promise<string> {
  const columns = columnsIn(uses);
  return currentEpisodes(ctx.db, cond, await pointOf(ctx), columns.length > 0 ? columns : ['episode_id']);
}

/** Runs `sql(source)` over the latest version of the episodes that satisfy `cond`. */
async function over(ctx: Ctx, cond: string, sql: (source: string) => string): Promise<Record<string, unknown>[]> {
  return cached(ctx, sql(await latest(ctx, cond, sql(''))));
}
/** The key an answer by region is grouped by first (overScoped): picked out, then dropped. */
const BY_REGION = { select: 'region AS by_region, ', by: 'by_region, ' };
/**
 * `sql(source, k)` over the latest version of the episodes that satisfy `where(ctx, ...more)`, `k`
 * a key the SQL puts first in its SELECT and GROUP BY / ORDER BY lists ('' for none). At a
 * generation, a region's answer is the nation's grouped by region too, its own rows picked out
 * and the key dropped (as sums(): a region's conditions are the nation's and its region): one
 * query answers every region's page with the same filters, and the answer cache keeps it and each
 * region's slice. Twenty-two pages of who waits now cost one nation's query, not twenty-two.
 */
async function overScoped(ctx: Ctx, more: string[], sql: (src: string, k: { select: string; by: string }) => string): Promise<Record<string, unknown>[]> {
  const at = await pointOf(ctx);
  if (ctx.scope.kind !== 'region' || at.generation === 0 || at.changed.many) return over(ctx, where(ctx, ...more), (src) => sql(src, { select: '', by: '' }));
  const whole = sql(await latest(ctx, where({ ...ctx, scope: { kind: 'nation' } }, ...more), sql('', BY_REGION)), BY_REGION);
  return regionSlice(ctx, ctx.scope.region, whole, () => cached(ctx, whole), (r) => String(r.by_region), ({ by_region: _, ...r }) => r);
}
/**
 * Counts over the open episodes that satisfy `more`, as overScoped, split as the sums are: the
 * generation's rows counted (a generation part, cached for its life and stored with it) plus the
 * changed episodes' signed delta (their generation rows taken back, their newest versions added).
 * `sql(src, k, c)` counts with `c.count` and sums an expression `e` with `c.sum(e)`, grouped by
 * `keys` (k's key first where given), which the merge adds up; a group whose `counted` comes to 0
 * is left out, and the rows are ordered by `keys` as ClickHouse orders strings. Who waits now
 * was the largest part of a warmed generation's first requests (three nation-wide queries of
 * ≈ 300 ms each as fifty requests start together, at five national years).
 */
type Counting = { count: string; sum: (e: string) => string };
const PLAIN: Counting = { count: 'count()', sum: (e) => `sum(${e})` };
const SIGNED: Counting = { count: 'sum(sign)', sum: (e) => `sum(sign * ${e})` };
async function openNow(ctx: Ctx, more: string[], keys: string[], counted: string, sql: (src: string, k: { select: string; by: string }, c: Counting) => string): Promise<Record<string, unknown>[]> {
  const at = await pointOf(ctx);
  if (at.generation === 0 || at.changed.many) return overScoped(ctx, more, (src, k) => sql(src, k, PLAIN));
  const byRegion = ctx.scope.kind === 'region';
  const k = byRegion ? BY_REGION : { select: '', by: '' };
  const cond = where(byRegion ? { ...ctx, scope: { kind: 'nation' } } : ctx, ...more);
  const columns = columnsIn(`${sql('', k, PLAIN)} ${cond}`);
  const generationSql = sql(generationEpisodes(ctx.db, cond, at, columns), k, PLAIN);
  const delta = changedDelta(ctx.db, at, cond, columns);
  const deltaSql = delta && sql(delta, k, SIGNED);
  const all = byRegion ? ['by_region', ...keys] : keys;
  const merged = async () => {
    const [generation, changes] = await Promise.all([cached(ctx, generationSql, true), deltaSql ? cached(ctx, deltaSql) : []]);
    return addedUp(generation, changes, all, counted);
  };
  const whole = `${generationSql}\n-- with the delta ${deltaSql === null ? 'none' : deltaSql}`;
  if (ctx.scope.kind !== 'region') return cached(ctx, whole, false, merged);
  return regionSlice(ctx, ctx.scope.region, whole, () => cached(ctx, whole, false, merged), (r) => String(r.by_region), ({ by_region: _, ...r }) => r);
}
/** Rows of counts by `keys` plus signed rows by the same keys: added up, empty groups (by `counted`) left out, ordered by the keys. */
function addedUp(rows: Record<string, unknown>[], signed: Record<string, unknown>[], keys: string[], counted: string): Record<string, unknown>[] {
  const keyOf = (r: Record<string, unknown>) => JSON.stringify(keys.map((k) => String(r[k])));
  const out = new Map<string, Record<string, unknown>>();
  for (const r of [...rows, ...signed]) {
    const kept = out.get(keyOf(r));
    if (!kept) out.set(keyOf(r), Object.fromEntries(Object.entries(r).map(([c, v]) => [c, keys.includes(c) ? String(v) : Number(v)])));
    else for (const [c, v] of Object.entries(r)) if (!keys.includes(c)) kept[c] = Number(kept[c]) + Number(v);
  }
  const bytes = (r: Record<string, unknown>) => keys.map((k) => Buffer.from(String(r[k])));
  return [...out.values()].filter((r) => Number(r[counted]) !== 0).sort((a, b) => {
    const [x, y] = [bytes(a), bytes(b)];
    for (let i = 0; i < x.length; i++) {
      const c = Buffer.compare(x[i]!, y[i]!);
      if (c !== 0) return c;
    }
    return 0;
  });
}

/**
 * Region `region`'s rows of an answer by region (`whole`, computed by `all`), the region key
 * (`regionOf`) dropped by `drop`: cached apart from the whole, as a nation's answer by region is
 * thousands of rows and a region's a few hundred, and each region's page asks its own again.
 */
function regionSlice(ctx: Ctx, region: string, whole: string, all: () => Promise<Record<string, unknown>[]>, regionOf: (r: Record<string, unknown>) => string, drop: (r: Record<string, unknown>) => Record<string, unknown>): Promise<Record<string, unknown>[]> {
  return cached(ctx, `${whole}\n-- region ${region}`, false, async () => (await all()).filter((r) => regionOf(r) === region).map(drop));
}

/**
 * Per group of `keys` (returned as k0, k1, …), a family's sums over its episodes of the period:
 * by default the ready episodes discharged in the filters' period (ready, utklar, same_day, days,
 * fvk); through a closed-episode rollup where one can answer (see periodSums).
 */
async function sums(ctx: Ctx, keys: string[], family: SumsFamily = DISCHARGES, period: { fromDay: number; toDay: number } = ctx.filters, only?: string[]): Promise<Record<string, unknown>[]> {
  const at = await pointOf(ctx);
  const q = { db: ctx.db, at, fromDay: period.fromDay, toDay: period.toDay, today: ctx.today, only };
  if (ctx.scope.kind === 'region' && at.generation > 0 && !at.changed.many) {
    // A region's sums are the nation's by region, its own picked out: one query through a rollup
    // answers every region's page with the same filters, and the answer cache keeps its
    // generation's part for the generation's life. Twenty-one regions asking at once cost one
    // nation's query, not twenty-one reads of their episodes (alone, a region's page costs about a
    // nation's). Where no rollup answers, a region reads its own episodes, as before.
    const byRegion = { ...q, base: conditions(ctx.filters, { kind: 'nation' }, ctx.today).join(' AND '), keys: ['region', ...keys] };
    if (throughRollup(family, byRegion)) {
      const s = periodSums(family, byRegion);
      return regionSlice(ctx, ctx.scope.region, typeof s === 'string' ? s : s.whole, () => summed(ctx, s), (r) => String(r.k0), withoutFirstKey);
    }
  }
  return summed(ctx, periodSums(family, { ...q, base: conditions(ctx.filters, ctx.scope, ctx.today).join(' AND '), keys }));
}
/** A row of sums by (k0, k1, …) as one by (k1, …): each key moved down one place. */
function withoutFirstKey(r: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(r)) {
    const key = /^k(\d+)$/.exec(name);
    if (!key) out[name] = v;
    else if (key[1] !== '0') out[`k${Number(key[1]) - 1}`] = v;
  }
  return out;
}
/** Sums split in the generation's part (cached for the generation's life) and the changed episodes' delta (see SplitSums). */
async function summed(ctx: Ctx, s: string | SplitSums): Promise<Record<string, unknown>[]> {
  if (typeof s === 'string') return cached(ctx, s);
  const [generation, delta] = await Promise.all([cached(ctx, s.generation, true), s.delta === null ? [] : cached(ctx, s.delta)]);
  return mergeSums(s, generation, delta) ?? cached(ctx, s.whole);
}
const where = (ctx: Ctx, ...more: string[]) => [...conditions(ctx.filters, ctx.scope, ctx.today), ...more].join(' AND ');
/**
 * Implied by anything that happened on or after `from` (admitted, or a ready day counted): the
 * episode is open or was discharged since. Said outright, it lets the read model's sort key
 * (region, discharge day) skip the years before the period.
 */
const openOrDischargedSince = (from: number) => `(discharged_day < 0 OR discharged_day >= ${int(from)})`;
const groupExpr = (g: GroupBy | 'month', month = 'discharged_month') => (g === 'month' ? `toString(${month})` : GROUPS[g]);
const monthLabel = (m: number) => `${Math.floor(m / 100)}-${String(m % 100).padStart(2, '0')}`;
const day = (d: number) => (d < 0 ? null : isoDate(fromEpochDay(d)));

/**
 * Medelvårdtid som utskrivningsklar: mean follow-up days over episodes discharged in the period
 * with at least one utklar day; somatic and psychiatric care apart.
 */
export async function meanDays(ctx: Ctx, groupBy: GroupBy | 'month'): Promise<Result> {
  const rows = (await sums(ctx, [groupExpr(groupBy), 'care_type'])).filter((r) => n(r.utklar) > 0);
  return {
    rows: rows.map((r) => ({ group: groupBy === 'month' ? monthLabel(n(r.k0)) : String(r.k0), careType: String(r.k1), episodes: n(r.utklar), days: n(r.days), meanDays: n(r.days) / n(r.utklar) })),
    notes: ['episodes discharged in the period with at least one utklar day (dag 0 rule); day-0 discharges are excluded'],
  };
}

/**
 * Groupings by a day count, for the portal's "Antal dagar" breakdown: the episode's utklar days
 * (closed for a discharged episode) or the days since its discharge (today − discharge day).
 */
export const DAY_GROUPINGS = ['utklarDays', 'daysSinceDischarge'] as const;
export type DayGrouping = (typeof DAY_GROUPINGS)[number];
const isDayGrouping = (g: string): g is DayGrouping => (DAY_GROUPINGS as readonly string[]).includes(g);
const dayGroupExpr = (ctx: Ctx, g: DayGrouping) => (g === 'utklarDays' ? utklarDays(ctx.today) : `${int(ctx.today)} - discharged_day`);

/** Måluppfyllelse: share discharged on the day they became utskrivningsklar, of all discharged after a ready notice. */
export async function goalFulfilment(ctx: Ctx, groupBy: GroupBy | 'month' | DayGrouping): Promise<Result> {
  const byDays = isDayGrouping(groupBy);
  const rows = await sums(ctx, [byDays ? dayGroupExpr(ctx, groupBy) : groupExpr(groupBy), 'care_type']);
  if (byDays) rows.sort((a, b) => n(a.k0) - n(b.k0) || String(a.k1).localeCompare(String(b.k1)));
  return {
    rows: rows.map((r) => ({ group: groupBy === 'month' ? monthLabel(n(r.k0)) : String(r.k0), careType: String(r.k1), episodes: n(r.ready), sameDay: n(r.same_day), share: n(r.same_day) / n(r.ready) })),
    notes: ['of the episodes discharged in the period after a ready notice'],
  };
}

/**
 * Per home municipality and care type, utklar days and episodes (≥ 1 day) per 1 000 invånare
 * (Region Örebro: total population, the bubble chart's axes) and per 1 000 inv 65+ (Väntetider.se:
 * population 65+), each with its own year and the latest earlier one where that is not loaded,
 * said in the notes and in `populations` (per-thousand.ts).
 */
export async function perThousand(ctx: Ctx): Promise<Result> {
  const rows = await sums(ctx, ['home_municipality', 'care_type']);
  const kommunSums = rows.map((r) => ({ kommun: String(r.k0), careType: String(r.k1), days: n(r.days), episodes: n(r.utklar) }));
  return perThousandRows(kommunSums, ctx.population, fromEpochDay(ctx.filters.fromDay).year);
}

/**
 * Antal vårdplatser belagda av utskrivningsklara: utklar bed-days in the period ÷ days in the
 * period (up to today). Andel per 100 available beds needs the capacity feed.
 */
export async function occupiedBeds(ctx: Ctx, groupBy: GroupBy): Promise<Result> {
  const to = Math.min(ctx.filters.toDay, ctx.today);
  const days = to - ctx.filters.fromDay + 1;
  if (days <= 0) throw new UtklarError('INVALID_REQUEST', 'from: the period has not begun yet');
  const rolled = bedDaysSql({ db: ctx.db, at: await pointOf(ctx), base: where(ctx), group: GROUPS[groupBy], fromDay: ctx.filters.fromDay, toDay: to, today: ctx.today });
  const [rows, beds] = await Promise.all([
    rolled ? summed(ctx, rolled) : over(ctx, where(ctx, 'length(ready_start_days) > 0', openOrDischargedSince(ctx.filters.fromDay)), (src) => `
      SELECT ${GROUPS[groupBy]} AS grp, care_type, sum(${bedDaysIn(ctx.filters.fromDay, to, ctx.today)}) AS bed_days
      FROM ${src}
      GROUP BY grp, care_type HAVING bed_days > 0 ORDER BY grp, care_type`),
    capacityBeds(ctx, groupBy, to),
  ]);
  return {
    rows: rows.map((r) => {
      const c = beds.get(String(r.grp));
      const occupied = n(r.bed_days) / days;
      return {
        group: String(r.grp), careType: String(r.care_type), bedDays: n(r.bed_days), days, occupiedBeds: occupied,
        availableBeds: c?.beds ?? null, per100Beds: c ? (occupied / c.beds) * 100 : null,
        // Side by side, as Väntetider.se shows them: the ward's own overcrowding and outlying patients.
        overcrowded: c?.overcrowded ?? null, outlying: c?.outlying ?? null,
      };
    }),
    notes: [`bed-days of utklar patients from ${day(ctx.filters.fromDay)} to ${day(to)} (day 0 not counted) ÷ ${days} days`, ...(beds.size === 0 ? ['no bed capacity loaded for the period: per100Beds is null'] : [])],
  };
}

/** Mean available beds, överbeläggningar and utlokaliserade per day over the period, per group (capacity feed). */
async function capacityBeds(ctx: Ctx, groupBy: GroupBy, to: number): Promise<Map<string, { beds: number; overcrowded: number; outlying: number }>> {
  const expr: Partial<Record<GroupBy, string>> = { none: "''", hospital: 'hospital', ward: "concat(hospital, '/', ward)" };
  if (!expr[groupBy]) return new Map();
  const scope = ctx.scope.kind === 'unit' ? ` AND hospital = ${str(ctx.scope.hospital)} AND ward = ${str(ctx.scope.ward)}` : '';
  const days = to - ctx.filters.fromDay + 1;
  const rows = await select(ctx, `
    SELECT grp, sum(b) / ${int(days)} AS beds, sum(o) / ${int(days)} AS overcrowded, sum(u) / ${int(days)} AS outlying FROM (
      SELECT ${expr[groupBy]} AS grp, day, argMax(beds, version) AS b, argMax(overcrowded, version) AS o, argMax(outlying, version) AS u FROM ${ctx.db}.capacity
      WHERE day >= ${int(ctx.filters.fromDay)} AND day <= ${int(to)}${scope} GROUP BY hospital, ward, day)
    GROUP BY grp`);
  return new Map(rows.map((r) => [String(r.grp), { beds: n(r.beds), overcrowded: n(r.overcrowded), outlying: n(r.outlying) }]));
}

/** Variation across municipalities of the mean days: min, max, std-dev, the 20 lowest and highest. */
export async function variation(ctx: Ctx): Promise<Result> {
  const { rows } = await meanDays(ctx, 'municipality');
  const out: Row[] = [];
  for (const careType of [...new Set(rows.map((r) => String(r.careType)))].sort()) {
    const list = rows.filter((r) => r.careType === careType).map((r) => ({ kommun: String(r.group), meanDays: Number(r.meanDays) }));
    const values = list.map((r) => r.meanDays);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sorted = [...list].sort((a, b) => a.meanDays - b.meanDays || a.kommun.localeCompare(b.kommun));
    out.push({
      careType, municipalities: list.length, min: Math.min(...values), max: Math.max(...values),
      stdDev: Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length),
      lowest20: sorted.slice(0, 20).map((r) => r.kommun), highest20: sorted.slice(-20).reverse().map((r) => r.kommun),
    });
  }
  return { rows: out, notes: ['across municipalities (home municipality) of medelvårdtid som utskrivningsklar; std-dev is the population standard deviation'] };
}

/** Currently inpatient and waiting: open ready episodes now, by delay band. */
export async function waiting(ctx: Ctx, groupBy: GroupBy): Promise<Result> {
  const rows = await openNow(ctx, ['discharged_day < 0', 'has(ready_end_days, -1)'], ['grp', 'band'], 'episodes', (src, k, c) => `
    SELECT ${k.select}${GROUPS[groupBy]} AS grp, ${band('d')} AS band, ${c.count} AS episodes, ${c.sum('p')} AS payment_days
    FROM (SELECT *, ${utklarDays(ctx.today)} AS d, ${paymentDays(ctx.today)} AS p FROM ${src})
    GROUP BY ${k.by}grp, band ORDER BY ${k.by}grp`);
  const groups = new Map<string, Row>();
  for (const r of rows) {
    const g = String(r.grp);
    const row = groups.get(g) ?? { group: g, waiting: 0, paymentDays: 0, ...Object.fromEntries(DELAY_BANDS.map((b) => [`band_${b}`, 0])) };
    row.waiting = Number(row.waiting) + n(r.episodes);
    row.paymentDays = Number(row.paymentDays) + n(r.payment_days);
    row[`band_${String(r.band)}`] = n(r.episodes);
    groups.set(g, row);
  }
  return { rows: [...groups.values()], notes: [`as of ${day(ctx.today)}; delay bands ${DELAY_BANDS.join(', ')} days`] };
}

/**
 * Betalningsansvar for one month, the invoice basis: per liable (recipient) municipality and care
 * type, the payment days of episodes discharged in the month, the average against the threshold
 * (over the month or the rolling 3 months ending with it) or free days per patient, by the
 * agreement in force for the episode's region on its discharge day, and what is billable.
 */
export async function payment(ctx: Ctx, month: { fromDay: number; toDay: number }): Promise<Result> {
  const agreements = ctx.agreements ?? AgreementSet.of(ctx.rules);
  // Summed in ClickHouse: a nation's month is ≈ 80 000 episodes, a few thousand cells.
  const q = paymentCellsSql(agreements, month, ctx.today);
  const cond = paymentCondition(ctx, month, agreements);
  const at = await pointOf(ctx);
  let cells: PaymentCell[] | undefined;
  if (at.generation > 0 && !at.changed.many) {
    // The generation's cells (cached for its life) and the changed episodes' signed delta: no
    // NOT IN of the changed ids over the generation's rows (≈ a quarter of the nation's query).
    const columns = columnsIn(q.sql(''));
    const delta = changedDelta(ctx.db, at, cond, columns);
    // The generation's part from its payment rollup where the condition names only its keys (a
    // nation's month is ≈ 35 000 rollup rows instead of ≈ 120 000 episodes), else from its episodes.
    const discharges = paymentDischarges(ctx, month, agreements);
    const generationSql = q.rollup && at.rollups.includes(PAYMENT_ROLLUP) && paymentRollupAnswers(discharges)
      ? q.rollup(`${ctx.db}.${PAYMENT_ROLLUP} WHERE generation = ${int(at.generation)} AND ${discharges}`)
      : q.sql(generationEpisodes(ctx.db, cond, at, columns));
    const [generation, changes] = await Promise.all([cached(ctx, generationSql, true), delta === null ? [] : cached(ctx, q.sql(delta, true))]);
    cells = q.toCells(delta === null ? generation : mergePaymentCells(generation, changes));
    // A line without an agreement names its earliest discharge day, which the delta cannot take back (mergePaymentCells).
    if (delta !== null && cells.some((c) => c.invoiced && agreements.inForce(c.region, c.agreementDay) === undefined)) cells = undefined;
  }
  cells ??= q.toCells(await over(ctx, cond, q.sql));
  return { ...paymentBasisOf(cells, agreements, month), period: { from: day(month.fromDay)!, to: day(month.toDay)! } };
}

/** The episodes an invoice month reads, ready or not: discharged in it or, for a rolling average, the two months before. */
const paymentDischarges = (ctx: Ctx, month: { fromDay: number; toDay: number }, agreements: AgreementSet, region?: string) => [
  // A municipality's invoice lines are the ones it is liable for (the ready notice's
  // recipient), residents or not, and all of each: scoped by recipient, not by home.
  ...conditions(ctx.filters, ctx.scope, ctx.today, 'recipient_municipality'),
  ...(region === undefined ? [] : [`region = ${str(region)}`]),
  `discharged_day >= ${int(paymentReadsFrom(agreements, month))}`, `discharged_day <= ${int(month.toDay)}`,
].join(' AND ');
/** The ready episodes an invoice month reads (the payment rollup holds only ready ones). */
const paymentCondition = (ctx: Ctx, month: { fromDay: number; toDay: number }, agreements: AgreementSet, region?: string) =>
  `${paymentDischarges(ctx, month, agreements, region)} AND length(ready_start_days) > 0`;

/**
 * The episodes the invoice basis of `month` reads (payment(), and the invoices with their
 * specification), with what a specification line shows of each. `region` narrows to one region's
 * invoice.
 */
export async function paymentEpisodes(ctx: Ctx, month: { fromDay: number; toDay: number }, agreements: AgreementSet, region?: string): Promise<SpecifiedEpisode[]> {
  const rows = await over(ctx, paymentCondition(ctx, month, agreements, region), (src) => `
    SELECT episode_id, region, recipient_municipality, care_type, discharged_day, ${utklarDays(ctx.today)} AS d, payment_days, liability, conditions_unmet,
      ready_start_days, ready_end_days, track_colour, fast_vardkontakt
    FROM ${src}`);
  return rows.map((r) => ({
    region: String(r.region), municipality: String(r.recipient_municipality), careType: String(r.care_type) as PaymentEpisode['careType'], dischargedDay: n(r.discharged_day),
    utklarDays: n(r.d), paymentDayList: (r.payment_days as unknown[]).map(Number), liable: r.liability !== 'not-liable',
    episodeId: String(r.episode_id), liability: String(r.liability), readyStartDays: (r.ready_start_days as unknown[]).map(Number), readyEndDays: (r.ready_end_days as unknown[]).map(Number),
    trackColour: String(r.track_colour), fastVardkontakt: n(r.fast_vardkontakt) === 1,
    conditionsUnmet: ((r.conditions_unmet as unknown[] | undefined) ?? []).map(String),
  }));
}

/** Spårfärg at discharge per month, and the share with fast vårdkontakt among green, yellow and red. */
export async function trackColours(ctx: Ctx): Promise<Result> {
  const rows = await sums(ctx, ['discharged_month', 'track_colour']);
  const byMonth = new Map<number, Row>();
  for (const r of rows) {
    const m = n(r.k0);
    const colour = String(r.k1);
    const row = byMonth.get(m) ?? { month: monthLabel(m), episodes: 0, fvkRequired: 0, fvkAppointed: 0 };
    row.episodes = Number(row.episodes) + n(r.ready);
    row[`colour_${colour}`] = n(r.ready);
    if (['GREEN', 'YELLOW', 'RED'].includes(colour)) {
      row.fvkRequired = Number(row.fvkRequired) + n(r.ready);
      row.fvkAppointed = Number(row.fvkAppointed) + n(r.fvk);
    }
    byMonth.set(m, row);
  }
  // The whole period (the report's pie) after the months (its line).
  const total: Row = { month: 'period' };
  for (const r of byMonth.values()) for (const [k, v] of Object.entries(r)) if (k !== 'month') total[k] = Number(total[k] ?? 0) + Number(v);
  const list = [...byMonth.values(), ...(byMonth.size > 0 ? [total] : [])].map((r) => ({ ...r, fastVardkontaktShare: Number(r.fvkRequired) > 0 ? Number(r.fvkAppointed) / Number(r.fvkRequired) : null }));
  return { rows: list, notes: ['track colour of the last ready notice; fast vårdkontakt is required for green, yellow and red; the last row is the whole period'] };
}

/**
 * The Örebro overview: per home municipality, the episodes admitted in the period, those with a
 * ready notice, those with at least one utklar day, and who is inpatient and waiting now.
 */
export async function overview(ctx: Ctx, groupBy: GroupBy): Promise<Result> {
  const [admitted, waitingNow] = await Promise.all([
    sums(ctx, [GROUPS[groupBy]], ADMISSIONS),
    openNow(ctx, ['discharged_day < 0', 'has(ready_end_days, -1)'], ['grp'], 'waiting_now', (src, k, c) => `
      SELECT ${k.select}${GROUPS[groupBy]} AS grp, ${c.count} AS waiting_now FROM ${src} GROUP BY ${k.by}grp`),
  ]);
  const groups = new Map<string, { admitted: number; ready: number; utklar: number; waitingNow: number }>();
  const of = (g: string) => groups.get(g) ?? groups.set(g, { admitted: 0, ready: 0, utklar: 0, waitingNow: 0 }).get(g)!;
  for (const r of admitted) Object.assign(of(String(r.k0)), { admitted: n(r.admitted), ready: n(r.ready), utklar: n(r.utklar) });
  for (const r of waitingNow) of(String(r.grp)).waitingNow = n(r.waiting_now);
  // In the order ClickHouse sorts strings (bytes), as the groups came before.
  const order = [...groups.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return {
    rows: order.map((g) => { const r = groups.get(g)!; return { group: g, name: groupBy === 'municipality' ? municipalities.get(g)?.name ?? null : null, admitted: r.admitted, readyNotices: r.ready, utklarEpisodes: r.utklar, waitingNow: r.waitingNow }; }),
    notes: ['admitted, with a ready notice and with ≥ 1 utklar day: episodes admitted in the period; waitingNow: open ready episodes today'],
  };
}

/**
 * 30-day readmissions: admissions and readmissions (acute, 1–30 days after a discharge) per
 * admission month, this period and the same months a year earlier; or grouped (e.g. by the clinic
 * that discharged the index stay).
 */
export async function readmissions(ctx: Ctx, groupBy: GroupBy | 'month' | 'indexClinic'): Promise<Result> {
  const g = groupBy === 'indexClinic' ? 'readmission_index_clinic' : groupExpr(groupBy, 'admitted_month');
  const query = async (fromDay: number, toDay: number) => (await sums(ctx, [g], ADMISSIONS, { fromDay, toDay }, ['admitted', 'readmissions']))
    .map((r) => ({ grp: r.k0, admissions: r.admitted, readmissions: r.readmissions }));
  const label = (v: unknown) => (groupBy === 'month' ? monthLabel(n(v)) : String(v));
  const shift = (d: number) => { const c = fromEpochDay(d); return { ...c, year: c.year - 1 }; };
  const [period, lastYear] = await Promise.all([
    query(ctx.filters.fromDay, ctx.filters.toDay),
    groupBy === 'indexClinic' ? [] : query(epochDay(shift(ctx.filters.fromDay)), epochDay(shift(ctx.filters.toDay))),
  ]);
  const rows = period.map((r) => ({ group: label(r.grp), admissions: n(r.admissions), readmissions: n(r.readmissions), share: n(r.readmissions) / n(r.admissions) }));
  if (groupBy === 'indexClinic') {
    // Admissions are not attributable to an index clinic: only the readmission counts are meaningful.
    return { rows: rows.filter((r) => r.readmissions > 0).map(({ group, readmissions }) => ({ indexClinic: group, readmissions })), notes: ['readmissions by the clinic that discharged the index stay'] };
  }
  return {
    rows: rows.map((r) => {
      const prev = groupBy === 'month' ? lastYear.find((p) => label(n(p.grp) + 100) === r.group) : lastYear.find((p) => String(p.grp) === r.group);
      return { ...r, previousYearAdmissions: prev ? n(prev.admissions) : 0, previousYearReadmissions: prev ? n(prev.readmissions) : 0 };
    }),
    notes: [`acute admissions within ${ctx.rules.readmission.windowDays} days after a discharge, by admission date; share = readmissions ÷ admissions`],
  };
}

/**
 * What a chart element counts, for its drill-down (`rows?counted=`): exactly the episodes the
 * indicator sums, so that a mean-days point lists no day-0 discharge and a readmission bar no
 * episode admitted outside its month. Each is the condition its family's sums use
 * (snapshot/rollup-sql.ts: DISCHARGES, ADMISSIONS; waiting()).
 */
export const COUNTED = {
  /** Medelvårdtid, per 1 000, variation, the bubble chart: discharged in the period with ≥ 1 utklar day. */
  utklar: { discharged: true, cond: 'length(ready_start_days) > 0 AND d >= 1' },
  /** Måluppfyllelse's denominator, spårfärg: discharged in the period after a ready notice. */
  ready: { discharged: true, cond: 'length(ready_start_days) > 0' },
  /** Måluppfyllelse's numerator: discharged the day they became utklar. */
  sameDay: { discharged: true, cond: 'length(ready_start_days) > 0 AND d = 0' },
  /** Fast vårdkontakt required (green, yellow, red) and appointed. */
  fvkRequired: { discharged: true, cond: "length(ready_start_days) > 0 AND track_colour IN ('GREEN', 'YELLOW', 'RED')" },
  fvk: { discharged: true, cond: "length(ready_start_days) > 0 AND track_colour IN ('GREEN', 'YELLOW', 'RED') AND fast_vardkontakt = 1" },
  fvkMissing: { discharged: true, cond: "length(ready_start_days) > 0 AND track_colour IN ('GREEN', 'YELLOW', 'RED') AND fast_vardkontakt = 0" },
  /** The overview's and the readmissions' admissions: admitted in the period. */
  admitted: { discharged: false, cond: '1' },
  admittedReady: { discharged: false, cond: 'length(ready_start_days) > 0' },
  admittedUtklar: { discharged: false, cond: 'd >= 1' },
  readmission: { discharged: false, cond: "readmission_of != ''" },
  /** Inneliggande: open ready episodes now (the period does not apply). */
  waiting: { discharged: null, cond: 'discharged_day < 0 AND has(ready_end_days, -1)' },
  /** Belagda vårdplatser: utklar on some day of the period up to today (bed-days > 0, day 0 not counted), as occupied-beds. */
  occupied: { discharged: null, cond: 'length(ready_start_days) > 0' },
} as const;
export type Counted = keyof typeof COUNTED;
export interface RowsSelection {
  counted: Counted | null;
  /** Delay band of the utklar days today (DELAY_BANDS). */
  band: string | null;
  /** A delay reason's code, and/or its responsible party, on the same entry. */
  reason: string | null;
  party: string | null;
  /** The ready notice's recipient kommun (Inneliggande per recipient). */
  recipient: string | null;
  /** The clinic that discharged a readmission's index stay. */
  indexClinic: string | null;
  /** Exactly this many utklar days (today), and exactly this many days since the discharge. */
  utklarDays: number | null;
  daysSinceDischarge: number | null;
}

/** The de-identified rows behind any chart: pseudonymous episode id, no patient key. */
export async function episodeRows(ctx: Ctx, limit: number, offset: number, sel: RowsSelection = { counted: null, band: null, reason: null, party: null, recipient: null, indexClinic: null, utklarDays: null, daysSinceDischarge: null }): Promise<Result> {
  const f = ctx.filters;
  const c = sel.counted === null ? null : COUNTED[sel.counted];
  const inPeriod = (col: string) => `${col} >= ${int(f.fromDay)} AND ${col} <= ${int(f.toDay)}`;
  const period = c === null ? `((${inPeriod('discharged_day')}) OR (discharged_day < 0 AND admitted_day <= ${int(f.toDay)}))`
    : c.discharged === true ? inPeriod('discharged_day')
    : c.discharged === false ? `${inPeriod('admitted_day')} AND ${openOrDischargedSince(f.fromDay)}`
    : sel.counted === 'occupied' ? `length(ready_start_days) > 0 AND ${openOrDischargedSince(f.fromDay)}`
    : 'discharged_day < 0';
  const occupied = sel.counted === 'occupied' ? `${bedDaysIn(f.fromDay, Math.min(f.toDay, ctx.today), ctx.today)} > 0` : '1';
  const cond = where(ctx, period);
  const outer = [c === null ? '1' : c.cond, occupied, sel.band === null ? '1' : `${band('d')} = ${str(sel.band)}`,
    sel.reason === null && sel.party === null ? '1'
      : `arrayExists((r, p) -> ${sel.reason === null ? '1' : `r = ${str(sel.reason)}`} AND ${sel.party === null ? '1' : `p = ${str(sel.party)}`}, delay_reasons, delay_parties)`,
    sel.recipient === null ? '1' : `recipient_municipality = ${str(sel.recipient)}`,
    sel.indexClinic === null ? '1' : `readmission_index_clinic = ${str(sel.indexClinic)}`,
    sel.utklarDays === null ? '1' : `d = ${int(sel.utklarDays)}`,
    sel.daysSinceDischarge === null ? '1' : `discharged_day >= 0 AND ${int(ctx.today)} - discharged_day = ${int(sel.daysSinceDischarge)}`].join(' AND ');
  const page = (src: string, columns = `episode_id, status, region, home_municipality, home_county, out_of_county, hospital, clinic, ward, business_area, care_type, age_group,
      primary_care_unit, admitted_day, discharged_day, d, p, track_colour, fast_vardkontakt, liability, readmission_of, delay_reasons`, at = `LIMIT ${int(limit)} OFFSET ${int(offset)}`) => `
    SELECT ${columns}
    FROM (SELECT *, ${utklarDays(ctx.today)} AS d, ${paymentDays(ctx.today)} AS p FROM ${src})
    WHERE ${outer} ORDER BY episode_id ${at}`;
  const point = await pointOf(ctx);
  let rows: Record<string, unknown>[];
  // A region's episodes lie together in the snapshot (sorted by region first): one plain read of
  // its period was faster there than the rows table's two (a sample and a page spread over runs).
  if (!hasRowsTable(point) || ctx.scope.kind === 'region') rows = await over(ctx, cond, page);
  else {
    // The rows' own table (rows-sql.ts): its runs of the period's months (and the kommun's county) only, each up to a bound on the id.
    const kommuner = [...(ctx.scope.kind === 'municipality' ? [[ctx.scope.municipality]] : []), ...(f.kommun.length > 0 ? [f.kommun] : [])];
    // A page of named kommuner reads them where they lie together (their conditions, in `cond`,
    // fix the sort key's first column there); the sample is the one table's, pruned by county.
    const byKommun = hasKommunRows(point) && kommuner.length > 0 && Math.min(...kommuner.map((k) => k.length)) <= MAX_KOMMUN_RUNS;
    const pruneOf = (counties: boolean) => rowsPrune({
      closedFrom: c === null || c.discharged !== null || sel.counted === 'occupied' ? f.fromDay : null,
      closedTo: c === null || c.discharged === true ? f.toDay : c.discharged === null && sel.counted !== 'occupied' ? -1 : null,
      open: c === null || c.discharged !== true,
      kommuner: counties ? kommuner : [],
    });
    const prune = pruneOf(true);
    const columns = columnsIn(page(''));
    const source = (bound: string) => currentEpisodes(ctx.db, bound === '' ? cond : `${cond} AND episode_id <= ${str(bound)}`, point, columns, byKommun ? { table: ROWS_KOMMUN, prune: pruneOf(false) } : { table: ROWS_TABLE, prune });
    // The bound: the sample's k-th matching episode (the generation's versions: it only sizes the read).
    const sample = `(SELECT ${fromSnapshot(columns)} FROM ${ctx.db}.${ROWS_SAMPLE} WHERE generation = ${int(point.generation)} AND ${prune} AND ${cond})`;
    // It reads the generation's own table only: cached for the generation's life, not asked again at each read point.
    const [b] = await cached(ctx, page(sample, 'episode_id', `LIMIT 1 OFFSET ${int(sampleRank(offset + limit) - 1)}`), true);
    rows = b === undefined ? [] : await cached(ctx, page(source(String(b.episode_id))));
    // Fewer than a page below the bound: the page may go on above it, so it is read unbounded. A
    // whole page below it is the page: every episode before its last one is below the bound too.
    if (rows.length < limit) rows = await cached(ctx, page(source('')));
  }
  return {
    rows: rows.map((r) => ({
      episodeId: String(r.episode_id), status: String(r.status), region: String(r.region), kommun: String(r.home_municipality), lan: String(r.home_county), utomLan: n(r.out_of_county) === 1,
      hospital: String(r.hospital), clinic: String(r.clinic), ward: String(r.ward), businessArea: String(r.business_area), careType: String(r.care_type), ageGroup: String(r.age_group),
      primaryCareUnit: String(r.primary_care_unit), admitted: day(n(r.admitted_day)), discharged: day(n(r.discharged_day)), utklarDays: n(r.d), paymentDays: n(r.p),
      band: delayBand(n(r.d)), trackColour: String(r.track_colour), fastVardkontakt: n(r.fast_vardkontakt) === 1, liability: String(r.liability),
      readmission: Boolean(r.readmission_of), readmissionOf: visibleIndexEpisode(r.readmission_of ? String(r.readmission_of) : null, ctx.scope, ctx.rules), delayReasons: (r.delay_reasons as string[]).join(';'),
    })),
    notes: ['de-identified: pseudonymous episode ids, age groups, no patient key', ...(sel.counted === null ? [] : [`the episodes counted as '${sel.counted}'`])],
  };
}

/**
 * Delay reasons (dröjsmålsorsaker) of the ready episodes discharged in the period, per discharge
 * month (or the whole period): per reason and responsible party the episodes that had it and
 * their utklar days, and per responsible party alone the same (an episode with two reasons of one
 * party counted once). An episode's days are counted in full under each of its reasons: the facts
 * keep which reasons an episode had, not how many of its days each covered.
 */
export async function delayReasons(ctx: Ctx, groupBy: 'month' | 'none'): Promise<Result> {
  const f = ctx.filters;
  const grp = groupBy === 'month' ? 'toString(discharged_month)' : "''";
  const cond = where(ctx, 'length(ready_start_days) > 0', `discharged_day >= ${int(f.fromDay)}`, `discharged_day <= ${int(f.toDay)}`, 'length(delay_reasons) > 0');
  const perEpisode = (keys: string) => (src: string) => `
    SELECT grp, ${keys}, count() AS episodes, sum(d) AS days FROM (
      SELECT grp, episode_id, ${keys}, any(d) AS d FROM (
        SELECT ${grp} AS grp, episode_id, ${utklarDays(ctx.today)} AS d, delay_reasons, delay_parties FROM ${src}
      ) ARRAY JOIN delay_reasons AS reason, delay_parties AS party
      GROUP BY grp, episode_id, ${keys})
    GROUP BY grp, ${keys} ORDER BY grp, ${keys}`;
  const [byReason, byParty] = [await over(ctx, cond, perEpisode('reason, party')), await over(ctx, cond, perEpisode('party'))];
  const label = (g: unknown) => (groupBy === 'month' ? monthLabel(n(g)) : 'period');
  return {
    rows: [
      ...byReason.map((r) => ({ group: label(r.grp), reason: String(r.reason), party: String(r.party), episodes: n(r.episodes), days: n(r.days) })),
      ...byParty.map((r) => ({ group: label(r.grp), reason: null, party: String(r.party), episodes: n(r.episodes), days: n(r.days) })),
    ],
    notes: ['ready episodes discharged in the period that had a delay reason, by discharge month: per reason and responsible party, then (reason null) per responsible party; an episode\'s utklar days count in full under each of its reasons'],
  };
}
