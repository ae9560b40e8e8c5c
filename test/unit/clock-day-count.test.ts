import { describe, expect, it } from 'vitest';
import { at, eventBuilder } from './support/episode-events.ts';
import { epochDay } from '../../services/core/stockholm-time.ts';
import { followUpDays, paymentDayList, paymentDays, sentBeforeNoon, sum } from '../../services/clock/day-count.ts';
import { episodeClock } from '../../services/clock/episode-clock.ts';
import { foldEpisode } from '../../services/clock/episode-state.ts';
import { LAW_DEFAULTS, type RegionRules } from '../../services/clock/rules.ts';

const day = (year: number, month: number, d: number) => epochDay({ year, month, day: d });
const DEFAULT_NOON: Pick<RegionRules, 'noon'> = { noon: { hour: 12, inclusive: false } };
const INCLUSIVE_NOON: Pick<RegionRules, 'noon'> = { noon: { hour: 12, inclusive: true } };

const ev = eventBuilder('dc');

/** An episode ready from `readyIso`: admitted and notified the day before. */
const readyEpisode = (readyIso: string) =>
  foldEpisode([ev('admission', '2026-01-31T08:00:00+01:00'), ev('admission-notice', '2026-01-31T10:00:00+01:00'), ev('ready-for-discharge', readyIso)]);

const FEB = [1, 2, 3, 4, 5];
const HOURS_ON_DAY = ['00:00:00', '06:15:00', '11:59:59', '12:00:00', '18:30:00', '23:59:59.999'];

describe('follow-up days, the dag 0 rule (seed worked example)', () => {
  // "patient ready 1 Feb (any time): 1 feb dag 0 · 2 feb dag 1 · 3 feb dag 2 · 4 feb dag 3 · 5 feb dag 4"
  for (const readyTime of ['00:00:00', '08:00:00', '11:59:59', '12:00:00', '15:45:00', '23:59:59']) {
    it(`ready 1 Feb ${readyTime}: 1 Feb dag 0 … 5 Feb dag 4, at any hour of each day`, () => {
      const start = at(`2026-02-01T${readyTime}+01:00`);
      for (const d of FEB) {
        for (const h of HOURS_ON_DAY) {
          const now = at(`2026-02-0${d}T${h}+01:00`);
          if (now < start) continue;
          expect(followUpDays({ start, end: null }, now), `2026-02-0${d} ${h}`).toBe(d - 1);
        }
      }
    });
  }

  it('the same table through foldEpisode + episodeClock', () => {
    for (const readyTime of ['09:00:00', '14:00:00']) {
      const s = readyEpisode(`2026-02-01T${readyTime}+01:00`);
      const got = FEB.map((d) => episodeClock(s, at(`2026-02-0${d}T23:00:00+01:00`), LAW_DEFAULTS).utklarDays);
      expect(got).toEqual([0, 1, 2, 3, 4]);
    }
  });

  it('a closed period counts to the day it ended, whatever `now` is', () => {
    const iv = { start: at('2026-02-01T13:00:00+01:00'), end: at('2026-02-03T08:00:00+01:00') };
    expect(followUpDays(iv, at('2026-02-20T12:00:00+01:00'))).toBe(2);
    expect(followUpDays(iv, at('2027-01-01T12:00:00+01:00'))).toBe(2);
  });

  it('is never negative (now or end before the start)', () => {
    const start = at('2026-02-05T10:00:00+01:00');
    expect(followUpDays({ start, end: null }, at('2026-02-03T10:00:00+01:00'))).toBe(0);
    expect(followUpDays({ start, end: at('2026-02-01T10:00:00+01:00') }, start)).toBe(0);
  });
});

