import type { ClickHouseClient } from '@clickhouse/client';
import type { StoredEpisode } from '../clock/stored-episode.ts';
import { UtklarError } from '../core/errors.ts';
import { stockholmDay } from '../core/stockholm-time.ts';
import { ageGroup } from '../facts/episode-fact.ts';
import { int, str } from '../indicators/sql.ts';
import type { ForecastEpisode } from './forecast-episode.ts';

/**
 * The forecast's edges: the history it learns from (ClickHouse: the latest version of each
 * episode, and the admission notices' estimates from the raw events) and the episodes open now
 * (Redis, as the board reads them).
 */
export interface HistoryQuery {
  /** Episodes admitted on or after this Stockholm day (the window, and the long stays still at risk in it). */
  admittedFrom: number;
  /** Only these regions' episodes, and (`orHome`) a municipality's residents treated elsewhere; unset: every region. */
  regions?: readonly string[];
  orHome?: string;
}

const COLUMNS = ['status', 'region', 'hospital', 'ward', 'clinic', 'business_area', 'care_type', 'age_group', 'home_municipality', 'primary_care_unit', 'recipient_municipality', 'admitted_day', 'discharged_day', 'ready_start_days'];

interface FactRow {
  episode_id: string;
  status: string;
  region: string;
  hospital: string;
  ward: string;
  clinic: string;
  business_area: string;
  care_type: string;
  age_group: string;
  home_municipality: string;
  primary_care_unit: string;
  recipient_municipality: string;
  admitted_day: number;
  discharged_day: number;
  ready_start_days: number[];
}

async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  try {
    return await (await client.query({ query, format: 'JSONEachRow' })).json<T>();
  } catch (cause) {
    throw new UtklarError('DEPENDENCY_UNAVAILABLE', `clickhouse: forecast history query failed: ${(cause as Error).message}`, { retriable: true, cause });
  }
}

export async function readHistory(client: ClickHouseClient, db: string, q: HistoryQuery): Promise<ForecastEpisode[]> {
  const where = [`admitted_day >= ${int(q.admittedFrom)}`];
  if (q.regions) {
    const parts = [`region IN (${q.regions.map(str).join(', ')})`, ...(q.orHome ? [`home_municipality = ${str(q.orHome)}`] : [])];
    where.push(`(${parts.join(' OR ')})`);
  }
  // Days are Stockholm epoch days already (episode_facts); nothing here depends on the server's zone.
  // Aliases of their own: 18.16 reads a column named like an alias in WHERE as the aggregate.
  const facts = await rows<FactRow>(client, `SELECT episode_id, ${COLUMNS.map((c) => `latest_${c} AS ${c}`).join(', ')}
    FROM (SELECT episode_id, ${COLUMNS.map((c) => `argMax(${c}, version) AS latest_${c}`).join(', ')} FROM ${db}.episode_facts WHERE ${where.join(' AND ')} GROUP BY episode_id)
    WHERE latest_status NOT IN ('CANCELLED', 'PENDING') AND latest_admitted_day >= 0`);
  if (facts.length === 0) return [];
  const notices = await rows<{ episode_id: string; occurred_at_ms: string | number; payload: string }>(client,
    `SELECT episode_id, occurred_at_ms, payload FROM ${db}.events WHERE event_type = 'admission-notice'
       AND episode_id IN (SELECT episode_id FROM ${db}.episode_facts WHERE ${where.join(' AND ')})`);
  const byEpisode = new Map<string, Map<number, { day: number; estimate: number | null }>>();
  for (const n of notices) {
    const at = Number(n.occurred_at_ms);
    const estimate = (JSON.parse(n.payload) as { estimatedDischargeDate?: number | null }).estimatedDischargeDate ?? null;
    // Without FINAL a resent event may be read twice: one notice per instant.
    const list = byEpisode.get(n.episode_id) ?? new Map();
    list.set(at, { day: stockholmDay(at), estimate });
    byEpisode.set(n.episode_id, list);
  }
  return facts.map((f) => ({
    region: f.region, hospital: f.hospital, ward: f.ward, clinic: f.clinic, businessArea: f.business_area, careType: f.care_type,
    ageGroup: f.age_group, homeMunicipality: f.home_municipality, primaryCareUnit: f.primary_care_unit, recipient: f.recipient_municipality,
    admittedDay: Number(f.admitted_day),
    notices: [...(byEpisode.get(f.episode_id)?.entries() ?? [])].sort(([a], [b]) => a - b).map(([, v]) => v),
    readyDay: f.ready_start_days.length > 0 ? Math.min(...f.ready_start_days.map(Number)) : null,
    dischargedDay: Number(f.discharged_day) >= 0 ? Number(f.discharged_day) : null,
  }));
}

/**
 * The open episodes that may still become ready for the first time: admitted, not discharged,
 * never ready. (One whose notice was withdrawn is back on the ward, but its first readiness is
 * history: it is not forecast again.)
 */
export function openCandidates(stored: readonly StoredEpisode[]): ForecastEpisode[] {
  const out: ForecastEpisode[] = [];
  for (const { state: s } of stored) {
    const a = s.admission;
    if (!a || s.admittedAt === null || s.status !== 'ADMITTED' || s.dischargedAt !== null || s.readyPeriods.length > 0) continue;
    const noticeDays = s.admissionNoticeAt.map(stockholmDay).sort((x, y) => x - y);
    out.push({
      region: a.region, hospital: a.hospital, ward: a.ward, clinic: a.clinic, businessArea: a.businessArea, careType: a.careType,
      ageGroup: ageGroup(a.ageYears ?? null), homeMunicipality: a.homeMunicipality, primaryCareUnit: a.primaryCareUnit ?? '',
      recipient: a.homeMunicipality,
      admittedDay: stockholmDay(s.admittedAt),
      // The state keeps the latest estimate, not each notice's: it stands with the last notice.
      notices: noticeDays.map((day, i) => ({ day, estimate: i === noticeDays.length - 1 ? s.estimatedDischargeDate : null })),
      readyDay: null,
      dischargedDay: null,
    });
  }
  return out;
}
