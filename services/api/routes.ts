import type { ClickHouseClient } from '@clickhouse/client';
import type { RegionRules } from '../clock/rules.ts';
import type { AgreementSet } from '../agreements/agreement-set.ts';
import { UtklarError } from '../core/errors.ts';
import { epochDay, fromEpochDay, stockholmDay } from '../core/stockholm-time.ts';
import type { PopulationTable } from '../reference/population.ts';
import * as ind from '../indicators/indicators.ts';
import { readerOf } from './auth.ts';
import { PATIENT_LEVEL_ROUTES, type AccessRecorder } from './access-log.ts';
import { scopeText, type Scope } from '../model/scope.ts';
import { toCsv } from './csv.ts';
import { exactDatesFor, monthOnly, suppressSmallCells, suppresses, suppressionNote } from './small-cells.ts';
import { INVOICE_ROUTES } from './invoice-routes.ts';
import { parseFilters, parseGroupBy, type Filters, type GroupBy } from '../model/filters.ts';
import type { ClockReads } from '../store/clock-reads.ts';
import { forecastAnswer } from '../forecast/forecast-route.ts';
import { DELAY_BANDS } from '../clock/delay-band.ts';
import type { AskedPages } from './warm-pages.ts';
import { RESPONSIBLE_PARTIES } from '../contract/event.ts';

export interface ApiDeps {
  client: ClickHouseClient;
  db: string;
  rules: RegionRules;
  /** The payment agreements (config.agreements); unset: `rules` for every region. */
  agreements?: AgreementSet;
  population: PopulationTable;
  secret: string | undefined;
  /** The injected clock. */
  now: () => number;
  /** Where answers showing patient-level data are recorded (issue #19); unset: not recorded (unit tests, benchmarks). */
  accessLog?: AccessRecorder;
  /** Small-cell suppression's limit (UTKLAR_SMALL_CELL_MIN, small-cells.ts); unset: 5. */
  smallCellMin?: number;
  /** The open episodes in Redis (the forecast's); unset: the forecast answers 503. */
  clocks?: Pick<ClockReads, 'openEpisodes' | 'regionsWithOpen'>;
  /** Where the pages asked are remembered, for the builder to answer them ahead for a new generation (warm-pages.ts); unset: not remembered. */
  asked?: AskedPages;
}

type Handler = (ctx: ind.Ctx, q: URLSearchParams, deps?: ApiDeps) => Promise<ind.Result & { groupBy?: string }>;

const groupOr = (q: URLSearchParams, fallback: GroupBy) => parseGroupBy(q, fallback);
const withMonth = (q: URLSearchParams, fallback: GroupBy | 'month') => (q.get('groupBy') === 'month' ? 'month' : q.get('groupBy') ? parseGroupBy(q, 'none') : fallback);