describe('payment days, the 12:00 rule (seed worked example)', () => {
  it('notice before 12:00 on 1 Feb: 1 Feb is day 1, 2 Feb day 2, 3 Feb day 3, 4 Feb day 4', () => {
    const start = at('2026-02-01T09:30:00+01:00');
    for (const d of [1, 2, 3, 4]) {
      for (const h of HOURS_ON_DAY) {
        const now = at(`2026-02-0${d}T${h}+01:00`);
        if (now < start) continue;
        expect(paymentDays({ start, end: null }, now, DEFAULT_NOON), `2026-02-0${d} ${h}`).toBe(d);
      }
    }
    const list = paymentDayList({ start, end: null }, at('2026-02-04T20:00:00+01:00'), DEFAULT_NOON);
    expect(list).toEqual([day(2026, 2, 1), day(2026, 2, 2), day(2026, 2, 3), day(2026, 2, 4)]);
  });

  it('notice after 12:00 on 1 Feb: 1 Feb is day 0, then 1, 2, 3, 4 on 2–5 Feb', () => {
    const start = at('2026-02-01T14:10:00+01:00');
    const got = FEB.map((d) => paymentDays({ start, end: null }, at(`2026-02-0${d}T16:00:00+01:00`), DEFAULT_NOON));
    expect(got).toEqual([0, 1, 2, 3, 4]);
    expect(paymentDayList({ start, end: null }, at('2026-02-01T23:00:00+01:00'), DEFAULT_NOON)).toEqual([]);
    expect(paymentDayList({ start, end: null }, at('2026-02-05T08:00:00+01:00'), DEFAULT_NOON)).toEqual([
      day(2026, 2, 2),
      day(2026, 2, 3),
      day(2026, 2, 4),
      day(2026, 2, 5),
    ]);
  });

  it('the same two tables through foldEpisode + episodeClock', () => {
    const before = readyEpisode('2026-02-01T11:00:00+01:00');
    const after = readyEpisode('2026-02-01T13:00:00+01:00');
    const pd = (s: ReturnType<typeof readyEpisode>) => FEB.map((d) => episodeClock(s, at(`2026-02-0${d}T17:00:00+01:00`), LAW_DEFAULTS).paymentDays);
    expect(pd(before)).toEqual([1, 2, 3, 4, 5]);
    expect(pd(after)).toEqual([0, 1, 2, 3, 4]);
  });

  it('the day a period ends is a payment day', () => {
    const iv = { start: at('2026-02-01T13:00:00+01:00'), end: at('2026-02-03T08:00:00+01:00') };
    expect(paymentDays(iv, at('2026-03-01T12:00:00+01:00'), DEFAULT_NOON)).toBe(2);
    expect(paymentDayList(iv, at('2026-03-01T12:00:00+01:00'), DEFAULT_NOON)).toEqual([day(2026, 2, 2), day(2026, 2, 3)]);
    // Ready before noon and discharged the same day: one payment day, dag 0.
    const sameDay = { start: at('2026-02-01T09:00:00+01:00'), end: at('2026-02-01T15:00:00+01:00') };
    expect(paymentDays(sameDay, sameDay.end, DEFAULT_NOON)).toBe(1);
    expect(followUpDays(sameDay, sameDay.end)).toBe(0);
  });

  it('is 0 when the end lies before the start', () => {
    const start = at('2026-02-03T09:00:00+01:00');
    expect(paymentDays({ start, end: at('2026-02-01T09:00:00+01:00') }, start, DEFAULT_NOON)).toBe(0);
    expect(paymentDays({ start, end: null }, at('2026-02-02T09:00:00+01:00'), DEFAULT_NOON)).toBe(0);
    expect(paymentDayList({ start, end: null }, at('2026-02-02T09:00:00+01:00'), DEFAULT_NOON)).toEqual([]);
  });
});

