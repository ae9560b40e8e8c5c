import { estimateBy, noticeDayBy, type ForecastEpisode } from './forecast-episode.ts';
import { HazardTable, type Hazard } from './hazard-table.ts';

/**
 * What history teaches about when an admitted patient becomes utskrivningsklar, over a window of
 * days that slides (the last `windowDays` before the forecast):
 * - with an estimate (the inskrivningsmeddelande's estimatedDischargeDate): the hazard of
 *   becoming ready per day relative to the estimate, per region × clinic × care type (backing
 *   off to region × care type, care type, everyone where fewer than `minAtRisk` stood behind it);
 * - with a notice but no estimate: per day since admission, per region × clinic × age group
 *   (backing off to clinic, region, everyone);
 * - with no notice yet: the same, among the stays that had none by that many days after the
 *   admission (most never need the municipality, and the rest are about to send one);
 * - stays not yet begun: each recipient municipality's ready notices per day, and how many days
 *   after admission they come.
 * A day's counts are fixed once the day has passed, so a backtest slides one model through a
 * year instead of learning each day anew.
 */
export interface ModelOptions {
  windowDays: number;
  minAtRisk: number;
}
export const MODEL_DEFAULTS: ModelOptions = { windowDays: 90, minAtRisk: 20 };

// Offsets past these are pooled: the tails are thin, and their hazard changes little from day to day.
const ESTIMATE_SPAN = 21;
const STAY_SPAN = 45;
// Stays without a notice are told apart by how long they have been without one, up to this many days.
const LANDMARKS = 3;

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));

const estimateGroups = (e: ForecastEpisode) => [`E|${e.region}|${e.clinic}|${e.careType}`, `E|${e.region}||${e.careType}`, `E|||${e.careType}`, 'E|*'];
const stayGroups = (family: string, e: ForecastEpisode) => [`${family}|${e.region}|${e.clinic}|${e.ageGroup}`, `${family}|${e.region}|${e.clinic}|`, `${family}|${e.region}||`, `${family}|*`];

/** The day an episode stops being at risk (ready, or gone without being ready); Infinity while neither. */
const endOf = (e: ForecastEpisode) => Math.min(e.readyDay ?? Infinity, e.dischargedDay ?? Infinity);

/** Which hazards an episode follows, and its offset on a day. */
interface Plan {
  groups: string[];
  offset: (day: number) => number;
}

export class ReadinessModel {
  readonly #table = new HazardTable();
  readonly #atRiskOn = new Map<number, ForecastEpisode[]>();
  readonly #readyOn = new Map<number, ForecastEpisode[]>();
  readonly #arrivals = new Map<string, number>();
  readonly #stays = new Array<number>(STAY_SPAN + 1).fill(0);
  #readyTotal = 0;
  #lo = 0;
  #hi = -1;
  readonly #firstDay: number;

