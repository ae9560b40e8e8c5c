import { stockholmDay } from '../core/stockholm-time.ts';
import { episodePaymentDays, firstPaymentDay } from '../clock/day-count.ts';
import type { StateChanged } from '../clock/changelog.ts';
import { eligibility, liability } from '../clock/eligibility.ts';
import { episodeRules, type EligibilityCondition, type RegionRules } from '../clock/rules.ts';
import { municipalities } from '../reference/municipalities.ts';

/** Age groups of the Örebro report's "åldersgrupp" listbox. */
export const AGE_GROUPS = ['0-64', '65-74', '75-84', '85+'] as const;
export type AgeGroup = (typeof AGE_GROUPS)[number] | 'unknown';
export const ageGroup = (age: number | null): AgeGroup =>
  age === null ? 'unknown' : age < 65 ? '0-64' : age < 75 ? '65-74' : age < 85 ? '75-84' : '85+';

/** YYYYMM of a Stockholm epoch day (0 for none). */
export function monthOfDay(day: number): number {
  if (day < 0) return 0;
  const d = new Date(day * 86_400_000);
  return d.getUTCFullYear() * 100 + d.getUTCMonth() + 1;
}

/**
 * One row of ClickHouse `episode_facts`: an episode as the indicators need it, with every day
 * already a Stockholm calendar day. Closed stretches are fixed numbers; an open ready period is
 * kept as its start day (and its first payment day), so SQL adds its days for "today" at query
 * time: the row stays right at any instant without being rewritten at midnight.
 * The newest version of an episode wins (ReplacingMergeTree(version)), so replays and
 * duplicates collapse. Pure.
 */
export function episodeFact(c: StateChanged, deployment: RegionRules) {
  // Liability once nothing can change any more (a discharged episode's deadlines have all passed).
  const decidedAt = c.dischargedAt === null ? (c.lastEventAt ?? c.admittedAt ?? 0) : c.dischargedAt + 30 * 86_400_000;
  const rules = episodeRules(deployment, c.region, c.dischargedAt, decidedAt);
  const periods = c.readyPeriods;
  // The payment-day rule is the clock's (clock/day-count.ts): closed periods as their days, the
  // open one as its first day not already counted, which SQL counts on to "today".
  const closed = periods.filter((p): p is { start: number; end: number } & typeof p => p.end !== null);
  const closedDays = new Set(episodePaymentDays(closed, 0, rules));
  const open = periods.find((p) => p.end === null);
  let openPaymentFrom = open ? firstPaymentDay(open.start, rules) : -1;
  // A calendar day is one payment day even when a closed and the open period both touch it.
  while (openPaymentFrom >= 0 && closedDays.has(openPaymentFrom)) openPaymentFrom++;
  const last = periods.at(-1);
  const admittedDay = c.admittedAt === null ? -1 : stockholmDay(c.admittedAt);
  const dischargedDay = c.dischargedAt === null ? -1 : stockholmDay(c.dischargedAt);
  const home = c.homeMunicipality ?? '';
  const county = municipalities.get(home)?.countyCode ?? '';
  const conditions = eligibility(c, decidedAt, rules);
  const liable = periods.length === 0 ? 'not-applicable' : liability(conditions, rules);
  return {
    episode_id: c.episodeId,
    version: c.version,
    status: c.status,
    region: c.region ?? '',
    hospital: c.hospital ?? '',
    clinic: c.clinic ?? '',
    ward: c.ward ?? '',
    business_area: c.businessArea ?? '',
    care_type: c.careType ?? '',
    admission_type: c.admissionType ?? '',
    home_municipality: home,
    home_county: county,
    out_of_county: county !== '' && c.region !== null && county !== c.region ? 1 : 0,
    recipient_municipality: last?.recipientMunicipality ?? home,
    primary_care_unit: c.primaryCareUnit ?? '',
    age_years: c.ageYears ?? -1,
    age_group: ageGroup(c.ageYears),
    admitted_day: admittedDay,
    admitted_month: monthOfDay(admittedDay),
    discharged_day: dischargedDay,
    discharged_month: monthOfDay(dischargedDay),
    destination: c.destination ?? '',
    ready_start_days: periods.map((p) => stockholmDay(p.start)),
    /** -1: still open (ends "today" at query time). */
    ready_end_days: periods.map((p) => (p.end === null ? -1 : stockholmDay(p.end))),
    payment_days: [...closedDays].sort((a, b) => a - b),
    open_payment_from_day: openPaymentFrom,
    track_colour: last?.trackColour ?? '',
    fast_vardkontakt: last?.fastVardkontaktAppointed ? 1 : 0,
    liability: liable,
    /** Every condition unmet at that moment, required by the agreement or not (the invoice picks the required ones). */
    conditions_unmet: periods.length === 0 ? [] : (Object.keys(conditions) as EligibilityCondition[]).filter((k) => conditions[k] === 'unmet'),
    readmission_of: c.readmissionOf ?? '',
    readmission_source: c.readmissionSource ?? '',
    readmission_index_clinic: c.readmissionIndexClinic ?? '',
    discharge_clinic: c.dischargeClinic ?? '',
    delay_reasons: c.delayReasons.map((r) => r.reasonCode),
    delay_parties: c.delayReasons.map((r) => r.responsibleParty),
    /** The agreement the payment days and liability were computed under (migration 014); '' for rules not from an agreement file. */
    agreement_version: rules.agreementVersion ?? '',
  };
}
export type EpisodeFact = ReturnType<typeof episodeFact>;
