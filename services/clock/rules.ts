import type { CARE_TYPES, TRACK_COLOURS } from '../contract/event.ts';
import { fromEpochDay } from '../core/stockholm-time.ts';

type CareType = (typeof CARE_TYPES)[number];
type TrackColour = (typeof TRACK_COLOURS)[number];

export type EligibilityCondition =
  | 'admission-notice-in-time'
  | 'ready-notice-sent'
  | 'sip-called-in-time'
  | 'fast-vardkontakt-appointed';

/**
 * A region's agreement with its municipalities. Where the sources disagree or regions differ
 * (../shared/domain.md marks these "configurable"), the choice lives here, never in the code.
 */
export interface RegionRules {
  /** Payment day numbering: a notice sent before noon makes its own day payment day 1. */
  noon: { hour: number; inclusive: boolean };
  payment:
    | { model: 'free-days'; freeDays: Record<CareType, number> }
    | {
        model: 'municipal-average';
        threshold: number;
        period: 'month' | 'rolling-3-months';
        includeDayZeroDischarges: boolean;
        /** all-days: every payment day of the period is billable once the average exceeds the threshold. */
        billable: 'all-days' | 'days-above-threshold';
      };
  conditions: EligibilityCondition[];
  admissionNoticeWithinHours: number;
  sipCalledWithinDays: number;
  fastVardkontaktRequiredFor: TrackColour[];
  /** SEK per payment day by calendar year (Socialstyrelsen); an agreement may override. */
  amountPerDayByYear: Record<number, number>;
  readmission: { windowDays: number; minDays: number; acuteOnly: boolean; sameRegionOnly: boolean };
  /** How late an event may arrive and still be applied in event-time order. */
  allowedLatenessMs: number;
  /** Closed episodes are kept for readmission linkage this long after discharge, then evicted. */
  retainClosedEpisodeDays: number;
}

/** The law's defaults (Lag 2017:612) with the amounts known from the sources. */
export const LAW_DEFAULTS: RegionRules = {
  noon: { hour: 12, inclusive: false },
  payment: { model: 'free-days', freeDays: { SOMATIC: 3, PSYCHIATRIC: 30 } },
  conditions: ['admission-notice-in-time', 'ready-notice-sent', 'sip-called-in-time'],
  admissionNoticeWithinHours: 24,
  sipCalledWithinDays: 3,
  fastVardkontaktRequiredFor: ['GREEN', 'YELLOW', 'RED'],
  amountPerDayByYear: { 2019: 7800, 2022: 9300, 2023: 10500 },
  readmission: { windowDays: 30, minDays: 1, acuteOnly: true, sameRegionOnly: true },
  allowedLatenessMs: 7 * 86_400_000,
  retainClosedEpisodeDays: 31,
};

/** Region Örebro län's reading of the seed: threshold 3,0 on the monthly average, 12:00 rule. */
export const OREBRO_RULES: RegionRules = {
  ...LAW_DEFAULTS,
  payment: { model: 'municipal-average', threshold: 3.0, period: 'month', includeDayZeroDischarges: false, billable: 'all-days' },
};

/** The amount for a payment day: the table's value for that year, else the latest earlier year. */
export function amountForYear(table: Record<number, number>, year: number): number | undefined {
  const years = Object.keys(table).map(Number).filter((y) => y <= year).sort((a, b) => b - a);
  return years.length > 0 ? table[years[0]!] : undefined;
}

const amountCache = new WeakMap<Record<number, number>, Map<number, number | undefined>>();

/** SEK for a list of payment days (Stockholm epoch days), each at its own year's amount; null if a year has none. */
export function amountForDays(table: Record<number, number>, days: readonly number[]): number | null {
  let perYear = amountCache.get(table);
  if (!perYear) amountCache.set(table, (perYear = new Map()));
  let total = 0;
  for (const d of days) {
    const year = fromEpochDay(d).year;
    if (!perYear.has(year)) perYear.set(year, amountForYear(table, year));
    const perDay = perYear.get(year);
    if (perDay === undefined) return null;
    total += perDay;
  }
  return total;
}