/** Every indicator endpoint: path → what it computes (the OpenAPI document lists the same). */
export const ROUTES: Record<string, { summary: string; groupBy: string[]; handler: Handler; /** Parameters of this route alone, besides the filters: [name, description]. */ params?: [string, string][] }> = {
  overview: { summary: 'Örebro overview: episodes, ready notices, utklar episodes (admitted in the period) and waiting now, per municipality', groupBy: ['municipality', 'none', 'region', 'county', 'hospital', 'clinic', 'ward', 'businessArea', 'ageGroup'],
    handler: async (ctx, q) => { const g = groupOr(q, 'municipality'); return { ...(await ind.overview(ctx, g)), groupBy: g }; } },
  'indicators/mean-days': { summary: 'Medelvårdtid som utskrivningsklar (episodes discharged in the period with ≥ 1 utklar day)', groupBy: ['month', 'none', 'region', 'county', 'municipality', 'hospital', 'clinic', 'ward', 'businessArea', 'primaryCareUnit', 'ageGroup', 'trackColour'],
    handler: async (ctx, q) => { const g = withMonth(q, 'municipality'); return { ...(await ind.meanDays(ctx, g)), groupBy: g }; } },
  'indicators/goal-fulfilment': { summary: 'Måluppfyllelse: share discharged the day they became utskrivningsklar; groupBy=utklarDays or daysSinceDischarge: the episodes discharged after a ready notice per number of utklar days, or per day since their discharge (the portal\'s "Antal dagar" breakdown)', groupBy: ['month', 'none', 'region', 'county', 'municipality', 'hospital', 'clinic', 'ward', 'businessArea', 'ageGroup', ...ind.DAY_GROUPINGS],
    handler: async (ctx, q) => { const asked = q.get('groupBy') ?? ''; const g = (ind.DAY_GROUPINGS as readonly string[]).includes(asked) ? (asked as ind.DayGrouping) : withMonth(q, 'municipality'); return { ...(await ind.goalFulfilment(ctx, g)), groupBy: g }; } },
  'indicators/per-1000': { summary: 'Utklar days and episodes (≥ 1 day) per municipality per 1 000 invånare (total population, Region Örebro, bubble chart) and per 1 000 inv 65+ (Väntetider.se), each population with its year (the latest available where the rule\'s year is not loaded, said in notes and populations)', groupBy: ['municipality'],
    handler: async (ctx) => ({ ...(await ind.perThousand(ctx)), groupBy: 'municipality' }) },
  'indicators/occupied-beds': { summary: 'Antal vårdplatser belagda av utskrivningsklara (and per 100 available beds when capacity is loaded)', groupBy: ['none', 'region', 'municipality', 'hospital', 'clinic', 'ward', 'businessArea'],
    handler: async (ctx, q) => { const g = groupOr(q, 'none'); return { ...(await ind.occupiedBeds(ctx, g)), groupBy: g }; } },
  'indicators/variation': { summary: 'Variation across municipalities: min, max, std-dev, 20 lowest and 20 highest', groupBy: [],
    handler: async (ctx) => ind.variation(ctx) },
  waiting: { summary: 'Currently inpatient and waiting, by delay band; per home or per recipient municipality (the ready notice\'s, "till vilken kommun")', groupBy: ['municipality', 'none', 'region', 'recipientMunicipality', 'hospital', 'clinic', 'ward', 'businessArea', 'ageGroup', 'trackColour'],
    handler: async (ctx, q) => { const g = groupOr(q, 'municipality'); return { ...(await ind.waiting(ctx, g)), groupBy: g }; } },
  payment: { summary: 'Betalningsansvar for one month (month=YYYY-MM, default last month): the invoice basis per municipality and care type', groupBy: [],
    handler: async (ctx, q) => ind.payment(ctx, monthOf(q.get('month'), ctx.today)) },
  'track-colours': { summary: 'Spårfärg at discharge per month and the fast vårdkontakt share', groupBy: [],
    handler: async (ctx) => ind.trackColours(ctx) },
  readmissions: { summary: '30-day readmissions: admissions vs readmissions per month (with last year), or by group', groupBy: ['month', 'indexClinic', 'municipality', 'primaryCareUnit', 'clinic', 'none'],
    handler: async (ctx, q) => { const g = q.get('groupBy') === 'indexClinic' ? 'indexClinic' : withMonth(q, 'month'); return { ...(await ind.readmissions(ctx, g)), groupBy: g }; } },
  'delay-reasons': { summary: 'Delay reasons (dröjsmålsorsaker): per discharge month, reason and responsible party (region, municipality, patient or family) the ready episodes discharged in the period that had it and their utklar days; per responsible party alone in the rows with reason null', groupBy: ['month', 'none'],
    handler: async (ctx, q) => { const g = q.get('groupBy') === 'none' ? 'none' : q.get('groupBy') === null || q.get('groupBy') === 'month' ? 'month' : badGroup(q); return { ...(await ind.delayReasons(ctx, g)), groupBy: g }; } },
  rows: { summary: 'The de-identified episode rows behind a chart (limit ≤ 10 000, offset); counted= names the chart\'s measure so that exactly the episodes it counts are listed', groupBy: [],
    params: [
      ['counted', `What the chart element counts: ${Object.keys(ind.COUNTED).join(', ')} (utklar: discharged in the period with ≥ 1 utklar day, as mean-days; ready, sameDay, fvkRequired, fvk: discharged in the period after a ready notice, as goal-fulfilment and track-colours; admitted, readmission: admitted in the period, as readmissions and overview; waiting: open and ready now, as waiting; occupied: utklar on a day of the period, as occupied-beds). Unset: discharged in the period, or open and admitted by its end`],
      ['band', `Delay band of the utklar days today: ${DELAY_BANDS.join(', ')}`],
      ['reason', 'A delay reason code the episode had'],
      ['party', `The responsible party of that reason (or of any reason): ${RESPONSIBLE_PARTIES.join(', ')}`],
      ['recipient', 'The ready notice\'s recipient municipality (kommunkod), as waiting?groupBy=recipientMunicipality groups'],
      ['indexClinic', 'The clinic that discharged a readmission\'s index stay, as readmissions?groupBy=indexClinic groups'],
      ['utklarDays', 'Exactly this many utklar days (today), as goal-fulfilment?groupBy=utklarDays groups'],
      ['daysSinceDischarge', 'Exactly this many days since the discharge, as goal-fulfilment?groupBy=daysSinceDischarge groups'],
    ],
    handler: async (ctx, q) => ind.episodeRows(ctx, bounded(q.get('limit'), 'limit', 1000, 10_000), bounded(q.get('offset'), 'offset', 0, 10_000_000), rowsSelection(q)) },
  forecast: { summary: 'Patients expected to become utskrivningsklar per recipient municipality and day, from tomorrow (days=1–14, default 7), with 50 % and 90 % bands learnt from history (services/forecast/)', groupBy: [],
    handler: async (ctx, q, deps) => forecastAnswer({ client: ctx.client, db: ctx.db, clocks: deps?.clocks, now: deps?.now ?? Date.now }, ctx.scope, ctx.filters, q) },
};

