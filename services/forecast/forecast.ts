import { summarise, type CountSummary } from './count-distribution.ts';
import type { ForecastEpisode } from './forecast-episode.ts';
import type { ReadinessModel } from './readiness-model.ts';

/** One recipient municipality's day: patients expected to become utskrivningsklar. */
export interface ForecastCell extends CountSummary {
  municipality: string;
  /** Stockholm epoch day. */
  day: number;
  /** Expected from the episodes open now, and from stays not yet begun. */
  fromOpen: number;
  fromNew: number;
  /** Open episodes not yet ready with this recipient (whatever day they are expected). */
  openEpisodes: number;
}

export interface ForecastRequest {
  /** Already slid to the forecast's day. */
  model: ReadinessModel;
  /** Open episodes never ready yet, in the scope and selection. */
  open: readonly ForecastEpisode[];
  /** The first day they may still become ready (today live; the forecast day in a backtest). */
  atRiskFrom: number;
  /** The last day whose notices are known. */
  knownBy: number;
  firstDay: number;
  days: number;
  /** Stays admitted from this day on are not among `open`; `arrivalsFirstShare` of that day is still to come. */
  arrivalsFrom: number;
  arrivalsFirstShare: number;
  /** Rows only for these municipalities (a municipality's own); unset: every one seen. */
  municipalities?: readonly string[];
}

/** Per municipality and day, sorted by municipality then day. */
export function forecast(r: ForecastRequest): ForecastCell[] {
  const lastDay = r.firstDay + r.days - 1;
  const byRecipient = new Map<string, number[][]>();
  for (const e of r.open) {
    const p = r.model.probabilities(e, r.atRiskFrom, r.knownBy, lastDay);
    const list = byRecipient.get(e.recipient) ?? [];
    list.push(p);
    byRecipient.set(e.recipient, list);
  }
  const seen = r.municipalities ?? [...new Set([...byRecipient.keys(), ...r.model.arrivalRecipients()])].sort();
  const cells: ForecastCell[] = [];
  for (const municipality of seen) {
    const episodes = byRecipient.get(municipality) ?? [];
    for (let day = r.firstDay; day <= lastDay; day++) {
      const probabilities = episodes.map((p) => p[day - r.atRiskFrom] ?? 0);
      const fromNew = r.model.arrivals(municipality, day, r.arrivalsFrom, r.arrivalsFirstShare);
      cells.push({
        municipality, day, ...summarise(probabilities, fromNew),
        fromOpen: probabilities.reduce((s, p) => s + p, 0), fromNew, openEpisodes: episodes.length,
      });
    }
  }
  return cells;
}
