import type { Scope } from '../model/scope.ts';
import type { Filters } from '../model/filters.ts';

/**
 * SQL pieces shared by the indicators. ClickHouse 18.16 has no query parameters, so values are
 * inlined as literals: numbers are integers by construction, strings go through `str` (and were
 * validated before). Days are Stockholm epoch days, so no time-zone function appears in SQL.
 */
export const str = (v: string): string => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
export const int = (n: number): string => {
  if (!Number.isInteger(n)) throw new Error(`not an integer: ${n}`);
  return String(n);
};

/** Follow-up days (dag 0) and payment days (12:00 rule, a calendar day once), an open period counted up to `today`. */
export { paymentDaysSql as paymentDays, utklarDaysSql as utklarDays } from '../facts/day-counts.ts';

/** Days in [from, to] on which the patient was utklar (day 0 excluded, as in the day count): bed-days. */
export const bedDaysIn = (from: number, to: number, today: number) =>
  `arraySum(arrayMap((s, e) -> greatest(0, least(if(e < 0, ${int(today)}, e), ${int(to)}) - greatest(s + 1, ${int(from)}) + 1), ready_start_days, ready_end_days))`;

export const band = (days: string) =>
  `multiIf(${days} <= 0, '0', ${days} = 1, '1', ${days} <= 3, '2-3', ${days} <= 6, '4-6', ${days} <= 13, '7-13', ${days} <= 20, '14-20', '21+')`;

/** Conditions every query shares: the caller's scope, then the listbox filters (not the period). */
export function conditions(f: Filters, scope: Scope, today: number, municipalityColumn: 'home_municipality' | 'recipient_municipality' = 'home_municipality'): string[] {
  const c = ["status NOT IN ('CANCELLED', 'PENDING')"];
  if (scope.kind === 'region') c.push(`region = ${str(scope.region)}`);
  if (scope.kind === 'municipality') c.push(`${municipalityColumn} = ${str(scope.municipality)}`);
  if (scope.kind === 'unit') c.push(`hospital = ${str(scope.hospital)}`, `ward = ${str(scope.ward)}`);
  if (f.kommun.length > 0) c.push(`home_municipality IN (${f.kommun.map(str).join(', ')})`);
  if (f.lan.length > 0) {
    const counties = f.lan.filter((l) => l !== 'utom');
    const parts = [...(counties.length > 0 ? [`home_county IN (${counties.map(str).join(', ')})`] : []), ...(f.lan.includes('utom') ? ['out_of_county = 1'] : [])];
    c.push(`(${parts.join(' OR ')})`);
  }
  const eq: [keyof Filters, string][] = [['careType', 'care_type'], ['hospital', 'hospital'], ['clinic', 'clinic'], ['ward', 'ward'], ['businessArea', 'business_area'], ['primaryCareUnit', 'primary_care_unit'], ['ageGroup', 'age_group'], ['trackColour', 'track_colour']];
  for (const [k, col] of eq) if (f[k] !== null) c.push(`${col} = ${str(String(f[k]))}`);
  if (f.status === 'discharged') c.push('discharged_day >= 0');
  if (f.status === 'inpatient') c.push('discharged_day < 0');
  if (f.dischargedWithinDays !== null) c.push(`discharged_day >= ${int(today - f.dischargedWithinDays)}`);
  return c;
}

/** episode_facts' columns after episode_id and version, in table order (what a collapse keeps). */
export const FACT_COLUMNS = ['status', 'region', 'hospital', 'clinic', 'ward', 'business_area', 'care_type', 'admission_type', 'home_municipality', 'home_county', 'out_of_county', 'recipient_municipality', 'primary_care_unit', 'age_years', 'age_group', 'admitted_day', 'admitted_month', 'discharged_day', 'discharged_month', 'destination', 'ready_start_days', 'ready_end_days', 'payment_days', 'open_payment_from_day', 'track_colour', 'fast_vardkontakt', 'liability', 'conditions_unmet', 'readmission_of', 'readmission_source', 'readmission_index_clinic', 'discharge_clinic', 'delay_reasons', 'delay_parties', 'agreement_version', 'ingested_at'];

/**
 * The latest version of each episode. Collapsed with argMax rather than FINAL: filters written
 * after FINAL may be moved to PREWHERE and then see superseded versions on some server versions.
 * With `cond` (a condition on episode_facts' columns, which the caller applies again outside),
 * only episodes whose latest version satisfies it are collapsed: one cheap pass picks them (the
 * argMax of a single flag), so the wide argMax runs over a ward's or the open episodes' rows
 * rather than every version of every episode ever stored.
 */
export const facts = (db: string, cond?: string) =>
  collapse(db, cond ? `episode_id IN (SELECT episode_id FROM ${db}.episode_facts GROUP BY episode_id HAVING argMax(toUInt8(${cond}), version) = 1)` : undefined);

/** The latest version of each episode that has a row matching `where` (all of them without), every version of it considered. */
export const collapse = (db: string, where?: string) =>
  `(SELECT episode_id, max(version) AS latest_version, ${FACT_COLUMNS.map((c) => `argMax(${c}, version) AS ${c}`).join(', ')} FROM ${db}.episode_facts${where ? ` WHERE ${where}` : ''} GROUP BY episode_id)`;
