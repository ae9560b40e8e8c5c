import { municipalities } from '../reference/municipalities.ts';
import { episodePaymentDays, followUpDays, sum } from './day-count.ts';
import { delayBand, type DelayBand } from './delay-band.ts';
import { eligibility, eligibilityInput, liability, type ConditionStatus } from './eligibility.ts';
import type { EpisodeState } from './episode-state.ts';
import { amountForDays, episodeRules, type EligibilityCondition, type RegionRules } from './rules.ts';

/** What a coordinator and an invoice need to know about an episode at one instant. */
export interface EpisodeClock {
  utklarDays: number;
  band: DelayBand;
  paymentDays: number;
  /** Payment days the municipality is charged for under a per-patient (free days) agreement. */
  billableDays: number;
  /** SEK for the billable days, each at its own year's amount; null when a year has no amount. */
  amountSek: number | null;
  conditions: Record<EligibilityCondition, ConditionStatus>;
  liability: 'liable' | 'not-liable' | 'pending';
  outOfCounty: boolean;
  /** Stockholm epoch days that are payment days, in order (the basis for monthly invoicing). */
  paymentDayList: number[];
}

export function episodeClock(s: EpisodeState, now: number, deployment: RegionRules): EpisodeClock {
  const rules = episodeRules(deployment, s.admission?.region, s.dischargedAt, now);
  const utklarDays = sum(s.readyPeriods.map((p) => followUpDays(p, now)));
  const days = episodePaymentDays(s.readyPeriods, now, rules);
  const conditions = eligibility(eligibilityInput(s), now, rules);
  const liable = liability(conditions, rules);
  const careType = s.admission?.careType ?? 'SOMATIC';
  // Under an average-with-threshold agreement billing is decided per municipality and period
  // (municipal-average.ts); per episode, every payment day is a candidate.
  const free = rules.payment.model === 'free-days' ? rules.payment.freeDays[careType] : 0;
  const billable = liable === 'not-liable' ? [] : days.slice(free);
  const home = s.admission ? municipalities.get(s.admission.homeMunicipality) : undefined;
  return {
    utklarDays,
    band: delayBand(utklarDays),
    paymentDays: days.length,
    billableDays: billable.length,
    amountSek: amountForDays(rules.amountPerDayByYear, billable),
    conditions,
    liability: liable,
    outOfCounty: home !== undefined && s.admission !== null && home.countyCode !== s.admission.region,
    paymentDayList: days,
  };
}
