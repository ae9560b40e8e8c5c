import { stockholmDay, stockholmMidnight } from '../core/stockholm-time.ts';
import { BAND_THRESHOLDS, delayBand } from './delay-band.ts';
import { episodeClock } from './episode-clock.ts';
import { followUpDays, sum } from './day-count.ts';
import type { EpisodeState } from './episode-state.ts';
import type { RegionRules } from './rules.ts';

/** A fact time made true for an episode (schemas/clock-event.avsc). */
export interface ClockFact {
  clockEventId: string;
  episodeId: string;
  kind: 'READY_DAY_ACCRUED' | 'THRESHOLD_CROSSED' | 'PAYMENT_RESPONSIBILITY_STARTED';
  at: number;
  utklarDays: number;
  band: string;
  homeMunicipality: string | null;
  hospital: string | null;
  ward: string | null;
}

/** The next Stockholm midnight strictly after an instant: when a utklar day can accrue. */
export const nextMidnight = (t: number): number => stockholmMidnight(stockholmDay(t) + 1);

/** When the episode's first timer is due: the midnight after its first ready notice. */
export function firstTimer(s: EpisodeState): number | null {
  const first = s.readyPeriods[0];
  return first ? nextMidnight(first.start) : null;
}

/**
 * The facts that became true at the day boundary `at`, given how many ready days were already
 * announced. Pure: the same state and instant always give the same facts, with the same ids.
 */
export function factsAt(s: EpisodeState, at: number, announcedDays: number, paymentAnnounced: boolean, rules: RegionRules) {
  // Only the day count is needed at every boundary; the full clock (payment days, amounts,
  // conditions) only until payment responsibility has been announced. A replay catching up a
  // year of boundaries would otherwise recompute the whole payment history at each one.
  const utklarDays = sum(s.readyPeriods.map((p) => followUpDays(p, at)));
  const clock = paymentAnnounced ? undefined : episodeClock(s, at, rules);
  const base = { episodeId: s.episodeId, homeMunicipality: s.admission?.homeMunicipality ?? null, hospital: s.admission?.hospital ?? null, ward: s.admission?.ward ?? null };
  const facts: ClockFact[] = [];
  for (let n = announcedDays + 1; n <= utklarDays; n++) {
    facts.push({ ...base, clockEventId: `${s.episodeId}:READY_DAY_ACCRUED:${n}`, kind: 'READY_DAY_ACCRUED', at, utklarDays: n, band: delayBand(n) });
    if ((BAND_THRESHOLDS as readonly number[]).includes(n)) {
      facts.push({ ...base, clockEventId: `${s.episodeId}:THRESHOLD_CROSSED:${n}`, kind: 'THRESHOLD_CROSSED', at, utklarDays: n, band: delayBand(n) });
    }
  }
  const paymentStarted = clock !== undefined && clock.billableDays > 0 && clock.liability !== 'not-liable';
  if (paymentStarted) {
    facts.push({ ...base, clockEventId: `${s.episodeId}:PAYMENT_RESPONSIBILITY_STARTED:1`, kind: 'PAYMENT_RESPONSIBILITY_STARTED', at, utklarDays, band: delayBand(utklarDays) });
  }
  // Another boundary is worth waiting for only while a ready period runs on past this one.
  const stillReady = s.readyPeriods.some((p) => p.end === null || p.end > at);
  return { facts, utklarDays: Math.max(announcedDays, utklarDays), paymentAnnounced: paymentAnnounced || paymentStarted, next: stillReady ? nextMidnight(at) : null };
}