function badGroup(q: URLSearchParams): never {
  throw new UtklarError('INVALID_REQUEST', `groupBy: expected one of month, none, got '${q.get('groupBy')}'`);
}

function oneOf<T extends string>(q: URLSearchParams, name: string, allowed: readonly T[]): T | null {
  const v = q.get(name);
  if (v === null || v === '') return null;
  if (!(allowed as readonly string[]).includes(v)) throw new UtklarError('INVALID_REQUEST', `${name}: expected one of ${allowed.join(', ')}, got '${v}'`);
  return v as T;
}

/** The rows' own selection: what the chart element counts, a delay band, a delay reason or party. */
function rowsSelection(q: URLSearchParams): ind.RowsSelection {
  const text = (name: string) => {
    const v = q.get(name) || null;
    if (v !== null && (v.length > 80 || /[\u0000-\u001f]/.test(v))) throw new UtklarError('INVALID_REQUEST', `${name}: too long or contains control characters`);
    return v;
  };
  const recipient = text('recipient');
  if (recipient !== null && !/^\d{4}$/.test(recipient)) throw new UtklarError('INVALID_REQUEST', `recipient: expected a kommunkod, got '${recipient}'`);
  const count = (name: string) => {
    const v = text(name);
    if (v !== null && !/^\d{1,5}$/.test(v)) throw new UtklarError('INVALID_REQUEST', `${name}: expected a whole number of days, got '${v}'`);
    return v === null ? null : Number(v);
  };
  return { counted: oneOf(q, 'counted', Object.keys(ind.COUNTED) as ind.Counted[]), band: oneOf(q, 'band', DELAY_BANDS), reason: text('reason'), party: oneOf(q, 'party', RESPONSIBLE_PARTIES), recipient, indexClinic: text('indexClinic'), utklarDays: count('utklarDays'), daysSinceDischarge: count('daysSinceDischarge') };
}

function bounded(v: string | null, name: string, fallback: number, max: number): number {
  if (v === null) return fallback;
  if (!/^\d+$/.test(v) || Number(v) > max) throw new UtklarError('INVALID_REQUEST', `${name}: expected a whole number ≤ ${max}`);
  return Number(v);
}

export function monthOf(v: string | null, today: number): { fromDay: number; toDay: number } {
  const t = fromEpochDay(today);
  const [year, month] = v === null ? (t.month === 1 ? [t.year - 1, 12] : [t.year, t.month - 1]) : (/^(\d{4})-(\d{2})$/.exec(v)?.slice(1).map(Number) ?? [NaN, NaN]);
  if (!Number.isInteger(year) || !Number.isInteger(month) || month! < 1 || month! > 12) throw new UtklarError('INVALID_REQUEST', `month: expected YYYY-MM, got '${v}'`);
  const fromDay = epochDay({ year: year!, month: month!, day: 1 });
  return { fromDay, toDay: epochDay({ year: month === 12 ? year! + 1 : year!, month: month === 12 ? 1 : month! + 1, day: 1 }) - 1 };
}

/**
 * A municipality may only ask for its own residents, a unit only for its own ward: asking for
 * another is refused, not answered with an empty (or the own) result that looks like an answer.
 */
function checkScope(scope: Scope, f: Filters): void {
  if (scope.kind === 'municipality' && f.kommun.some((k) => k !== scope.municipality)) {
    throw new UtklarError('FORBIDDEN', `scope ${scopeText(scope)} cannot read other municipalities' residents`);
  }
  if (scope.kind === 'unit' && ((f.hospital !== null && f.hospital !== scope.hospital) || (f.ward !== null && f.ward !== scope.ward))) {
    throw new UtklarError('FORBIDDEN', `scope ${scopeText(scope)} cannot read other wards`);
  }
}

export interface ApiResponse {
  status: number;
  contentType: string;
  body: string;
}

/**
 * What indicator route `route` computes `q` in for `scope` on day `today`: its filters (a route's
 * own parameters are its handler's, the rest the listbox filters; an unknown one is a 400),
 * checked against the scope.
 */
