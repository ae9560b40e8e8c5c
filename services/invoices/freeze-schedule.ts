import { epochDay, fromEpochDay, stockholmDay, stockholmMidnight } from '../core/stockholm-time.ts';
import { nthWorkingDay } from '../core/swedish-calendar.ts';
import type { Month } from '../indicators/payment-basis.ts';

/** A calendar month with its `YYYY-MM` label, the form invoices and the freeze table use. */
export interface InvoiceMonth extends Month {
  label: string;
}

/** Months counted as year * 12 + (month - 1), so "the month before" is a subtraction. */
const monthIndex = (year: number, month: number) => year * 12 + month - 1;
const ofIndex = (i: number): InvoiceMonth => {
  const year = Math.floor(i / 12);
  const month = (i % 12) + 1;
  const next = i + 1;
  const fromDay = epochDay({ year, month, day: 1 });
  const toDay = epochDay({ year: Math.floor(next / 12), month: (next % 12) + 1, day: 1 }) - 1;
  return { fromDay, toDay, label: `${year}-${String(month).padStart(2, '0')}` };
};

/**
 * When `month`'s invoice basis freezes: at the end (Stockholm midnight) of the `workingDay`-th
 * Swedish working day of the month after it. Seed 002: the figures are taken out "inom första
 * arbetsveckan nästkommande månad"; five working days is that week however the 1st falls and
 * whatever holidays it holds (trettondedag jul, Kristi himmelsfärd, första maj, nationaldagen).
 */
export function freezeDeadline(month: InvoiceMonth, workingDay: number): number {
  const next = fromEpochDay(month.toDay + 1);
  return stockholmMidnight(nthWorkingDay(next.year, next.month, workingDay) + 1);
}

/**
 * The months whose deadline has passed at `now`: the month just passed once its deadline is
 * over, and with `from` (YYYY-MM) every month since then, at most two years back (months a
 * stopped pipeline missed; older ones are frozen by hand, if ever).
 */
export function monthsDue(now: number, workingDay: number, from: string | null): InvoiceMonth[] {
  const today = fromEpochDay(stockholmDay(now));
  const current = monthIndex(today.year, today.month);
  const [fy, fm] = from === null ? [NaN, NaN] : from.split('-').map(Number);
  const first = from === null ? current - 1 : Math.max(monthIndex(fy!, fm!), current - 24);
  const due: InvoiceMonth[] = [];
  for (let i = first; i < current; i++) {
    const m = ofIndex(i);
    if (now >= freezeDeadline(m, workingDay)) due.push(m);
  }
  return due;
}