describe('11:59:59 vs 12:00:00', () => {
  const t = (hms: string) => at(`2026-02-01T${hms}+01:00`);

  it('default: strictly before 12:00:00 is before noon', () => {
    expect(sentBeforeNoon(t('11:59:59'), DEFAULT_NOON)).toBe(true);
    expect(sentBeforeNoon(t('11:59:59.999'), DEFAULT_NOON)).toBe(true);
    expect(sentBeforeNoon(t('12:00:00.000'), DEFAULT_NOON)).toBe(false);
    expect(sentBeforeNoon(t('12:00:00.001'), DEFAULT_NOON)).toBe(false);
    expect(sentBeforeNoon(t('00:00:00'), DEFAULT_NOON)).toBe(true);
    expect(LAW_DEFAULTS.noon).toEqual({ hour: 12, inclusive: false });
  });

  it('inclusive: 12:00:00.000 counts as before, 12:00:00.001 never', () => {
    expect(sentBeforeNoon(t('11:59:59'), INCLUSIVE_NOON)).toBe(true);
    expect(sentBeforeNoon(t('12:00:00.000'), INCLUSIVE_NOON)).toBe(true);
    expect(sentBeforeNoon(t('12:00:00.001'), INCLUSIVE_NOON)).toBe(false);
  });

  it('changes the payment day count by one', () => {
    const now = at('2026-02-04T10:00:00+01:00');
    expect(paymentDays({ start: t('11:59:59'), end: null }, now, DEFAULT_NOON)).toBe(4);
    expect(paymentDays({ start: t('12:00:00'), end: null }, now, DEFAULT_NOON)).toBe(3);
    expect(paymentDays({ start: t('12:00:00'), end: null }, now, INCLUSIVE_NOON)).toBe(4);
    expect(paymentDays({ start: t('12:00:00.001'), end: null }, now, INCLUSIVE_NOON)).toBe(3);
    // Follow-up days do not care about noon.
    expect(followUpDays({ start: t('11:59:59'), end: null }, now)).toBe(followUpDays({ start: t('12:00:00'), end: null }, now));
  });

  it('through episodeClock with rules.noon.inclusive', () => {
    const s = readyEpisode('2026-02-01T12:00:00+01:00');
    const now = at('2026-02-02T09:00:00+01:00');
    expect(episodeClock(s, now, LAW_DEFAULTS).paymentDays).toBe(1);
    expect(episodeClock(s, now, { ...LAW_DEFAULTS, noon: { hour: 12, inclusive: true } }).paymentDays).toBe(2);
  });

  it('the noon hour itself is a setting', () => {
    const ten = { noon: { hour: 10, inclusive: false } };
    expect(sentBeforeNoon(t('09:59:59'), ten)).toBe(true);
    expect(sentBeforeNoon(t('10:00:00'), ten)).toBe(false);
    expect(sentBeforeNoon(t('11:00:00'), ten)).toBe(false);
  });
});

