import type { Agreement } from '../agreements/agreement.ts';
import type { AgreementSet } from '../agreements/agreement-set.ts';
import type { CARE_TYPES } from '../contract/event.ts';
import { municipalAverage, type ClosedEpisodeDays } from '../clock/municipal-average.ts';
import { billedAmount } from '../clock/rules.ts';
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
 * The invoice basis for one month: per region's agreement, liable (recipient) municipality and
 * care type, what the agreement in force on the episodes' discharge day makes billable. Amounts
 * are never taken from another year: a day whose year has no figure makes the line's amount null
 * and names the year.
 */
export function paymentBasis(episodes: readonly PaymentEpisode[], set: AgreementSet, month: Month): { rows: Row[]; notes: string[] } {
  const invoiced = episodes.filter((e) => e.dischargedDay >= month.fromDay && e.dischargedDay <= month.toDay);
  const groups = new Map<string, { agreement: Agreement | undefined; region: string; careType: CareType; list: PaymentEpisode[] }>();
  for (const e of invoiced) {
    const agreement = set.inForce(e.region, e.dischargedDay);
    const key = `${agreement?.id ?? '-'}|${e.region}|${e.careType}`;
    const g = groups.get(key) ?? groups.set(key, { agreement, region: e.region, careType: e.careType, list: [] }).get(key)!;
    g.list.push(e);
  }

  const rows: Row[] = [];
  const used = new Set<Agreement>();
  const missing = new Map<Agreement, Set<number>>();
  for (const { agreement: a, region, careType, list } of groups.values()) {
    const byKommun = (eps: readonly PaymentEpisode[]) => [...new Set(eps.map((e) => e.municipality))].sort().map((k) => [k, eps.filter((e) => e.municipality === k)] as const);
    if (!a) {
      for (const [kommun, eps] of byKommun(list)) {
        rows.push({ kommun, careType, region, agreement: null, episodes: eps.length, paymentDays: eps.reduce((s, e) => s + e.paymentDayList.length, 0), billableDays: null, amountSek: null, missingAmountYears: [],
          error: `no agreement in force for region ${region} on the discharge days (from ${day(Math.min(...eps.map((e) => e.dischargedDay)))})` });
      }
      continue;
    }
    used.add(a);
    const p = a.rules.payment;
    const extra: Row = { region, agreement: a.id };
    const out: Row[] = [];
    if (p.model === 'municipal-average') {
      const from = p.period === 'rolling-3-months' ? monthStart(month.fromDay, 2) : month.fromDay;
      const before = episodes.filter((e) => e.region === region && e.careType === careType && e.dischargedDay >= from && e.dischargedDay < month.fromDay);
      const window: ClosedEpisodeDays[] = [...before.map((e) => ({ ...e, invoiced: false })), ...list].map((e) => ({ ...e, paymentDays: e.paymentDayList.length }));
      const threshold = p.thresholdByCareType?.[careType] ?? p.threshold;
      for (const { municipality, ...m } of municipalAverage(window, a.rules, careType)) {
        out.push({ kommun: municipality, careType, ...m, threshold, ...extra, averageFrom: day(from), averageTo: day(month.toDay) });
      }
    } else {
      const free = p.freeDays[careType];
      for (const [kommun, eps] of byKommun(list)) {
        const billable = eps.filter((e) => e.liable).flatMap((e) => e.paymentDayList.slice(free));
        const days = eps.reduce((s, e) => s + e.paymentDayList.length, 0);
        out.push({ kommun, careType, episodes: eps.length, paymentDays: days, average: days / eps.length, freeDays: free, billableDays: billable.length, ...billedAmount(a.rules.amountPerDayByYear, billable), ...extra });
      }
    }
    for (const r of out) for (const y of r.missingAmountYears as number[]) (missing.get(a) ?? missing.set(a, new Set()).get(a)!).add(y);
    rows.push(...out);
  }
  rows.sort((x, y) => String(x.careType).localeCompare(String(y.careType)) || String(x.region).localeCompare(String(y.region)) || String(x.kommun).localeCompare(String(y.kommun)));

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
