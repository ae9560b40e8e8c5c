import { describe, expect, it } from 'vitest';
import { epochDay, stockholmDay, stockholmMidnight, stockholmTimeOfDayMs } from '../../services/core/stockholm-time.ts';
import { Rng } from '../../services/simulator/rng.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (iso: string) => Date.parse(iso);
const day = (year: number, month: number, d: number) => epochDay({ year, month, day: d });

/**
 * An oracle independent of Intl: the EU rule (summer time from the last Sunday of March 01:00 UTC
 * to the last Sunday of October 01:00 UTC), Stockholm UTC+1 otherwise.
 */
const lastSundayUtc = (year: number, month0: number) => {
  const last = Date.UTC(year, month0 + 1, 0);
  return last - new Date(last).getUTCDay() * DAY;
};
const offsetMs = (t: number) => {
  const y = new Date(t).getUTCFullYear();
  const start = lastSundayUtc(y, 2) + HOUR;
  const end = lastSundayUtc(y, 9) + HOUR;
  return t >= start && t < end ? 2 * HOUR : HOUR;
};
const oracleDay = (t: number) => Math.floor((t + offsetMs(t)) / DAY);
const oracleTimeOfDay = (t: number) => (((t + offsetMs(t)) % DAY) + DAY) % DAY;

describe('stockholmDay', () => {
  it('gives the Stockholm calendar day as days since 1970-01-01', () => {
    expect(stockholmDay(at('1970-01-01T00:00:00+01:00'))).toBe(0);
    expect(stockholmDay(at('2026-02-01T00:00:00+01:00'))).toBe(day(2026, 2, 1));
    expect(stockholmDay(at('2026-02-01T23:59:59.999+01:00'))).toBe(day(2026, 2, 1));
    expect(stockholmDay(at('2026-02-02T00:00:00+01:00'))).toBe(day(2026, 2, 2));
  });

  it('changes day at local midnight, not at UTC midnight', () => {
    expect(stockholmDay(at('2026-01-31T23:30:00Z'))).toBe(day(2026, 2, 1)); // 00:30 CET
    expect(stockholmDay(at('2026-07-31T22:30:00Z'))).toBe(day(2026, 8, 1)); // 00:30 CEST
    expect(stockholmDay(at('2026-12-31T23:00:00Z'))).toBe(day(2027, 1, 1)); // New Year in Stockholm
    expect(stockholmDay(at('2026-12-31T22:59:59.999Z'))).toBe(day(2026, 12, 31));
  });

  it('agrees with an independent EU-rule oracle for random instants 2018-2030', () => {
    const rng = new Rng(20260329);
    const from = at('2018-01-01T00:00:00Z');
    const to = at('2031-01-01T00:00:00Z');
    for (let i = 0; i < 3000; i++) {
      const t = Math.floor(rng.uniform(from, to));
      expect(stockholmDay(t)).toBe(oracleDay(t));
    }
  });
});