describe('DST: a 23- or 25-hour day is still one day', () => {
  it('ready 28 March 2026 20:00 CET: 29 March (23 h) is day 1, 30 March day 2', () => {
    const start = at('2026-03-28T20:00:00+01:00');
    const iv = { start, end: null };
    for (const now of ['2026-03-29T00:00:00+01:00', '2026-03-29T01:59:59+01:00', '2026-03-29T03:00:00+02:00', '2026-03-29T19:59:59+02:00', '2026-03-29T23:59:59.999+02:00']) {
      expect(followUpDays(iv, at(now)), now).toBe(1);
      expect(paymentDays(iv, at(now), DEFAULT_NOON), now).toBe(1);
    }
    for (const now of ['2026-03-30T00:00:00+02:00', '2026-03-30T20:00:00+02:00', '2026-03-30T23:59:59.999+02:00']) {
      expect(followUpDays(iv, at(now)), now).toBe(2);
      expect(paymentDays(iv, at(now), DEFAULT_NOON), now).toBe(2);
    }
    // 24 elapsed hours after the notice is already 30 March 21:00 CEST: still day 2, not more.
    expect(followUpDays(iv, start + 48 * 3_600_000)).toBe(2);
  });

  it('ready 24 October 2026 20:00 CEST: 25 October (25 h) is day 1, 26 October day 2', () => {
    const iv = { start: at('2026-10-24T20:00:00+02:00'), end: null };
    for (const now of ['2026-10-25T00:00:00+02:00', '2026-10-25T02:30:00+02:00', '2026-10-25T02:30:00+01:00', '2026-10-25T23:59:59.999+01:00']) {
      expect(followUpDays(iv, at(now)), now).toBe(1);
      expect(paymentDays(iv, at(now), DEFAULT_NOON), now).toBe(1);
    }
    for (const now of ['2026-10-26T00:00:00+01:00', '2026-10-26T23:00:00+01:00']) {
      expect(followUpDays(iv, at(now)), now).toBe(2);
      expect(paymentDays(iv, at(now), DEFAULT_NOON), now).toBe(2);
    }
  });

  it('a notice at 11:30 local on 29 March (CEST, after the switch) is before noon; 12:30 CEST is not', () => {
    expect(sentBeforeNoon(at('2026-03-29T11:30:00+02:00'), DEFAULT_NOON)).toBe(true);
    // 12:30 CEST is 11:30 CET: a UTC+1 reading would wrongly call it before noon.
    expect(sentBeforeNoon(at('2026-03-29T12:30:00+02:00'), DEFAULT_NOON)).toBe(false);
    expect(sentBeforeNoon(at('2026-03-29T12:00:00+02:00'), DEFAULT_NOON)).toBe(false);
    const iv = { start: at('2026-03-29T11:30:00+02:00'), end: null };
    expect(paymentDays(iv, at('2026-03-29T18:00:00+02:00'), DEFAULT_NOON)).toBe(1);
    expect(paymentDayList(iv, at('2026-03-30T18:00:00+02:00'), DEFAULT_NOON)).toEqual([day(2026, 3, 29), day(2026, 3, 30)]);
  });

  it('the 12:00 rule on the 25-hour day and in summer reads local time', () => {
    expect(sentBeforeNoon(at('2026-10-25T11:59:59+01:00'), DEFAULT_NOON)).toBe(true);
    expect(sentBeforeNoon(at('2026-10-25T12:00:00+01:00'), DEFAULT_NOON)).toBe(false);
    expect(sentBeforeNoon(at('2026-07-01T11:59:59+02:00'), DEFAULT_NOON)).toBe(true);
    expect(sentBeforeNoon(at('2026-07-01T12:00:00+02:00'), DEFAULT_NOON)).toBe(false); // 10:00 UTC
  });
});

describe('month, year and leap-day ends', () => {
  it('31 Jan → 1 Feb', () => {
    const iv = { start: at('2026-01-31T09:00:00+01:00'), end: null };
    const now = at('2026-02-01T08:00:00+01:00');
    expect(followUpDays(iv, now)).toBe(1);
    expect(paymentDays(iv, now, DEFAULT_NOON)).toBe(2);
    expect(paymentDayList(iv, now, DEFAULT_NOON)).toEqual([day(2026, 1, 31), day(2026, 2, 1)]);
  });

  it('31 Dec 2026 → 1 Jan 2027', () => {
    const iv = { start: at('2026-12-31T15:00:00+01:00'), end: null };
    expect(followUpDays(iv, at('2026-12-31T23:59:59.999+01:00'))).toBe(0);
    expect(followUpDays(iv, at('2027-01-01T00:00:00+01:00'))).toBe(1);
    expect(paymentDays(iv, at('2027-01-01T10:00:00+01:00'), DEFAULT_NOON)).toBe(1);
    expect(paymentDayList(iv, at('2027-01-02T10:00:00+01:00'), DEFAULT_NOON)).toEqual([day(2027, 1, 1), day(2027, 1, 2)]);
  });

  it('28 Feb → 1 Mar across a leap day (2028) and without one (2026)', () => {
    expect(followUpDays({ start: at('2028-02-28T10:00:00+01:00'), end: at('2028-03-01T10:00:00+01:00') }, 0)).toBe(2);
    expect(followUpDays({ start: at('2026-02-28T10:00:00+01:00'), end: at('2026-03-01T10:00:00+01:00') }, 0)).toBe(1);
  });
});

describe('sum', () => {
  it('adds the days of several ready periods', () => {
    expect(sum([])).toBe(0);
    expect(sum([1, 2])).toBe(3);
  });
});
