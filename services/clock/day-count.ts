import { stockholmDay, stockholmTimeOfDayMs } from '../core/stockholm-time.ts';
import type { RegionRules } from './rules.ts';

/** One stretch of being utskrivningsklar: from a ready notice to withdrawal, discharge or now. */
export interface ReadyInterval {
  start: number;
  /** null: still ready. */
  end: number | null;
}

/**
 * Follow-up days, the "dag 0" rule: the Stockholm calendar day of the notice is day 0, each
 * following calendar day adds one, whatever the hour and however long the day (DST).
 */
export function followUpDays(interval: ReadyInterval, now: number): number {
  const end = interval.end ?? now;
  return Math.max(0, stockholmDay(end) - stockholmDay(interval.start));
}

/** The 12:00 rule: a notice sent before noon makes its own day payment day 1, otherwise day 0. */
export function sentBeforeNoon(sentAt: number, rules: Pick<RegionRules, 'noon'>): boolean {
  const noonMs = rules.noon.hour * 3_600_000;
  const t = stockholmTimeOfDayMs(sentAt);
  return rules.noon.inclusive ? t <= noonMs : t < noonMs;
}

/** Payment days of one interval under the 12:00 rule (the day it ends counts as a day). */
export function paymentDays(interval: ReadyInterval, now: number, rules: Pick<RegionRules, 'noon'>): number {
  const end = interval.end ?? now;
  if (end < interval.start) return 0;
  return stockholmDay(end) - stockholmDay(interval.start) + (sentBeforeNoon(interval.start, rules) ? 1 : 0);
}

/** The Stockholm calendar days (epoch days) that are payment days, in order. */
export function paymentDayList(interval: ReadyInterval, now: number, rules: Pick<RegionRules, 'noon'>): number[] {
  const n = paymentDays(interval, now, rules);
  const first = stockholmDay(interval.start) + (sentBeforeNoon(interval.start, rules) ? 0 : 1);
  return Array.from({ length: n }, (_, i) => first + i);
}

/** Several ready periods in one episode (withdrawn and renewed notices) add up. */
export const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
