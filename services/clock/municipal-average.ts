import { CARE_TYPES } from '../contract/event.ts';
import { averageThreshold, billableFrom, billedAmountByYear, daysPerYear, type RegionRules } from './rules.ts';

/** A discharged ready episode as the per-municipality average needs it. */
export interface ClosedEpisodeDays {
  municipality: string;
  /** Follow-up days (dag 0 rule): 0 means discharged the day the notice was sent. */
  utklarDays: number;
  paymentDays: number;
  /** The Stockholm epoch days that were payment days. */
  paymentDayList: number[];
  liable: boolean;
  /**
   * false: discharged in the months before the invoiced one, counted in a rolling average but
   * billed in its own month's invoice. Default true.
   */
  invoiced?: boolean;
}

export interface MunicipalPayment {
  municipality: string;
  /** Episodes and payment days of the invoiced month. */
  episodes: number;
  paymentDays: number;
  /** The average that decides: averagePaymentDays ÷ averageEpisodes, over the agreement's period. */
  average: number;
  exceeded: boolean;
  billableDays: number;
  /** null when a billed day's year has no amount per day (missingAmountYears says which). */
  amountSek: number | null;
  missingAmountYears: number[];
  averageEpisodes: number;
  averagePaymentDays: number;
}

/**
 * What the average needs of a set of episodes of one municipality alike in being invoiced or not
 * and in being a day-0 discharge or not: one episode (municipalAverage), or a month's sums from
 * ClickHouse (the payment endpoint: indicators/payment-sql.ts).
 */
export interface AverageCell {
  municipality: string;
  invoiced: boolean;
  dayZero: boolean;
  episodes: number;
  paymentDays: number;
  /** The liable episodes' payment days from billableFrom() on, per calendar year: what is billed if the average exceeds the threshold. */
  billableByYear: ReadonlyMap<number, number>;
}

/**
 * Örebro's model (and Stockholm's, VGR's, …): the municipality's average payment days per
 * discharged ready patient in the period, compared with the threshold. The caller picks the
 * episodes of the period: the invoiced month, or (VGR) the rolling 3 months ending with it, of
 * which only the invoiced month's episodes are billed. A municipality without an episode in the
 * invoiced month has no line.
 */
export function municipalAverage(episodes: readonly ClosedEpisodeDays[], rules: Pick<RegionRules, 'payment' | 'amountPerDayByYear'>, careType?: (typeof CARE_TYPES)[number]): MunicipalPayment[] {
  const from = billableFrom(averageTerms(rules, careType).p, careType);
  return municipalAverageOf(episodes.map((e) => ({
    municipality: e.municipality, invoiced: e.invoiced !== false, dayZero: e.utklarDays === 0, episodes: 1, paymentDays: e.paymentDays,
    billableByYear: e.liable ? daysPerYear(e.paymentDayList.slice(from)) : new Map(),
  })), rules, careType);
}

function averageTerms(rules: Pick<RegionRules, 'payment'>, careType: (typeof CARE_TYPES)[number] | undefined) {
  if (rules.payment.model !== 'municipal-average') throw new Error('rules are not a municipal-average agreement');
  return { p: rules.payment, threshold: averageThreshold(rules.payment, careType) };
}

/** municipalAverage over cells: the same answer whether the cells are single episodes or sums. */
export function municipalAverageOf(cells: readonly AverageCell[], rules: Pick<RegionRules, 'payment' | 'amountPerDayByYear'>, careType?: (typeof CARE_TYPES)[number]): MunicipalPayment[] {
  const { p, threshold } = averageTerms(rules, careType);
  const byMunicipality = new Map<string, AverageCell[]>();
  for (const c of cells) {
    if (!p.includeDayZeroDischarges && c.dayZero) continue;
    if (c.episodes === 0) continue;
    const list = byMunicipality.get(c.municipality);
    if (list) list.push(c);
    else byMunicipality.set(c.municipality, [c]);
  }
  const sum = (cs: readonly AverageCell[], f: (c: AverageCell) => number) => cs.reduce((s, c) => s + f(c), 0);
  return [...byMunicipality.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([municipality, all]) => {
      const month = all.filter((c) => c.invoiced);
      const episodes = sum(month, (c) => c.episodes);
      if (episodes === 0) return [];
      const averageEpisodes = sum(all, (c) => c.episodes);
      const averagePaymentDays = sum(all, (c) => c.paymentDays);
      const average = averagePaymentDays / averageEpisodes;
      const exceeded = average > threshold;
      const billable = exceeded ? addYears(month.map((c) => c.billableByYear)) : new Map<number, number>();
      const paymentDays = sum(month, (c) => c.paymentDays);
      return [{ municipality, episodes, paymentDays, average, exceeded, billableDays: [...billable.values()].reduce((s, n) => s + n, 0), ...billedAmountByYear(rules.amountPerDayByYear, billable), averageEpisodes, averagePaymentDays }];
    });
}

/** Days per year summed over several such counts. */
export function addYears(counts: Iterable<ReadonlyMap<number, number>>): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of counts) for (const [y, n] of m) out.set(y, (out.get(y) ?? 0) + n);
  return out;
}
