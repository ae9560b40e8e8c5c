import type { ClickHouseClient } from '@clickhouse/client';
import { UtklarError } from '../core/errors.ts';
import { fromEpochDay, isoDate, stockholmDay, stockholmMidnight } from '../core/stockholm-time.ts';
import type { Filters } from '../model/filters.ts';
import type { Scope } from '../model/scope.ts';
import { municipalities } from '../reference/municipalities.ts';
import type { ClockReads } from '../store/clock-reads.ts';
import { forecast } from './forecast.ts';
import type { ForecastEpisode } from './forecast-episode.ts';
import { openCandidates, readHistory, type HistoryQuery } from './forecast-read.ts';
import { MODEL_DEFAULTS, ReadinessModel } from './readiness-model.ts';

/**
 * GET /api/v1/forecast?days=7: per recipient municipality and day from tomorrow, the patients
 * expected to become utskrivningsklar, with 50 % and 90 % bands. The open episodes come from
 * Redis (as the board's), the history the model learns from from ClickHouse.
 */
export interface ForecastDeps {
  client: ClickHouseClient;
  db: string;
  /** The clocks' read model; unset (a process without Redis): the forecast cannot answer. */
  clocks?: Pick<ClockReads, 'openEpisodes' | 'regionsWithOpen'>;
  /** The injected clock. */
  now: () => number;
}

export const FORECAST_MAX_DAYS = 14;
// Long stays admitted this long before the window can still be at risk in it.
const LOOKBACK_DAYS = 60;

export function forecastDays(v: string | null): number {
  if (v === null) return 7;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > FORECAST_MAX_DAYS) throw new UtklarError('INVALID_REQUEST', `days: expected a whole number from 1 to ${FORECAST_MAX_DAYS}, got '${v}'`);
  return Number(v);
}

/** Whose stays count: the scope's (a municipality: the stays whose notice goes to it), narrowed by the listbox filters. */
export function selection(scope: Scope, f: Filters): (e: ForecastEpisode) => boolean {
  // Known only once the patient is ready, or only after discharge: a filter on them would silently count everyone.
  if (f.trackColour !== null) throw new UtklarError('INVALID_REQUEST', 'trackColour: the forecast counts patients not yet ready, who have no track colour');
  if (f.status === 'discharged' || f.dischargedWithinDays !== null) throw new UtklarError('INVALID_REQUEST', `${f.status === 'discharged' ? 'status' : 'dischargedWithinDays'}: the forecast counts inpatients`);
  const eq: [keyof Filters, keyof ForecastEpisode][] = [['careType', 'careType'], ['hospital', 'hospital'], ['clinic', 'clinic'], ['ward', 'ward'], ['businessArea', 'businessArea'], ['primaryCareUnit', 'primaryCareUnit'], ['ageGroup', 'ageGroup']];
  return (e) => {
    if (scope.kind === 'region' && e.region !== scope.region) return false;
    if (scope.kind === 'municipality' && e.recipient !== scope.municipality) return false;
    if (scope.kind === 'unit' && (e.hospital !== scope.hospital || e.ward !== scope.ward)) return false;
    if (f.kommun.length > 0 && !f.kommun.includes(e.recipient)) return false;
    if (f.lan.length > 0) {
      const county = municipalities.get(e.homeMunicipality)?.countyCode ?? '';
      if (!f.lan.includes(county) && !(f.lan.includes('utom') && county !== '' && county !== e.region)) return false;
    }
    return eq.every(([k, field]) => f[k] === null || f[k] === e[field]);
  };
}

async function openOf(clocks: NonNullable<ForecastDeps['clocks']>, scope: Scope) {
  if (scope.kind === 'region') return clocks.openEpisodes({ region: scope.region });
  if (scope.kind === 'municipality') return clocks.openEpisodes({ municipality: scope.municipality });
  if (scope.kind === 'unit') return clocks.openEpisodes({ ward: [scope.hospital, scope.ward] });
  return (await Promise.all((await clocks.regionsWithOpen()).map((region) => clocks.openEpisodes({ region })))).flat();
}

function historyOf(scope: Scope, admittedFrom: number): HistoryQuery {
  if (scope.kind === 'region') return { admittedFrom, regions: [scope.region] };
  // Its residents are mostly treated in its own county's region; the model learns from that region's clinics.
  if (scope.kind === 'municipality') return { admittedFrom, regions: [municipalities.get(scope.municipality)?.countyCode ?? scope.municipality.slice(0, 2)], orHome: scope.municipality };
  return { admittedFrom };
}

export async function forecastAnswer(deps: ForecastDeps, scope: Scope, f: Filters, q: URLSearchParams) {
  const days = forecastDays(q.get('days'));
  const select = selection(scope, f);
  if (!deps.clocks) throw new UtklarError('DEPENDENCY_UNAVAILABLE', 'the forecast reads the open episodes from Redis, which this process does not');
  const now = deps.now();
  const today = stockholmDay(now);
  const [stored, history] = await Promise.all([openOf(deps.clocks, scope), readHistory(deps.client, deps.db, historyOf(scope, today - MODEL_DEFAULTS.windowDays - LOOKBACK_DAYS))]);
  const open = openCandidates(stored).filter(select);
  const model = new ReadinessModel(history, today - 1, MODEL_DEFAULTS, select).slideTo(today);
  // Today's admissions still to come (a 23- or 25-hour day on a DST switch counts as it is).
  const [midnight, next] = [stockholmMidnight(today), stockholmMidnight(today + 1)];
  const cells = forecast({
    model, open, atRiskFrom: today, knownBy: today, firstDay: today + 1, days, arrivalsFrom: today,
    arrivalsFirstShare: Math.max(0, Math.min(1, (next - now) / (next - midnight))),
    municipalities: scope.kind === 'municipality' ? [scope.municipality] : f.kommun.length > 0 ? [...f.kommun].sort() : undefined,
  });
  const iso = (d: number) => isoDate(fromEpochDay(d));
  const round = (v: number) => Math.round(v * 100) / 100;
  return {
    period: { from: iso(today + 1), to: iso(today + days) },
    rows: cells.map((c) => ({
      municipality: c.municipality, municipalityName: municipalities.get(c.municipality)?.name ?? null, day: iso(c.day),
      expected: round(c.expected), median: c.median, band50Low: c.band50[0], band50High: c.band50[1], band90Low: c.band90[0], band90High: c.band90[1],
      fromOpen: round(c.fromOpen), fromNew: round(c.fromNew), openEpisodes: c.openEpisodes,
    })),
    notes: [
      `patients expected to become utskrivningsklar (first ready notice) per recipient municipality and day, from tomorrow; an open stay counts for its home municipality until its notice names the recipient`,
      `learnt from ${history.length} stays over the ${MODEL_DEFAULTS.windowDays} days before today: how the inskrivningsmeddelande's estimatedDischargeDate compared with the ready notice per clinic and care type, the length of stay to readiness per clinic and age group where there is no estimate, and each municipality's ready notices from stays not yet begun (fromNew)`,
      'band50 and band90: the central 50 % and 90 % of the count\'s distribution (quantiles 0.25–0.75 and 0.05–0.95), the stays taken as independent',
    ],
  };
}
