import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { toCsv } from '../api/csv.ts';
import type { RebuildDiff } from './records.ts';

/** The changed cells as CSV rows (one per indicator field × region × municipality × month × care type). */
export const changesCsv = (changes: RebuildDiff['changes'], min = 5): string =>
  // A CSV leaves the system: a small cell reads "<5" as in every CSV the API writes (api/small-cells.ts).
  toCsv(changes.map((c) => ({ indicator: c.indicator, field: c.field, region: c.region, kommun: c.kommun, month: c.month, careType: c.careType, other: c.rest, old: c.old, new: c.new, difference: c.difference, ...(c.small ? { suppressed: ['old', 'new', 'difference'] } : {}) })), `<${min}`);

/** The frozen invoice bases the rebuild would change, per line. */
export const invoicesCsv = (d: RebuildDiff): string =>
  toCsv(d.invoices.flatMap((i) => i.lines.map((l) => ({ region: i.region, month: i.month, frozenAt: i.frozenAt, frozenBy: i.frozenBy, kommun: l.kommun, careType: l.careType, billableDaysFrozen: l.billableDaysFrozen, billableDaysRebuilt: l.billableDaysLive, billableDaysDelta: l.billableDaysDelta, amountSekDelta: l.amountSekDelta }))));

/** The summary lines, one per indicator, then one per changed frozen invoice. */
export function summaryText(d: RebuildDiff): string {
  const invoices = d.invoices.length === 0
    ? ['frozen invoices: none would change']
    : d.invoices.map((i) => `frozen invoice ${i.region} ${i.month}: ${i.lines.length} line(s), ${i.episodes.length} episode(s) change, billable days ${i.billableDaysDelta > 0 ? '+' : ''}${i.billableDaysDelta}, amount ${i.amountSekDelta === null ? 'unknown (a year without an amount)' : `${i.amountSekDelta > 0 ? '+' : ''}${i.amountSekDelta} kr`}`);
  return [`rebuild ${d.id}: ${d.from}..${d.to}, ${d.changes.length} value(s) change`, ...d.summary.map((s) => s.line), ...invoices].join('\n') + '\n';
}

/** diff.json, changes.csv, invoices.csv and summary.txt in `dir`; returns the paths. */
export function writeReport(dir: string, d: RebuildDiff): Record<string, string> {
  mkdirSync(dir, { recursive: true });
  const files = {
    json: path.join(dir, 'diff.json'),
    csv: path.join(dir, 'changes.csv'),
    invoices: path.join(dir, 'invoices.csv'),
    summary: path.join(dir, 'summary.txt'),
  };
  writeFileSync(files.json, `${JSON.stringify(d, null, 2)}\n`);
  writeFileSync(files.csv, changesCsv(d.changes));
  writeFileSync(files.invoices, invoicesCsv(d));
  writeFileSync(files.summary, summaryText(d));
  return files;
}
