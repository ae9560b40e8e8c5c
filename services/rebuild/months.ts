import { UtklarError } from '../core/errors.ts';
import { epochDay, fromEpochDay } from '../core/stockholm-time.ts';
import type { InvoiceMonth } from '../invoices/freeze-schedule.ts';

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function parseMonth(text: string, name: string): { year: number; month: number } {
  const m = MONTH.exec(text);
  if (!m) throw new UtklarError('CONFIG', `--${name}: expected YYYY-MM, got '${text}'`);
  return { year: Number(m[1]), month: Number(m[2]) };
}

/** The calendar months from `from` through `to` (YYYY-MM, both inclusive), as days. Pure. */
export function monthsBetween(from: string, to: string): InvoiceMonth[] {
  const a = parseMonth(from, 'from');
  const b = parseMonth(to, 'to');
  const out: InvoiceMonth[] = [];
  for (let i = a.year * 12 + a.month - 1; i <= b.year * 12 + b.month - 1; i++) {
    const [year, month] = [Math.floor(i / 12), (i % 12) + 1];
    const fromDay = epochDay({ year, month, day: 1 });
    const toDay = epochDay({ year: month === 12 ? year + 1 : year, month: month === 12 ? 1 : month + 1, day: 1 }) - 1;
    out.push({ fromDay, toDay, label: `${year}-${String(month).padStart(2, '0')}` });
  }
  if (out.length === 0) throw new UtklarError('CONFIG', `--to ${to} lies before --from ${from}`);
  if (out.length > 120) throw new UtklarError('CONFIG', '--from/--to: at most ten years');
  return out;
}

/** YYYY-MM of a Stockholm epoch day. */
export function monthLabelOf(day: number): string {
  const d = fromEpochDay(day);
  return `${d.year}-${String(d.month).padStart(2, '0')}`;
}
