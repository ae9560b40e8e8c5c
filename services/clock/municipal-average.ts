import { amountForDays, type RegionRules } from './rules.ts';

/** A discharged ready episode as the per-municipality average needs it. */
export interface ClosedEpisodeDays {
  municipality: string;
  /** Follow-up days (dag 0 rule): 0 means discharged the day the notice was sent. */
  utklarDays: number;
  paymentDays: number;
  /** The Stockholm epoch days that were payment days. */
  paymentDayList: number[];
  liable: boolean;
}

export interface MunicipalPayment {
  municipality: string;
  episodes: number;
  paymentDays: number;
  average: number;
  exceeded: boolean;
  billableDays: number;
  amountSek: number | null;
}

/**
 * Örebro's model (and Stockholm's, VGR's, …): the municipality's average payment days per
 * discharged ready patient in the period, compared with the threshold. The caller picks the
 * episodes of the period (a month, or the rolling 3 months that decide for VGR).
 */
export function municipalAverage(episodes: readonly ClosedEpisodeDays[], rules: RegionRules): MunicipalPayment[] {
  if (rules.payment.model !== 'municipal-average') throw new Error('rules are not a municipal-average agreement');
  const p = rules.payment;
  const byMunicipality = new Map<string, ClosedEpisodeDays[]>();
  for (const e of episodes) {
    if (!p.includeDayZeroDischarges && e.utklarDays === 0) continue;
    byMunicipality.set(e.municipality, [...(byMunicipality.get(e.municipality) ?? []), e]);
  }
  return [...byMunicipality.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([municipality, list]) => {
      const paymentDays = list.reduce((s, e) => s + e.paymentDays, 0);
      const average = paymentDays / list.length;
      const exceeded = average > p.threshold;
      const billableDayLists = !exceeded
        ? []
        : list
            .filter((e) => e.liable)
            .map((e) => (p.billable === 'all-days' ? e.paymentDayList : e.paymentDayList.slice(Math.ceil(p.threshold))));
      const billable = billableDayLists.flat();
      const amountSek = amountForDays(rules.amountPerDayByYear, billable);
      return { municipality, episodes: list.length, paymentDays, average, exceeded, billableDays: billable.length, amountSek };
    });
}
