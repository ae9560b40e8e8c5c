import { neutralisedCell } from '../api/csv.ts';
import type { InvoiceBasis } from './invoice-basis.ts';
import type { Corrections } from './corrections.ts';

/**
 * The invoice basis as CSV for Excel as Swedish offices use it: UTF-8 with a BOM (without one
 * Excel reads å, ä, ö as Latin-1), semicolons between cells (the Swedish list separator, so
 * a decimal comma never splits a cell) and, with `decimal: 'comma'`, 3,5 rather than 3.5.
 */
export interface CsvOptions {
  decimal: 'point' | 'comma';
}

type Column<T> = [header: string, value: (row: T) => unknown];

const CARE_TYPE: Record<string, string> = { SOMATIC: 'Somatisk vård', PSYCHIATRIC: 'Psykiatrisk vård' };
const LIABILITY: Record<string, string> = { liable: 'ja', 'not-liable': 'nej', pending: 'ej avgjort' };
const CONDITION: Record<string, string> = {
  'admission-notice-in-time': 'inskrivningsmeddelande i tid',
  'ready-notice-sent': 'meddelande om utskrivningsklar skickat',
  'sip-called-in-time': 'SIP-kallelse i tid',
  'fast-vardkontakt-appointed': 'fast vårdkontakt utsedd',
  'information-transferred-by-discharge': 'information överförd senast utskrivningsdagen',
  'patient-did-not-decline': 'patienten har inte avböjt insatser',
};
const yesNo = (v: unknown) => (v === null || v === undefined ? null : v ? 'ja' : 'nej');
const list = (v: unknown) => (Array.isArray(v) ? v.join(', ') : v);
const conditions = (v: unknown) => (v as string[]).map((c) => CONDITION[c] ?? c).join(', ');

const LINE_COLUMNS: Column<Record<string, unknown>>[] = [
  ['Månad', () => null], ['Region', (r) => r.region], ['Avtal', (r) => r.agreement], ['Kommunkod', (r) => r.kommun], ['Kommun', (r) => r.kommunNamn],
  ['Vårdtyp', (r) => CARE_TYPE[String(r.careType)] ?? r.careType], ['Vårdtillfällen', (r) => r.episodes], ['Betalningsansvarsdagar', (r) => r.paymentDays],
  ['Snitt', (r) => r.average], ['Gränsvärde', (r) => r.threshold], ['Över gränsvärdet', (r) => yesNo(r.exceeded)], ['Fria dagar', (r) => r.freeDays],
  ['Snittet från', (r) => r.averageFrom], ['Snittet till', (r) => r.averageTo], ['Vårdtillfällen i snittet', (r) => r.averageEpisodes], ['Dagar i snittet', (r) => r.averagePaymentDays],
  ['Debiterbara dagar', (r) => r.billableDays], ['Belopp (kr)', (r) => r.amountSek], ['År utan belopp per dag', (r) => list(r.missingAmountYears)], ['Fel', (r) => r.error],
];

const SPEC_COLUMNS: Column<InvoiceBasis['specification'][number]>[] = [
  ['Månad', () => null], ['Vårdtillfälle (pseudonym)', (s) => s.episodeId], ['Region', (s) => s.region], ['Avtal', (s) => s.agreement], ['Betalningsansvarig kommun', (s) => s.kommun],
  ['Vårdtyp', (s) => CARE_TYPE[s.careType] ?? s.careType], ['Utskrivningsklar från', (s) => list(s.readyDays)], ['Utskrivningsklar till', (s) => list(s.readyEndDays.map((d) => d ?? 'pågår'))],
  ['Utskriven', (s) => s.discharged], ['Dagar som utskrivningsklar', (s) => s.utklarDays], ['Betalningsansvarsdagar', (s) => s.paymentDays], ['Betalningsansvarsdatum', (s) => list(s.paymentDates)],
  ['Ingår i snittet', (s) => yesNo(s.inAverage)], ['Debiterbara dagar', (s) => s.billableDays], ['Debiterade datum', (s) => list(s.billableDates)],
  ['Betalningsansvar', (s) => LIABILITY[s.liability] ?? s.liability], ['Villkor som krävs', (s) => conditions(s.conditionsRequired)], ['Ej uppfyllda villkor', (s) => conditions(s.conditionsUnmet)],
  ['Skäl', (s) => s.reason], ['Belopp (kr)', (s) => s.amountSek], ['År utan belopp per dag', (s) => list(s.missingAmountYears)],
];

const CHANGE: Record<string, string> = { added: 'tillkommen', removed: 'borttagen', changed: 'ändrad' };
const CORRECTION_COLUMNS: Column<Corrections['episodes'][number]>[] = [
  ['Månad', () => null], ['Ändring', (c) => CHANGE[c.change]], ['Vårdtillfälle (pseudonym)', (c) => c.episodeId], ['Betalningsansvarig kommun', (c) => c.kommun],
  ['Vårdtyp', (c) => CARE_TYPE[c.careType] ?? c.careType], ['Betalningsansvarsdagar, fryst', (c) => c.frozen?.paymentDays], ['Betalningsansvarsdagar, nu', (c) => c.live?.paymentDays],
  ['Debiterbara dagar, fryst', (c) => c.frozen?.billableDays], ['Debiterbara dagar, nu', (c) => c.live?.billableDays], ['Skillnad dagar', (c) => c.billableDaysDelta],
  ['Belopp (kr), fryst', (c) => c.frozen?.amountSek], ['Belopp (kr), nu', (c) => c.live?.amountSek], ['Skillnad (kr)', (c) => c.amountSekDelta], ['Vad som ändrats', (c) => c.fields.join(', ')],
];

function cell(v: unknown, o: CsvOptions): string {
  if (v === null || v === undefined) return '';
  // Numbers are ours and never a formula: a negative correction stays a number. Text goes
  // through the API's one CSV-injection rule (api/csv.ts).
  let s = typeof v === 'number' ? (o.decimal === 'comma' ? String(v).replace('.', ',') : String(v)) : neutralisedCell(v);
  if (/[;"\n\r]/.test(s)) s = `"${s.replace(/"/g, '""')}"`;
  return s;
}

function csv<T>(columns: Column<T>[], rows: readonly T[], month: string, o: CsvOptions): string {
  const lines = [columns.map(([h]) => h), ...rows.map((r) => columns.map(([h, f]) => (h === 'Månad' ? month : f(r))))];
  return `\uFEFF${lines.map((l) => l.map((v) => cell(v, o)).join(';')).join('\r\n')}\r\n`;
}

export const linesCsv = (b: InvoiceBasis, o: CsvOptions) => csv(LINE_COLUMNS, b.rows, b.month, o);
export const specificationCsv = (b: InvoiceBasis, o: CsvOptions) => csv(SPEC_COLUMNS, b.specification, b.month, o);
export const correctionsCsv = (c: Corrections, o: CsvOptions) => csv(CORRECTION_COLUMNS, c.episodes, c.month, o);
