import { CARE_TYPES } from '../contract/event.ts';
import { billedAmount, type RegionRules } from './rules.ts';

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
 * Örebro's model (and Stockholm's, VGR's, …): the municipality's average payment days per
 * discharged ready patient in the period, compared with the threshold. The caller picks the
 * episodes of the period: the invoiced month, or (VGR) the rolling 3 months ending with it, of
 * which only the invoiced month's episodes are billed. A municipality without an episode in the
 * invoiced month has no line.
 */
export function municipalAverage(episodes: readonly ClosedEpisodeDays[], rules: Pick<RegionRules, 'payment' | 'amountPerDayByYear'>, careType?: (typeof CARE_TYPES)[number]): MunicipalPayment[] {
  if (rules.payment.model !== 'municipal-average') throw new Error('rules are not a municipal-average agreement');
  const p = rules.payment;
  if (p.thresholdByCareType && careType === undefined) throw new Error('the agreement has a threshold per care type: say which care type the episodes are');
  const threshold = careType === undefined ? p.threshold : p.thresholdByCareType?.[careType] ?? p.threshold;
  const byMunicipality = new Map<string, ClosedEpisodeDays[]>();
  for (const e of episodes) {
    if (!p.includeDayZeroDischarges && e.utklarDays === 0) continue;
    byMunicipality.set(e.municipality, [...(byMunicipality.get(e.municipality) ?? []), e]);
  }
  return [...byMunicipality.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([municipality, all]) => {
      const month = all.filter((e) => e.invoiced !== false);
      if (month.length === 0) return [];
      const averagePaymentDays = all.reduce((s, e) => s + e.paymentDays, 0);
      const average = averagePaymentDays / all.length;
      const exceeded = average > threshold;
      const billable = !exceeded
        ? []
        : month
            .filter((e) => e.liable)
            .flatMap((e) => (p.billable === 'all-days' ? e.paymentDayList : e.paymentDayList.slice(Math.ceil(threshold))));
      const paymentDays = month.reduce((s, e) => s + e.paymentDays, 0);
      return [{ municipality, episodes: month.length, paymentDays, average, exceeded, billableDays: billable.length, ...billedAmount(rules.amountPerDayByYear, billable), averageEpisodes: all.length, averagePaymentDays }];
    });
}
