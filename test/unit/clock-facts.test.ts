import { describe, expect, it } from 'vitest';
import { at, eventBuilder } from './support/episode-events.ts';
import type { PatientEvent } from '../../services/contract/event.ts';
import { stockholmDay, stockholmMidnight } from '../../services/core/stockholm-time.ts';
import { factsAt, firstTimer, nextMidnight } from '../../services/clock/clock-facts.ts';
import { foldEpisode } from '../../services/clock/episode-state.ts';
import { LAW_DEFAULTS, OREBRO_RULES, type RegionRules } from '../../services/clock/rules.ts';
import { stateAsOf } from '../../services/clock/state-as-of.ts';

const ev = eventBuilder('f');

/** Fires every boundary from the first timer on, as the worker would, and collects the facts. */
function run(events: PatientEvent[], until: number, rules: RegionRules) {
  const s = foldEpisode(events);
  const out: { id: string; at: string }[] = [];
  let due = firstTimer(s);
  let days = 0;
  let paid = false;
  while (due !== null && due <= until) {
    const r = factsAt(stateAsOf(s, due), due, days, paid, rules);
    out.push(...r.facts.map((f) => ({ id: f.clockEventId, at: new Date(f.at).toISOString() })));
    days = r.utklarDays;
    paid = r.paymentAnnounced;
    due = r.next ?? (s.readyPeriods.some((p) => p.end === null || p.end > due!) ? nextMidnight(due) : null);
  }
  return out;
}

describe('clock facts at day boundaries', () => {
  it('announces each ready day, the band thresholds and the payment start once, at Stockholm midnight', () => {
    const facts = run(
      [ev('admission', '2026-03-26T08:00:00+01:00'), ev('admission-notice', '2026-03-26T09:00:00+01:00'), ev('ready-for-discharge', '2026-03-27T13:00:00+01:00'), ev('discharge', '2026-04-01T10:00:00+02:00')],
      at('2026-12-31T00:00:00Z'),
      LAW_DEFAULTS,
    );
    expect(facts).toEqual([
      { id: 'E1:READY_DAY_ACCRUED:1', at: '2026-03-27T23:00:00.000Z' },
      { id: 'E1:THRESHOLD_CROSSED:1', at: '2026-03-27T23:00:00.000Z' },
      { id: 'E1:READY_DAY_ACCRUED:2', at: '2026-03-28T23:00:00.000Z' },
      { id: 'E1:THRESHOLD_CROSSED:2', at: '2026-03-28T23:00:00.000Z' },
      // 29 March is 23 hours long: the next midnight is at 22:00 UTC.
      { id: 'E1:READY_DAY_ACCRUED:3', at: '2026-03-29T22:00:00.000Z' },
      // Law default: 3 free days; notice after noon, so payment day 4 starts on 31 March.
      { id: 'E1:READY_DAY_ACCRUED:4', at: '2026-03-30T22:00:00.000Z' },
      { id: 'E1:THRESHOLD_CROSSED:4', at: '2026-03-30T22:00:00.000Z' },
      { id: 'E1:PAYMENT_RESPONSIBILITY_STARTED:1', at: '2026-03-30T22:00:00.000Z' },
      { id: 'E1:READY_DAY_ACCRUED:5', at: '2026-03-31T22:00:00.000Z' },
    ]);
  });

  it('pauses while a notice is withdrawn and resumes with the renewed one', () => {
    const facts = run(
      [
        ev('admission', '2026-02-01T08:00:00+01:00'), ev('admission-notice', '2026-02-01T09:00:00+01:00'),
        ev('ready-for-discharge', '2026-02-02T15:00:00+01:00'), ev('ready-withdrawn', '2026-02-03T08:00:00+01:00'),
        ev('ready-for-discharge', '2026-02-06T15:00:00+01:00'), ev('discharge', '2026-02-08T12:00:00+01:00'),
      ],
      at('2026-12-31T00:00:00Z'),
      OREBRO_RULES,
    ).map((f) => f.id);
    expect(facts).toEqual([
      'E1:READY_DAY_ACCRUED:1', 'E1:THRESHOLD_CROSSED:1', 'E1:PAYMENT_RESPONSIBILITY_STARTED:1',
      'E1:READY_DAY_ACCRUED:2', 'E1:THRESHOLD_CROSSED:2',
      'E1:READY_DAY_ACCRUED:3',
    ]);
  });

  it('a late-firing timer sees the episode as it stood then', () => {
    const s = foldEpisode([ev('admission', '2026-02-01T08:00:00+01:00'), ev('ready-for-discharge', '2026-02-02T10:00:00+01:00'), ev('discharge', '2026-02-05T10:00:00+01:00')]);
    const first = stockholmMidnight(stockholmDay(at('2026-02-02T10:00:00+01:00')) + 1);
    const asOf = stateAsOf(s, first);
    expect(asOf.readyPeriods).toHaveLength(1);
    expect(asOf.readyPeriods[0]!.end).toBeNull();
    expect(factsAt(asOf, first, 0, false, OREBRO_RULES).utklarDays).toBe(1);
  });

  it('stops once no ready period runs past the boundary', () => {
    const s = foldEpisode([ev('admission', '2026-02-01T08:00:00+01:00'), ev('ready-for-discharge', '2026-02-02T10:00:00+01:00'), ev('discharge', '2026-02-03T10:00:00+01:00')]);
    const b = stockholmMidnight(stockholmDay(at('2026-02-04T00:30:00+01:00')));
    expect(factsAt(stateAsOf(s, b), b, 1, true, OREBRO_RULES)).toMatchObject({ facts: [], next: null });
  });
});
