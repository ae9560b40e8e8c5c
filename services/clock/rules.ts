import type { CARE_TYPES, TRACK_COLOURS } from '../contract/event.ts';
import { fromEpochDay, stockholmDay } from '../core/stockholm-time.ts';
import { bundledRules } from '../agreements/bundled.ts';

type CareType = (typeof CARE_TYPES)[number];
type TrackColour = (typeof TRACK_COLOURS)[number];

export type EligibilityCondition =
  | 'admission-notice-in-time'
  | 'ready-notice-sent'
  | 'sip-called-in-time'
  | 'fast-vardkontakt-appointed'
  | 'information-transferred-by-discharge'
  | 'patient-did-not-decline';

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
        /** A threshold per care type where they differ (Stockholm-like: 2 somatic, 5 psychiatric); `threshold` is the somatic one. */
        thresholdByCareType?: Record<CareType, number>;
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
  /**
   * The agreement in force for a region on a Stockholm day (services/agreements/regional-rules.ts),
   * when the deployment has agreements per region; unset: these rules for every region.
   */
  byRegion?: (region: string, day: number) => RegionRules | undefined;
  /** The agreement version these rules are (agreement-version.ts), set where regionalRules merged them; recorded with each episode fact. */
  agreementVersion?: string;
}

/**
 * The rules an episode is counted under: its region's agreement in force on the day it was
 * discharged (still in care: the day of `at`), else the deployment's. One place, so that the
 * board, the clock events, the episode facts and the invoice agree on an episode's noon rule,
 * conditions and payment model.
 */
export function episodeRules(rules: RegionRules, region: string | null | undefined, dischargedAt: number | null, at: number): RegionRules {
  if (!rules.byRegion || !region) return rules;
  return rules.byRegion(region, stockholmDay(dischargedAt ?? at)) ?? rules;
}

/**
 * The bundled agreements (services/agreements/law.json and orebro.json) as the clock reads them:
 * what `UTKLAR_RULES=law|orebro` selects. A region's own terms are files, never constants here.
 */
export const LAW_DEFAULTS: RegionRules = bundledRules('law');

/** Region Örebro län's reading of the seed: threshold 3,0 on the monthly average, 12:00 rule. */
export const OREBRO_RULES: RegionRules = bundledRules('orebro');

/**
 * The amount for a payment day: the table's value for that year, else the latest earlier year.
 * An estimate for the board; an invoice uses billedAmount, which names the years without a figure.
 */
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

/**
 * SEK for billed payment days, each at its own year's amount: null, with the years concerned,
 * when a year has no figure in the table. An invoice never takes another year's amount.
 */
export function billedAmount(table: Record<number, number>, days: readonly number[]): { amountSek: number | null; missingAmountYears: number[] } {
  return billedAmountByYear(table, daysPerYear(days));
}

/** How many of `days` (Stockholm epoch days) lie in each calendar year. */
export function daysPerYear(days: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const d of days) {
    const year = fromEpochDay(d).year;
    out.set(year, (out.get(year) ?? 0) + 1);
  }
  return out;
}

/**
 * billedAmount for days counted per year: what the invoice basis gets from ClickHouse, which sums
 * a month's billable days per year rather than listing them (amounts are whole kronor, so the
 * products are the sums a day at a time).
 */
export function billedAmountByYear(table: Record<number, number>, perYear: ReadonlyMap<number, number>): { amountSek: number | null; missingAmountYears: number[] } {
  let total = 0;
  const missing = new Set<number>();
  for (const [year, count] of perYear) {
    if (count <= 0) continue;
    const perDay = table[year];
    if (perDay === undefined) missing.add(year);
    else total += perDay * count;
  }
  return missing.size > 0 ? { amountSek: null, missingAmountYears: [...missing].sort((a, b) => a - b) } : { amountSek: total, missingAmountYears: [] };
}

/**
 * From which of a liable episode's payment days (0-based, in order) it is billed once billed at
 * all: after the free days, or under a municipal average after the first ⌈threshold⌉ days when
 * only the days above it are billable. The one place this rule lives: the episode-level basis,
 * the invoice's specification and the SQL that sums a month (indicators/payment-sql.ts) read it.
 */
export function billableFrom(payment: RegionRules['payment'], careType: CareType | undefined): number {
  if (payment.model === 'free-days') {
    if (careType === undefined) throw new Error('free days are per care type: say which care type the episodes are');
    return payment.freeDays[careType];
  }
  return payment.billable === 'all-days' ? 0 : Math.ceil(averageThreshold(payment, careType));
}

/** A municipal-average agreement's threshold for the care type (its own where it has one per care type). */
export function averageThreshold(payment: Extract<RegionRules['payment'], { model: 'municipal-average' }>, careType: CareType | undefined): number {
  if (payment.thresholdByCareType && careType === undefined) throw new Error('the agreement has a threshold per care type: say which care type the episodes are');
  return careType === undefined ? payment.threshold : payment.thresholdByCareType?.[careType] ?? payment.threshold;
}
