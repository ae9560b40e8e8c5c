import { epochDay } from '../core/stockholm-time.ts';
import { UtklarError } from '../core/errors.ts';
import { CARE_TYPES, TRACK_COLOURS } from '../contract/event.ts';
import { AGE_GROUPS } from '../facts/episode-fact.ts';
import { municipalities, countyCodes } from '../reference/municipalities.ts';

/** The Örebro report's listboxes, as query parameters (documented in the OpenAPI document). */
export interface Filters {
  /** Stockholm epoch days, inclusive. */
  fromDay: number;
  toDay: number;
  kommun: string[];
  /** County codes of the home municipality; 'utom' = treated outside the home county ("Utom län"). */
  lan: string[];
  careType: string | null;
  hospital: string | null;
  clinic: string | null;
  ward: string | null;
  businessArea: string | null;
  primaryCareUnit: string | null;
  ageGroup: string | null;
  trackColour: string | null;
  status: 'discharged' | 'inpatient' | null;
  /** Only episodes discharged at most this many days before today. */
  dischargedWithinDays: number | null;
}

export const GROUPS = {
  none: "''",
  region: 'region',
  county: 'home_county',
  municipality: 'home_municipality',
  /** The ready notice's recipient ("till vilken kommun"): Inneliggande per recipient kommun. */
  recipientMunicipality: 'recipient_municipality',
  hospital: 'hospital',
  clinic: 'clinic',
  ward: "concat(hospital, '/', ward)",
  businessArea: 'business_area',
  primaryCareUnit: 'primary_care_unit',
  ageGroup: 'age_group',
  trackColour: 'track_colour',
  careType: 'care_type',
} as const;
export type GroupBy = keyof typeof GROUPS;

const KNOWN = new Set(['from', 'to', 'kommun', 'lan', 'careType', 'hospital', 'clinic', 'ward', 'businessArea', 'primaryCareUnit', 'ageGroup', 'trackColour', 'status', 'dischargedWithinDays', 'groupBy', 'format', 'limit', 'offset', 'month', 'days']);

const bad = (message: string) => new UtklarError('INVALID_REQUEST', message);

function day(text: string, name: string, end: boolean): number {
  const m = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(text);
  if (!m) throw bad(`${name}: expected YYYY-MM or YYYY-MM-DD, got '${text}'`);
  const [year, month] = [Number(m[1]), Number(m[2])];
  if (month < 1 || month > 12) throw bad(`${name}: month ${month} does not exist`);
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const d = m[3] ? Number(m[3]) : end ? lastDay : 1;
  if (d < 1 || d > lastDay) throw bad(`${name}: ${text} does not exist`);
  return epochDay({ year, month, day: d });
}

const text = (q: URLSearchParams, name: string, max = 80): string | null => {
  const v = q.get(name);
  if (v === null || v === '') return null;
  if (v.length > max || /[\u0000-\u001f]/.test(v)) throw bad(`${name}: too long or contains control characters`);
  return v;
};

function oneOf<T extends string>(q: URLSearchParams, name: string, allowed: readonly T[]): T | null {
  const v = text(q, name);
  if (v === null) return null;
  if (!(allowed as readonly string[]).includes(v)) throw bad(`${name}: expected one of ${allowed.join(', ')}, got '${v}'`);
  return v as T;
}

/** Validates every parameter; an unknown one is an error (a typo must not widen a result). */
export function parseFilters(q: URLSearchParams, defaults: { fromDay: number; toDay: number }): Filters {
  for (const k of q.keys()) if (!KNOWN.has(k)) throw bad(`unknown parameter '${k}'`);
  const fromDay = q.get('from') ? day(q.get('from')!, 'from', false) : defaults.fromDay;
  const toDay = q.get('to') ? day(q.get('to')!, 'to', true) : defaults.toDay;
  if (toDay < fromDay) throw bad('to: lies before from');
  if (toDay - fromDay > 366 * 10) throw bad('from/to: at most ten years');
  const kommun = (text(q, 'kommun', 2000) ?? '').split(',').filter(Boolean);
  for (const k of kommun) if (!municipalities.has(k)) throw bad(`kommun: '${k}' is not a kommunkod (SCB)`);
  const lan = (text(q, 'lan', 200) ?? '').split(',').filter(Boolean);
  for (const l of lan) if (l !== 'utom' && !countyCodes.has(l)) throw bad(`lan: '${l}' is not a länskod (or 'utom')`);
  const within = text(q, 'dischargedWithinDays');
  if (within !== null && !/^\d{1,4}$/.test(within)) throw bad('dischargedWithinDays: expected a whole number of days');
  return {
    fromDay, toDay, kommun, lan,
    careType: oneOf(q, 'careType', CARE_TYPES),
    hospital: text(q, 'hospital'),
    clinic: text(q, 'clinic'),
    ward: text(q, 'ward'),
    businessArea: text(q, 'businessArea'),
    primaryCareUnit: text(q, 'primaryCareUnit'),
    ageGroup: oneOf(q, 'ageGroup', [...AGE_GROUPS, 'unknown']),
    trackColour: oneOf(q, 'trackColour', TRACK_COLOURS),
    status: oneOf(q, 'status', ['discharged', 'inpatient'] as const),
    dischargedWithinDays: within === null ? null : Number(within),
  };
}

export function parseGroupBy(q: URLSearchParams, fallback: GroupBy): GroupBy {
  return oneOf(q, 'groupBy', Object.keys(GROUPS) as GroupBy[]) ?? fallback;
}