  /**
   * `history`: every episode that may have been at risk in a window to come, known through
   * `throughDay` (an episode still running is at risk up to it). `select`: whose ready notices
   * count for the stays not yet begun (the scope and filters asked for); the hazards learn
   * from all of `history`.
   */
  constructor(
    history: readonly ForecastEpisode[],
    throughDay: number,
    readonly options: ModelOptions = MODEL_DEFAULTS,
    select: (e: ForecastEpisode) => boolean = () => true,
  ) {
    let first = Infinity;
    for (const e of history) {
      first = Math.min(first, e.admittedDay);
      const last = Math.min(endOf(e), throughDay);
      for (let d = e.admittedDay; d <= last; d++) push(this.#atRiskOn, d, e);
      if (e.readyDay !== null && e.readyDay <= throughDay && select(e)) push(this.#readyOn, e.readyDay, e);
    }
    this.#firstDay = first;
  }

  /** Moves the window to the `windowDays` days before `asOf` (a forecast made at the start of `asOf`). */
  slideTo(asOf: number): this {
    const lo = asOf - this.options.windowDays;
    const hi = asOf - 1;
    if (lo > this.#hi || hi < this.#lo) {
      for (let d = this.#lo; d <= this.#hi; d++) this.#day(d, -1);
      for (let d = lo; d <= hi; d++) this.#day(d, 1);
    } else {
      for (let d = this.#lo; d < lo; d++) this.#day(d, -1);
      for (let d = hi + 1; d <= this.#hi; d++) this.#day(d, -1);
      for (let d = lo; d < this.#lo; d++) this.#day(d, 1);
      for (let d = this.#hi + 1; d <= hi; d++) this.#day(d, 1);
    }
    [this.#lo, this.#hi] = [lo, hi];
    return this;
  }

  #day(d: number, sign: 1 | -1): void {
    for (const e of this.#atRiskOn.get(d) ?? []) {
      const outcome = d === e.readyDay ? 'ready' : d === e.dischargedDay ? 'exit' : null;
      const elapsed = clamp(d - e.admittedDay, 0, STAY_SPAN);
      const estimate = estimateBy(e, d);
      if (estimate !== null) this.#table.add(estimateGroups(e), clamp(d - estimate, -ESTIMATE_SPAN, ESTIMATE_SPAN), outcome, sign);
      if (noticeDayBy(e, d) !== null) this.#table.add(stayGroups('N', e), elapsed, outcome, sign);
      const firstNotice = noticeDayBy(e, Infinity);
      for (let l = 0; l <= Math.min(d - e.admittedDay, LANDMARKS); l++) {
        if (firstNotice === null || firstNotice >= e.admittedDay + l) this.#table.add(stayGroups(`U${l}`, e), elapsed, outcome, sign);
      }
    }
    for (const e of this.#readyOn.get(d) ?? []) {
      this.#arrivals.set(e.recipient, (this.#arrivals.get(e.recipient) ?? 0) + sign);
      this.#stays[clamp(e.readyDay! - e.admittedDay, 0, STAY_SPAN)]! += sign;
      this.#readyTotal += sign;
    }
  }

  /**
   * For an episode not ready before `atRiskFrom` and still inpatient, the probability of its
   * first ready notice on each day from `atRiskFrom` to `lastDay` (index 0 = atRiskFrom), from
   * what was known of it on `knownBy`. The estimate's hazards first; where no history covers a
   * day, the stay's.
   */
  probabilities(e: ForecastEpisode, atRiskFrom: number, knownBy: number, lastDay: number): number[] {
    const estimate = estimateBy(e, knownBy);
    const sinceAdmission = (d: number) => clamp(d - e.admittedDay, 0, STAY_SPAN);
    const stay: Plan = noticeDayBy(e, knownBy) !== null
      ? { groups: stayGroups('N', e), offset: sinceAdmission }
      : { groups: stayGroups(`U${clamp(atRiskFrom - e.admittedDay, 0, LANDMARKS)}`, e), offset: sinceAdmission };
    const plans: Plan[] = estimate === null ? [stay] : [{ groups: estimateGroups(e), offset: (d) => clamp(d - estimate, -ESTIMATE_SPAN, ESTIMATE_SPAN) }, stay];
    let p: number[] = [];
    for (const plan of plans) {
      p = [];
      let surviving = 1;
      let unknown = false;
      for (let d = atRiskFrom; d <= lastDay; d++) {
        const h: Hazard | null = this.#table.hazard(plan.groups, plan.offset(d), this.options.minAtRisk);
        // No history for a day the stay may still reach: the next plan places it.
        if (h === null && surviving > 1e-9) unknown = true;
        p.push(surviving * (h?.ready ?? 0));
        surviving *= 1 - (h?.ready ?? 0) - (h?.exit ?? 0);
      }
      if (!unknown) break;
    }
    return p;
  }

  /** Recipient municipalities whose ready notices the window saw (the selected ones). */
  arrivalRecipients(): string[] {
    return [...this.#arrivals].filter(([, n]) => n > 0).map(([m]) => m).sort();
  }

  /**
   * Expected ready notices to `recipient` on `day` from stays admitted on `arrivalsFrom` or later
   * (`firstShare` of that first day's admissions still to come): its daily rate of ready notices
   * times the share of them that come within so many days of the admission.
   */
  arrivals(recipient: string, day: number, arrivalsFrom: number, firstShare = 1): number {
    const days = this.#hi - Math.max(this.#lo, this.#firstDay) + 1;
    if (days <= 0 || this.#readyTotal <= 0 || day < arrivalsFrom) return 0;
    const rate = (this.#arrivals.get(recipient) ?? 0) / days;
    let share = 0;
    for (let a = arrivalsFrom; a <= day; a++) share += (a === arrivalsFrom ? firstShare : 1) * this.#stays[clamp(day - a, 0, STAY_SPAN)]! / this.#readyTotal;
    return rate * share;
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
