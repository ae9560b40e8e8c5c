/**
 * Day counts of an episode kept in Stockholm-day form (episode_facts, the board feed) at a given
 * Stockholm day: closed periods are fixed, an open one (end -1) counts up to `today`. The same
 * formulas as the SQL in services/indicators/sql.ts; no imports, so the browser bundle uses it too.
 */
export interface DayForm {
  readyStartDays: number[];
  readyEndDays: number[];
  /** Payment days of the closed periods. */
  paymentDays: number;
  /** First payment day of the open period not already counted (-1: none open). */
  openPaymentFromDay: number;
}

/** Follow-up days, dag 0 rule. */
export const utklarDaysOn = (f: Pick<DayForm, 'readyStartDays' | 'readyEndDays'>, today: number): number =>
  f.readyStartDays.reduce((sum, start, i) => sum + Math.max(0, (f.readyEndDays[i]! < 0 ? today : f.readyEndDays[i]!) - start), 0);

/** Payment days, 12:00 rule, each calendar day once. */
export const paymentDaysOn = (f: Pick<DayForm, 'paymentDays' | 'openPaymentFromDay'>, today: number): number =>
  f.paymentDays + (f.openPaymentFromDay < 0 ? 0 : Math.max(0, today - f.openPaymentFromDay + 1));
