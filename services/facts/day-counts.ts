/**
 * Day counts of an episode kept in Stockholm-day form (episode_facts, the board feed) at a given
 * Stockholm day: closed periods are fixed, an open one (end -1) counts up to `today`. Each count
 * is written here twice, in TypeScript (the board, alerting) and in SQL (the indicators), side by
 * side; test/integration/payment-days-sql.test.ts checks both against the clock's rule
 * (clock/day-count.ts). No imports, so the browser bundle uses it too.
 */
export interface DayForm {
  readyStartDays: number[];
  readyEndDays: number[];
  /** Payment days of the closed periods. */
  paymentDays: number;
  /** First payment day of the open period not already counted (-1: none open). */
  openPaymentFromDay: number;
}

const day = (n: number): string => {
  if (!Number.isInteger(n)) throw new Error(`not a day number: ${n}`);
  return String(n);
};

/** Follow-up days, dag 0 rule. */
export const utklarDaysOn = (f: Pick<DayForm, 'readyStartDays' | 'readyEndDays'>, today: number): number =>
  f.readyStartDays.reduce((sum, start, i) => sum + Math.max(0, (f.readyEndDays[i]! < 0 ? today : f.readyEndDays[i]!) - start), 0);
/** The same over episode_facts' columns. */
export const utklarDaysSql = (today: number): string =>
  `arraySum(arrayMap((s, e) -> greatest(0, if(e < 0, ${day(today)}, e) - s), ready_start_days, ready_end_days))`;

/** Payment days, 12:00 rule, each calendar day once. */
export const paymentDaysOn = (f: Pick<DayForm, 'paymentDays' | 'openPaymentFromDay'>, today: number): number =>
  f.paymentDays + (f.openPaymentFromDay < 0 ? 0 : Math.max(0, today - f.openPaymentFromDay + 1));
/** The same over episode_facts' columns. */
export const paymentDaysSql = (today: number): string =>
  `(length(payment_days) + if(open_payment_from_day < 0, 0, greatest(0, ${day(today)} - open_payment_from_day + 1)))`;
