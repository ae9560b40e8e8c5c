import type { Agreement } from '../agreements/agreement.ts';
import type { AgreementSet } from '../agreements/agreement-set.ts';
import type { CARE_TYPES } from '../contract/event.ts';
import { addYears, municipalAverageOf, type AverageCell, type ClosedEpisodeDays } from '../clock/municipal-average.ts';
import { averageThreshold, billableFrom, billedAmountByYear, daysPerYear } from '../clock/rules.ts';
import { epochDay, fromEpochDay, isoDate } from '../core/stockholm-time.ts';

type CareType = (typeof CARE_TYPES)[number];
type Row = Record<string, string | number | boolean | null | number[]>;

/** A ready episode discharged in the invoiced month or, for a rolling average, the two before. */
export interface PaymentEpisode extends Omit<ClosedEpisodeDays, 'invoiced' | 'paymentDays'> {
  region: string;
  careType: CareType;
  dischargedDay: number;
}

/** What an invoice's specification shows of an episode besides what the basis computes with. */
export interface SpecifiedEpisode extends PaymentEpisode {
  /** Pseudonymous, as stored. */
  episodeId: string;
  /** liable, not-liable or pending, as the clock decided under the conditions. */
  liability: string;
  readyStartDays: number[];
  /** -1: still open. */
  readyEndDays: number[];
  trackColour: string;
  fastVardkontakt: boolean;
  /** The conditions the clock found unmet when it decided (facts stored before migration 013: none recorded). */
  conditionsUnmet?: string[];
}

export interface Month {
  fromDay: number;
  toDay: number;
}

const day = (d: number) => isoDate(fromEpochDay(d));
/** localeCompare, asked only where the strings differ (most of a sort's comparisons here are of equal care types and regions). */
const collate = (a: string, b: string) => (a === b ? 0 : a.localeCompare(b));
/** The first day of the month `back` months before the one `d` lies in. */
const monthStart = (d: number, back: number) => {
  const c = fromEpochDay(d);
  const m = c.year * 12 + (c.month - 1) - back;
  return epochDay({ year: Math.floor(m / 12), month: (m % 12) + 1, day: 1 });
};
const rolling = (a: Agreement) => a.rules.payment.model === 'municipal-average' && a.rules.payment.period === 'rolling-3-months';

/** How far back the invoice for `month` must read discharges: three months when an agreement in force then averages over them. */
export function paymentReadsFrom(set: AgreementSet, month: Month): number {
  return set.agreements.some((a) => rolling(a) && a.validFrom <= month.toDay && (a.validTo === null || month.fromDay <= a.validTo)) ? monthStart(month.fromDay, 2) : month.fromDay;
}

/**
 * What the basis needs of a set of ready episodes alike in region, care type, liable municipality,
 * agreement in force, invoiced or not and day-0 discharge or not: one episode (paymentBasis), or
 * a month's sums from ClickHouse (paymentCellsSql: the nation's month in a few thousand rows).
 */
export interface PaymentCell extends AverageCell {
  region: string;
  careType: CareType;
  /** A day on which the same agreements are in force as on each of these episodes' discharge days. */
  agreementDay: number;
  /** The earliest discharge day among them. */
  firstDischargedDay: number;
}

/** Each ready episode discharged in the month, or in the window before it, as a cell of its own. */
export function paymentCells(episodes: readonly PaymentEpisode[], set: AgreementSet, month: Month): PaymentCell[] {
  return episodes.filter((e) => e.dischargedDay <= month.toDay).map((e) => {
    const invoiced = e.dischargedDay >= month.fromDay;
    const a = invoiced && e.liable ? set.inForce(e.region, e.dischargedDay) : undefined;
    return {
      region: e.region, careType: e.careType, municipality: e.municipality, agreementDay: e.dischargedDay, firstDischargedDay: e.dischargedDay,
      invoiced, dayZero: e.utklarDays === 0, episodes: 1, paymentDays: e.paymentDayList.length,
      billableByYear: a ? daysPerYear(e.paymentDayList.slice(billableFrom(a.rules.payment, e.careType))) : new Map<number, number>(),
    };
  });
}

/**
 * The invoice basis for one month: per region's agreement, liable (recipient) municipality and
 * care type, what the agreement in force on the episodes' discharge day makes billable. Amounts
 * are never taken from another year: a day whose year has no figure makes the line's amount null
 * and names the year.
 */
export function paymentBasis(episodes: readonly PaymentEpisode[], set: AgreementSet, month: Month): { rows: Row[]; notes: string[] } {
  return paymentBasisOf(paymentCells(episodes, set, month), set, month);
}