describe('stockholmTimeOfDayMs (wall-clock time of day, what the 12:00 rule reads)', () => {
  it('is 0 at local midnight and one ms short of 24 h at the last ms of a day', () => {
    expect(stockholmTimeOfDayMs(at('2026-02-01T00:00:00+01:00'))).toBe(0);
    expect(stockholmTimeOfDayMs(at('2026-07-01T00:00:00+02:00'))).toBe(0);
    expect(stockholmTimeOfDayMs(at('2026-02-01T23:59:59.999+01:00'))).toBe(DAY - 1);
  });

  it('keeps milliseconds around noon', () => {
    expect(stockholmTimeOfDayMs(at('2026-02-01T11:59:59.999+01:00'))).toBe(12 * HOUR - 1);
    expect(stockholmTimeOfDayMs(at('2026-02-01T12:00:00.000+01:00'))).toBe(12 * HOUR);
    expect(stockholmTimeOfDayMs(at('2026-02-01T12:00:00.001+01:00'))).toBe(12 * HOUR + 1);
    expect(stockholmTimeOfDayMs(at('2026-07-01T12:00:00.000+02:00'))).toBe(12 * HOUR);
  });

  it('reads local wall-clock time on the 23-hour day (29 March 2026)', () => {
    expect(stockholmTimeOfDayMs(at('2026-03-29T01:59:59.999+01:00'))).toBe(2 * HOUR - 1);
    expect(stockholmTimeOfDayMs(at('2026-03-29T03:00:00+02:00'))).toBe(3 * HOUR); // the instant after 01:59:59.999 CET
    expect(stockholmTimeOfDayMs(at('2026-03-29T11:30:00+02:00'))).toBe(11.5 * HOUR);
    expect(stockholmTimeOfDayMs(at('2026-03-29T23:59:59.999+02:00'))).toBe(DAY - 1);
  });

  it('reads the repeated hour twice on the 25-hour day (25 October 2026)', () => {
    expect(stockholmTimeOfDayMs(at('2026-10-25T02:30:00+02:00'))).toBe(2.5 * HOUR);
    expect(stockholmTimeOfDayMs(at('2026-10-25T02:30:00+01:00'))).toBe(2.5 * HOUR);
    expect(stockholmTimeOfDayMs(at('2026-10-25T11:30:00+01:00'))).toBe(11.5 * HOUR);
  });

  it('handles instants before 1970 (negative epoch ms)', () => {
    // 1969-12-31T23:59:59.500Z is 00:59:59.500 CET on 1 Jan 1970.
    expect(stockholmTimeOfDayMs(-500)).toBe(HOUR - 500);
    expect(stockholmDay(-500)).toBe(0);
  });

  it('agrees with the EU-rule oracle for random instants 2018-2030', () => {
    const rng = new Rng(7);
    const from = at('2018-01-01T00:00:00Z');
    const to = at('2031-01-01T00:00:00Z');
    for (let i = 0; i < 3000; i++) {
      const t = Math.floor(rng.uniform(from, to));
      expect(stockholmTimeOfDayMs(t)).toBe(oracleTimeOfDay(t));
    }
  });
});

describe('stockholmMidnight', () => {
  it('is 23:00 UTC the day before in winter and 22:00 UTC in summer', () => {
    expect(stockholmMidnight(day(2026, 2, 1))).toBe(at('2026-01-31T23:00:00Z'));
    expect(stockholmMidnight(day(2026, 7, 1))).toBe(at('2026-06-30T22:00:00Z'));
    expect(stockholmMidnight(day(2027, 1, 1))).toBe(at('2027-01-01T00:00:00+01:00'));
  });

  it('makes 29 March 2026 a 23-hour day', () => {
    const start = stockholmMidnight(day(2026, 3, 29));
    const next = stockholmMidnight(day(2026, 3, 30));
    expect(start).toBe(at('2026-03-29T00:00:00+01:00'));
    expect(next).toBe(at('2026-03-30T00:00:00+02:00'));
    expect(next - start).toBe(23 * HOUR);
  });

  it('makes 25 October 2026 a 25-hour day', () => {
    const start = stockholmMidnight(day(2026, 10, 25));
    const next = stockholmMidnight(day(2026, 10, 26));
    expect(start).toBe(at('2026-10-25T00:00:00+02:00'));
    expect(next).toBe(at('2026-10-26T00:00:00+01:00'));
    expect(next - start).toBe(25 * HOUR);
  });

  it('for every day of 2026: starts the day, the ms before is the previous day, lengths are 24 h except the two switches', () => {
    const lengths = new Map<number, number>();
    for (let d = day(2026, 1, 1); d <= day(2026, 12, 31); d++) {
      const m = stockholmMidnight(d);
      expect(stockholmDay(m)).toBe(d);
      expect(stockholmTimeOfDayMs(m)).toBe(0);
      expect(stockholmDay(m - 1)).toBe(d - 1);
      const len = stockholmMidnight(d + 1) - m;
      if (len !== DAY) lengths.set(d, len);
    }
    expect(lengths).toEqual(
      new Map([
        [day(2026, 3, 29), 23 * HOUR],
        [day(2026, 10, 25), 25 * HOUR],
      ]),
    );
  });
});
