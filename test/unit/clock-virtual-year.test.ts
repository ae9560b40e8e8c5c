import { describe, expect, it } from 'vitest';
import type { PatientEvent } from '../../services/contract/event.ts';
import { parseNdjsonEvent } from '../../services/contract/ndjson-event.ts';
import { epochDay, stockholmDay, stockholmMidnight } from '../../services/core/stockholm-time.ts';
import { systemClock, TestClock } from '../../services/clock/clock.ts';
import { sentBeforeNoon } from '../../services/clock/day-count.ts';
import { delayBand } from '../../services/clock/delay-band.ts';
import { episodeClock, type EpisodeClock } from '../../services/clock/episode-clock.ts';
import { foldEpisode, type EpisodeState } from '../../services/clock/episode-state.ts';
import { LAW_DEFAULTS } from '../../services/clock/rules.ts';
import { RegionSimulator } from '../../services/simulator/simulate.ts';
import { pseudonymiser } from './sample-events.ts';

const HOUR = 3_600_000;

describe('TestClock', () => {
  it('moves only when told to', () => {
    const c = new TestClock(1000);
    expect(c.now()).toBe(1000);
    expect(c.now()).toBe(1000);
    c.advance(500);
    expect(c.now()).toBe(1500);
    c.set(42);
    expect(c.now()).toBe(42);
  });

  it('systemClock reads the real time', () => {
    const before = Date.now();
    const t = systemClock.now();
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now());
  });
});

interface Seen {
  day: number;
  noticeEventId: string;
  periods: number;
  clock: EpisodeClock;
}

describe('a simulated year 2026 in virtual time (both DST switches)', () => {
  it('the clocks of open episodes advance exactly one per Stockholm calendar day', () => {
    const firstDay = epochDay({ year: 2026, month: 1, day: 1 });
    const lastDay = epochDay({ year: 2026, month: 12, day: 31 });
    const clock = new TestClock(stockholmMidnight(firstDay));
    const sim = new RegionSimulator({ seed: 2026, admissionsPerDay: 28 }, clock.now());

    const eventsByEpisode = new Map<string, PatientEvent[]>();
    const states = new Map<string, EpisodeState>();
    const seen = new Map<string, Seen>();
    let lineNo = 0;
    let checks = 0;
    let dayToDayChecks = 0;
    const openOnDay = new Map<number, number>();
    const dstTransitionsChecked = new Map<number, number>();
    const DST_DAYS = new Set([epochDay({ year: 2026, month: 3, day: 29 }), epochDay({ year: 2026, month: 3, day: 30 }), epochDay({ year: 2026, month: 10, day: 25 }), epochDay({ year: 2026, month: 10, day: 26 })]);

    for (let day = firstDay; day <= lastDay; day++) {
      const midnight = stockholmMidnight(day);
      const next = stockholmMidnight(day + 1);
      // Local midnight, the middle of the (23-, 24- or 25-hour) day and its last millisecond.
      for (const target of [midnight, midnight + Math.floor((next - midnight) / 2), next - 1]) {
        clock.advance(target - clock.now());
        const now = clock.now();
        expect(stockholmDay(now)).toBe(day);

        const dirty = new Set<string>();
        for (const raw of sim.eventsUntil(now)) {
          const e = parseNdjsonEvent(JSON.stringify(raw), ++lineNo, pseudonymiser);
          const list = eventsByEpisode.get(e.episodeId) ?? [];
          list.push(e);
          eventsByEpisode.set(e.episodeId, list);
          dirty.add(e.episodeId);
        }
        for (const id of dirty) states.set(id, foldEpisode(eventsByEpisode.get(id)!));

        for (const [id, s] of states) {
          if (s.status !== 'READY') continue;
          const open = s.readyPeriods.find((p) => p.end === null)!;
          const c = episodeClock(s, now, LAW_DEFAULTS);
          checks++;
          openOnDay.set(day, (openOnDay.get(day) ?? 0) + 1);

          expect(c.band).toBe(delayBand(c.utklarDays));
          if (s.readyPeriods.length === 1) {
            // Follow-up days count from dag 0, payment days from day 1 when sent before noon.
            const diff = c.paymentDays - c.utklarDays;
            expect(diff).toBe(sentBeforeNoon(open.start, LAW_DEFAULTS) ? 1 : 0);
            expect(c.utklarDays).toBe(day - stockholmDay(open.start));
            expect(c.paymentDayList).toEqual(Array.from({ length: c.paymentDays }, (_, i) => day - c.paymentDays + 1 + i));
          }

          const prev = seen.get(id);
          if (prev && prev.noticeEventId === open.noticeEventId && prev.periods === s.readyPeriods.length) {
            // Same open period as at the previous check: never decreasing, +1 per calendar day.
            expect(c.utklarDays).toBeGreaterThanOrEqual(prev.clock.utklarDays);
            expect(c.utklarDays - prev.clock.utklarDays).toBe(day - prev.day);
            expect(c.paymentDays - prev.clock.paymentDays).toBe(day - prev.day);
            if (day !== prev.day) {
              dayToDayChecks++;
              if (DST_DAYS.has(day)) dstTransitionsChecked.set(day, (dstTransitionsChecked.get(day) ?? 0) + 1);
            }
          }
          seen.set(id, { day, noticeEventId: open.noticeEventId, periods: s.readyPeriods.length, clock: c });
        }
        for (const id of seen.keys()) if (states.get(id)?.status !== 'READY') seen.delete(id);
      }
    }

    const all = [...states.values()];
    const withReady = all.filter((s) => s.readyPeriods.length > 0);
    expect(all.length).toBeGreaterThan(10_000);
    expect(withReady.length).toBeGreaterThan(2000);
    expect(withReady.some((s) => s.readyPeriods.length > 1)).toBe(true);
    expect(checks).toBeGreaterThan(10_000);
    expect(dayToDayChecks).toBeGreaterThan(3_000);
    // The switch days themselves were crossed by open episodes.
    expect([...DST_DAYS].map((d) => (dstTransitionsChecked.get(d) ?? 0) > 0)).toEqual([true, true, true, true]);
    expect([...DST_DAYS].every((d) => (openOnDay.get(d) ?? 0) > 0)).toBe(true);

    // A discharged episode's clock is frozen: the same counts at year end and 100 days later.
    const yearEnd = clock.now();
    for (const s of all) {
      if (s.status !== 'DISCHARGED' || s.readyPeriods.length === 0) continue;
      const a = episodeClock(s, yearEnd, LAW_DEFAULTS);
      const b = episodeClock(s, yearEnd + 100 * 24 * HOUR, LAW_DEFAULTS);
      expect([b.utklarDays, b.paymentDays, b.paymentDayList]).toEqual([a.utklarDays, a.paymentDays, a.paymentDayList]);
      expect(a.billableDays).toBe(a.liability === 'not-liable' ? 0 : Math.max(0, a.paymentDays - (s.admission?.careType === 'PSYCHIATRIC' ? 30 : 3)));
    }
  });
});