/** paymentBasis over cells: the same answer whether the cells are single episodes or a month's sums. */
export function paymentBasisOf(cells: readonly PaymentCell[], set: AgreementSet, month: Month): { rows: Row[]; notes: string[] } {
  const groups = new Map<string, { agreement: Agreement | undefined; region: string; careType: CareType; list: PaymentCell[] }>();
  for (const c of cells) {
    if (!c.invoiced || c.episodes === 0) continue;
    const agreement = set.inForce(c.region, c.agreementDay);
    const key = `${agreement?.id ?? '-'}|${c.region}|${c.careType}`;
    const g = groups.get(key) ?? groups.set(key, { agreement, region: c.region, careType: c.careType, list: [] }).get(key)!;
    g.list.push(c);
  }

  // The months before the invoiced one, per region and care type (a rolling average reads its own).
  const earlier = new Map<string, PaymentCell[]>();
  for (const c of cells) {
    if (c.invoiced) continue;
    const k = `${c.region}|${c.careType}`;
    const list = earlier.get(k);
    if (list) list.push(c);
    else earlier.set(k, [c]);
  }

  const rows: Row[] = [];
  const used = new Set<Agreement>();
  const missing = new Map<Agreement, Set<number>>();
  const sum = (cs: readonly PaymentCell[], f: (c: PaymentCell) => number) => cs.reduce((s, c) => s + f(c), 0);
  // Groups in the agreements' order, so the notes do not depend on the order the episodes came in.
  const order = (a: Agreement | undefined) => (a ? set.agreements.indexOf(a) : -1);
  for (const { agreement: a, region, careType, list } of [...groups.values()].sort((x, y) => order(x.agreement) - order(y.agreement))) {
    const byKommun = (cs: readonly PaymentCell[]) => [...new Set(cs.map((c) => c.municipality))].sort().map((k) => [k, cs.filter((c) => c.municipality === k)] as const);
    if (!a) {
      for (const [kommun, cs] of byKommun(list)) {
        rows.push({ kommun, careType, region, agreement: null, episodes: sum(cs, (c) => c.episodes), paymentDays: sum(cs, (c) => c.paymentDays), billableDays: null, amountSek: null, missingAmountYears: [],
          error: `no agreement in force for region ${region} on the discharge days (from ${day(Math.min(...cs.map((c) => c.firstDischargedDay)))})` });
      }
      continue;
    }
    used.add(a);
    const p = a.rules.payment;
    const extra: Row = { region, agreement: a.id };
    const out: Row[] = [];
    if (p.model === 'municipal-average') {
      const from = p.period === 'rolling-3-months' ? monthStart(month.fromDay, 2) : month.fromDay;
      const before = (earlier.get(`${region}|${careType}`) ?? []).filter((c) => c.firstDischargedDay >= from && c.firstDischargedDay < month.fromDay);
      const threshold = averageThreshold(p, careType);
      const period = { averageFrom: day(from), averageTo: day(month.toDay) };
      for (const { municipality, ...m } of municipalAverageOf([...before, ...list], a.rules, careType)) {
        out.push({ kommun: municipality, careType, ...m, threshold, ...extra, ...period });
      }
    } else {
      const free = p.freeDays[careType];
      for (const [kommun, cs] of byKommun(list)) {
        const billable = addYears(cs.map((c) => c.billableByYear));
        const episodes = sum(cs, (c) => c.episodes);
        const days = sum(cs, (c) => c.paymentDays);
        out.push({ kommun, careType, episodes, paymentDays: days, average: days / episodes, freeDays: free, billableDays: [...billable.values()].reduce((s, n) => s + n, 0), ...billedAmountByYear(a.rules.amountPerDayByYear, billable), ...extra });
      }
    }
    for (const r of out) for (const y of r.missingAmountYears as number[]) (missing.get(a) ?? missing.set(a, new Set()).get(a)!).add(y);
    rows.push(...out);
  }
  rows.sort((x, y) => collate(String(x.careType), String(y.careType)) || collate(String(x.region), String(y.region)) || collate(String(x.kommun), String(y.kommun)));

  const notes = [`episodes discharged ${day(month.fromDay)}–${day(month.toDay)}, each under the agreement in force for its region on its discharge day; 12:00 rule`];
  for (const a of used) {
    const p = a.rules.payment;
    notes.push(`${a.id} (${a.name}): model ${p.model}${p.model === 'municipal-average' ? `, the average over ${p.period === 'rolling-3-months' ? 'the 3 months ending with the invoiced one (only the invoiced month is billed)' : 'the month'} decides` : ''}`);
  }
  for (const [a, years] of missing) {
    notes.push(`no amount per day for ${[...years].sort().join(', ')} under ${a.id}: amountSek is null on the lines concerned (missingAmountYears); add the year's figure with its source to services/agreements/amounts/socialstyrelsen.json, or to the agreement (amountPerDayByYear)`);
  }
  return { rows, notes };
}