export function contextOf(deps: ApiDeps, route: string, q: URLSearchParams, scope: Scope, today: number): ind.Ctx {
  const own = new Set((ROUTES[route]!.params ?? []).map(([name]) => name));
  const filterParams = own.size === 0 ? q : new URLSearchParams([...q].filter(([k]) => !own.has(k)));
  const filters = parseFilters(filterParams, { fromDay: epochDay({ year: fromEpochDay(today).year, month: 1, day: 1 }), toDay: today });
  checkScope(scope, filters);
  return { client: deps.client, db: deps.db, filters, scope, today, rules: deps.rules, agreements: deps.agreements, population: deps.population };
}

/** Answers GET /api/v1/<route>; errors become 4xx with the UtklarError's message. */
export async function answer(deps: ApiDeps, route: string, q: URLSearchParams, authorization: string | undefined): Promise<ApiResponse> {
  const json = (status: number, v: unknown): ApiResponse => ({ status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(v) });
  try {
    const r = ROUTES[route];
    const invoice = INVOICE_ROUTES[route];
    if (!r && !invoice) throw new UtklarError('NOT_FOUND', `no such endpoint: /api/v1/${route}`);
    if (!deps.secret) throw new UtklarError('DEPENDENCY_UNAVAILABLE', 'the query API is disabled: set UTKLAR_API_SECRET');
    const { scope, subject } = readerOf(authorization, deps.secret, deps.now());
    const today = stockholmDay(deps.now());
    const format = q.get('format') ?? 'json';
    if (format !== 'json' && format !== 'csv') throw new UtklarError('INVALID_REQUEST', `format: expected json or csv, got '${format}'`);
    // An invoice is a month of a region, not a selection: no listbox filters (invoice-routes.ts).
    if (invoice) {
      const { episodes, ...reply } = await invoice.handler(deps, scope, q, monthOf(q.get('month'), today), today, deps.now());
      // The specification and the corrections name episodes: an auditor sees who read them.
      if (episodes > 0) deps.accessLog?.record({ at: deps.now(), subject, scope, endpoint: `/api/v1/${route}`, format, filters: q, episodes, episodeRegions: [q.get('region') ?? (scope.kind === 'region' ? scope.region : '')].filter(Boolean) });
      return reply;
    }
    const ctx = contextOf(deps, route, q, scope, today);
    deps.asked?.record(route, scope, q);
    let result = await r!.handler(ctx, q, deps);
    const min = deps.smallCellMin ?? 5;
    if (suppresses(route, scope, format, min)) {
      const { rows, cells } = suppressSmallCells(route, result.rows, min);
      result = { ...result, rows, notes: cells > 0 ? [...(result.notes ?? []), suppressionNote(min)] : result.notes };
    }
    if (route === 'rows' && !exactDatesFor(scope)) {
      result = { ...result, rows: monthOnly(result.rows), notes: [...(result.notes ?? []), `dates as months: days are shown to the region and the ward only (scope ${scopeText(scope)})`] };
    }
    if (PATIENT_LEVEL_ROUTES.has(route)) {
      deps.accessLog?.record({ at: deps.now(), subject, scope, endpoint: `/api/v1/${route}`, format, filters: q, episodes: result.rows.length, episodeRegions: result.rows.map((row) => String(row.region ?? '')).filter(Boolean) });
    }
    if (format === 'csv') {
      return { status: 200, contentType: 'text/csv; charset=utf-8', body: toCsv(result.rows, `<${min}`) };
    }
    const iso = (d: number) => new Date(d * 86_400_000).toISOString().slice(0, 10);
    const { period, ...rest } = result;
    return json(200, { endpoint: route, scope: scopeText(scope), period: period ?? { from: iso(ctx.filters.fromDay), to: iso(ctx.filters.toDay) }, asOf: new Date(deps.now()).toISOString(), ...rest });
  } catch (e) {
    return errorResponse(e);
  }
}

const STATUS: Partial<Record<string, number>> = { INVALID_REQUEST: 400, UNAUTHORIZED: 401, FORBIDDEN: 403, NOT_FOUND: 404, DEPENDENCY_UNAVAILABLE: 503 };

/** Any error as the API answers it: the UtklarError's code and message, an internal one hidden. */
export function errorResponse(e: unknown): ApiResponse {
  const err = e instanceof UtklarError ? e : new UtklarError('INTERNAL', (e as Error).message);
  const status = STATUS[err.code] ?? 500;
  return { status, contentType: 'application/json; charset=utf-8', body: JSON.stringify({ error: err.code, message: status === 500 ? 'internal error' : err.message }) };
}
