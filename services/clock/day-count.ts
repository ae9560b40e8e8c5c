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

/**
 * The payment-day rule, the one place it is written: a ready period's payment days are the
 * Stockholm calendar days from its first payment day (the 12:00 rule: the notice's own day if it
 * was sent before noon, otherwise the next day) through the day it ends (or `now`), and an
 * episode's payment days are its periods' days, each calendar day once (a withdrawn and a renewed
 * notice may touch the same day). The fact rows (facts/episode-fact.ts) keep this as closed days
 * plus the first open day, and facts/day-counts.ts counts that form on, in TypeScript and SQL;
 * test/integration/payment-days-sql.test.ts checks the SQL against this function.
 */
export function firstPaymentDay(sentAt: number, rules: Pick<RegionRules, 'noon'>): number {
  return stockholmDay(sentAt) + (sentBeforeNoon(sentAt, rules) ? 0 : 1);
}

/** The Stockholm calendar days (epoch days) that are payment days of one interval, in order. */
export function paymentDayList(interval: ReadyInterval, now: number, rules: Pick<RegionRules, 'noon'>): number[] {
  const end = interval.end ?? now;
  if (end < interval.start) return [];
  const first = firstPaymentDay(interval.start, rules);
  return Array.from({ length: Math.max(0, stockholmDay(end) - first + 1) }, (_, i) => first + i);
}

/** Payment days of one interval (the day it ends counts as a day). */
export const paymentDays = (interval: ReadyInterval, now: number, rules: Pick<RegionRules, 'noon'>): number => paymentDayList(interval, now, rules).length;

/** An episode's payment days: its intervals' days, each calendar day once, in order. */
export function episodePaymentDays(intervals: readonly ReadyInterval[], now: number, rules: Pick<RegionRules, 'noon'>): number[] {
  return [...new Set(intervals.flatMap((p) => paymentDayList(p, now, rules)))].sort((a, b) => a - b);
}

/** Several ready periods in one episode (withdrawn and renewed notices) add up. */
export const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
