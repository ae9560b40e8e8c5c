import { describe, expect, it } from 'vitest';
import { epochDay, fromEpochDay, isoDate, stockholmDate } from '../../services/core/stockholm-time.ts';

const at = (iso: string) => isoDate(stockholmDate(Date.parse(iso)));

describe('stockholmDate', () => {
  it('switches day at 23:00 UTC in winter (CET)', () => {
    expect(at('2026-02-01T22:59:59.999Z')).toBe('2026-02-01');
    expect(at('2026-02-01T23:00:00Z')).toBe('2026-02-02');
  });

  it('switches day at 22:00 UTC in summer (CEST)', () => {
    expect(at('2026-07-01T21:59:59.999Z')).toBe('2026-07-01');
    expect(at('2026-07-01T22:00:00Z')).toBe('2026-07-02');
  });

  it('handles the spring-forward day 2026-03-29 (02:00 CET -> 03:00 CEST)', () => {
    expect(at('2026-03-28T22:59:59Z')).toBe('2026-03-28');
    expect(at('2026-03-28T23:00:00Z')).toBe('2026-03-29'); // midnight before the switch is still CET
    expect(at('2026-03-29T00:59:59Z')).toBe('2026-03-29'); // 01:59:59 CET
    expect(at('2026-03-29T01:00:00Z')).toBe('2026-03-29'); // 03:00 CEST
    expect(at('2026-03-29T21:59:59Z')).toBe('2026-03-29');
    expect(at('2026-03-29T22:00:00Z')).toBe('2026-03-30'); // next midnight is CEST
  });

  it('handles the fall-back day 2026-10-25 (03:00 CEST -> 02:00 CET)', () => {
    expect(at('2026-10-24T21:59:59Z')).toBe('2026-10-24');
    expect(at('2026-10-24T22:00:00Z')).toBe('2026-10-25'); // midnight is still CEST
    expect(at('2026-10-25T00:30:00Z')).toBe('2026-10-25'); // 02:30 CEST
    expect(at('2026-10-25T01:30:00Z')).toBe('2026-10-25'); // 02:30 CET (the repeated hour)
    expect(at('2026-10-25T22:59:59Z')).toBe('2026-10-25');
    expect(at('2026-10-25T23:00:00Z')).toBe('2026-10-26'); // next midnight is CET
  });

  it('rolls over the year at 23:00 UTC on New Year\'s Eve', () => {
    expect(stockholmDate(Date.parse('2025-12-31T22:59:59Z'))).toEqual({ year: 2025, month: 12, day: 31 });
    expect(stockholmDate(Date.parse('2025-12-31T23:00:00Z'))).toEqual({ year: 2026, month: 1, day: 1 });
  });

  it('returns numbers, not strings', () => {
    const d = stockholmDate(Date.parse('2026-01-05T12:00:00Z'));
    expect(d).toStrictEqual({ year: 2026, month: 1, day: 5 });
  });
});

describe('epochDay / fromEpochDay', () => {
  it('counts days since 1970-01-01', () => {
    expect(epochDay({ year: 1970, month: 1, day: 1 })).toBe(0);
    expect(epochDay({ year: 1970, month: 1, day: 2 })).toBe(1);
    expect(epochDay({ year: 1969, month: 12, day: 31 })).toBe(-1);
    expect(epochDay({ year: 2026, month: 2, day: 4 })).toBe(20488);
    expect(fromEpochDay(20488)).toEqual({ year: 2026, month: 2, day: 4 });
  });

  it('round-trips every day from 1900 to 2100, including leap days', () => {
    const start = epochDay({ year: 1900, month: 1, day: 1 });
    const end = epochDay({ year: 2100, month: 12, day: 31 });
    let leapDays = 0;
    const mismatches: number[] = [];
    for (let n = start; n <= end; n++) {
      const d = fromEpochDay(n);
      if (d.month === 2 && d.day === 29) leapDays++;
      if (epochDay(d) !== n) mismatches.push(n);
    }
    expect(mismatches).toEqual([]);
    expect(end - start + 1).toBe(201 * 365 + leapDays);
    expect(leapDays).toBe(49); // 1904..2096 by 4 (2000 included), not 1900 and 2100
  });

  it('isoDate pads month and day', () => {
    expect(isoDate({ year: 2026, month: 3, day: 7 })).toBe('2026-03-07');
  });
});
