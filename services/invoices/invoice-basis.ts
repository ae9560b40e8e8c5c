import type { AgreementSet } from '../agreements/agreement-set.ts';
import { billableFrom, billedAmount } from '../clock/rules.ts';
import { fromEpochDay, isoDate } from '../core/stockholm-time.ts';
import { paymentBasis, type Month, type SpecifiedEpisode } from '../indicators/payment-basis.ts';
import { municipalities } from '../reference/municipalities.ts';

type Value = string | number | boolean | null | string[] | number[];
export type Line = Record<string, Value>;

/** One episode of the invoiced month as the municipality is shown it: what was counted, what billed, and why. */
export interface SpecificationLine {
  episodeId: string;
  region: string;
  agreement: string | null;
  /** The liable (recipient) municipality. */
  kommun: string;
  careType: string;
  /** Each ready period's first day (the ready notice's), and its last (null while open). */
  readyDays: string[];
  readyEndDays: (string | null)[];
  discharged: string;
  utklarDays: number;
  paymentDays: number;
  paymentDates: string[];
  /** Municipal average: whether the episode counts in the average (a day-0 discharge may not). */
  inAverage: boolean | null;
  billableDays: number;
  billableDates: string[];
  /** liable, not-liable or pending (the clock's decision under the conditions). */
  liability: string;
  conditionsRequired: string[];
  conditionsUnmet: string[];
  /** Why the episode is billed as it is, in Swedish. */
  reason: string;
  amountSek: number | null;
  missingAmountYears: number[];
}

/** A month's invoice basis of one region: the lines per municipality and care type, and their specification. */
export interface InvoiceBasis {
  month: string;
  region: string;
  period: { from: string; to: string };
  rows: Line[];
  specification: SpecificationLine[];
  notes: string[];
}

const day = (d: number) => isoDate(fromEpochDay(d));
const decimal = (x: number) => String(Math.round(x * 100) / 100).replace('.', ',');
const lineKey = (region: string, agreement: string | null, kommun: string, careType: string) => `${region}|${agreement ?? '-'}|${kommun}|${careType}`;

/**
 * The invoice basis of `month` for `region`: the lines are the payment basis (paymentBasis, whose
 * arithmetic docs/agreements.md works), the specification one line per episode discharged in the
 * month, billed by the same rule, so its billable days add up to each line's.
 */
export function invoiceBasis(episodes: readonly SpecifiedEpisode[], set: AgreementSet, month: Month, region: string): InvoiceBasis {
  const ofRegion = episodes.filter((e) => e.region === region);
  const basis = paymentBasis(ofRegion, set, month);
  const rows: Line[] = basis.rows.map((r): Line => ({ ...(r as Line), kommunNamn: municipalities.get(String(r.kommun))?.name ?? null }));
  const byKey = new Map(rows.map((r) => [lineKey(String(r.region), r.agreement as string | null, String(r.kommun), String(r.careType)), r]));

  const specification = ofRegion
    .filter((e) => e.dischargedDay >= month.fromDay && e.dischargedDay <= month.toDay)
    .sort((a, b) => a.municipality.localeCompare(b.municipality) || a.careType.localeCompare(b.careType) || a.dischargedDay - b.dischargedDay || a.episodeId.localeCompare(b.episodeId))
    .map((e) => specify(e, set, byKey));
  const { year, month: m } = fromEpochDay(month.fromDay);
  return { month: `${year}-${String(m).padStart(2, '0')}`, region, period: { from: day(month.fromDay), to: day(month.toDay) }, rows, specification, notes: basis.notes };
}

function specify(e: SpecifiedEpisode, set: AgreementSet, lines: Map<string, Line>): SpecificationLine {
  const a = set.inForce(e.region, e.dischargedDay);
  const base = {
    episodeId: e.episodeId, region: e.region, agreement: a?.id ?? null, kommun: e.municipality, careType: e.careType,
    readyDays: e.readyStartDays.map(day), readyEndDays: e.readyEndDays.map((d) => (d < 0 ? null : day(d))), discharged: day(e.dischargedDay),
    utklarDays: e.utklarDays, paymentDays: e.paymentDayList.length, paymentDates: e.paymentDayList.map(day), liability: e.liability,
  };
  if (!a) {
    return { ...base, inAverage: null, billableDays: 0, billableDates: [], conditionsRequired: [], conditionsUnmet: [], reason: `inget avtal i kraft för region ${e.region} på utskrivningsdagen`, amountSek: null, missingAmountYears: [] };
  }
  const rules = a.rules;
  const p = rules.payment;
  const required = [...rules.conditions];
  // The required conditions the clock found unmet. Facts stored before migration 013 recorded
  // none: of those, only the fast vårdkontakt (the last ready period's colour and appointment)
  // can be read back.
  const recorded = (e.conditionsUnmet ?? []).filter((c) => (required as string[]).includes(c));
  const unmet = recorded.length > 0 ? recorded
    : required.includes('fast-vardkontakt-appointed') && rules.fastVardkontaktRequiredFor.includes(e.trackColour as never) && !e.fastVardkontakt ? ['fast-vardkontakt-appointed'] : [];
  const line = lines.get(lineKey(e.region, a.id, e.municipality, e.careType));
  let billable: number[] = [];
  let reason: string;
  let inAverage: boolean | null = null;
  if (p.model === 'municipal-average') {
    inAverage = p.includeDayZeroDischarges || e.utklarDays > 0;
    const threshold = Number(line?.threshold ?? p.thresholdByCareType?.[e.careType] ?? p.threshold);
    if (!inAverage) reason = 'utskriven dag 0: ingår inte i snittet enligt avtalet';
    else if (!line?.exceeded) reason = `kommunens snitt ${decimal(Number(line?.average ?? 0))} är inte över gränsvärdet ${decimal(threshold)}`;
    else if (!e.liable) reason = notLiable(unmet);
    else {
      billable = e.paymentDayList.slice(billableFrom(p, e.careType));
      reason = `kommunens snitt ${decimal(Number(line.average))} är över gränsvärdet ${decimal(threshold)}: ${p.billable === 'all-days' ? 'alla betalningsansvarsdagar' : `dagarna efter de första ${Math.ceil(threshold)}`} debiteras`;
    }
  } else {
    const free = p.freeDays[e.careType];
    if (!e.liable) reason = notLiable(unmet);
    else {
      billable = e.paymentDayList.slice(billableFrom(p, e.careType));
      reason = billable.length > 0 ? `dagarna efter ${free} fria dagar debiteras` : `inom ${free} fria dagar`;
    }
  }
  if (e.liable && e.liability === 'pending') reason += ' (villkoren ännu inte avgjorda)';
  return { ...base, inAverage, billableDays: billable.length, billableDates: billable.map(day), conditionsRequired: required, conditionsUnmet: unmet, reason, ...billedAmount(rules.amountPerDayByYear, billable) };
}

const notLiable = (unmet: string[]) =>
  unmet.length > 0 ? `villkor ej uppfyllt: ${unmet.join(', ')}` : 'ett villkor som avtalet kräver är inte uppfyllt (episodens fakta anger inte vilket)';

/** The lines and specification one liable municipality may see of a region's basis. */
export function forMunicipality(b: InvoiceBasis, kommun: string): InvoiceBasis {
  return { ...b, rows: b.rows.filter((r) => r.kommun === kommun), specification: b.specification.filter((s) => s.kommun === kommun) };
}
