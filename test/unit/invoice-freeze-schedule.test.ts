import { describe, expect, it } from 'vitest';
import { epochDay, isoDate, fromEpochDay } from '../../services/core/stockholm-time.ts';
import { easterSunday, isSwedishWorkingDay, nthWorkingDay, swedishEves, swedishPublicHolidays } from '../../services/core/swedish-calendar.ts';
import { freezeDeadline, monthsDue } from '../../services/invoices/freeze-schedule.ts';

const iso = (day: number) => isoDate(fromEpochDay(day));
const day = (s: string) => {
  const [year, month, d] = s.split('-').map(Number);
  return epochDay({ year: year!, month: month!, day: d! });
};
const month = (label: string) => {
  const [y, m] = label.split('-').map(Number);
  const fromDay = epochDay({ year: y!, month: m!, day: 1 });
  const toDay = epochDay({ year: m === 12 ? y! + 1 : y!, month: m === 12 ? 1 : m! + 1, day: 1 }) - 1;
  return { fromDay, toDay, label };
};

describe('Swedish public holidays, computed for any year', () => {
  it('Easter Sunday by the computus (published dates)', () => {
    const known = { 2000: '2000-04-23', 2024: '2024-03-31', 2025: '2025-04-20', 2026: '2026-04-05', 2027: '2027-03-28', 2038: '2038-04-25', 2285: '2285-03-22' };
    for (const [year, date] of Object.entries(known)) expect(iso(easterSunday(Number(year)))).toBe(date);
  });

  it('2026 in full, as the almanac has it', () => {
    const got = [...swedishPublicHolidays(2026)].map(([d, name]) => `${iso(d)} ${name}`).sort();
    expect(got).toEqual([
      '2026-01-01 nyårsdagen', '2026-01-06 trettondedag jul', '2026-04-03 långfredagen', '2026-04-05 påskdagen', '2026-04-06 annandag påsk',
      '2026-05-01 första maj', '2026-05-14 Kristi himmelsfärdsdag', '2026-05-24 pingstdagen', '2026-06-06 Sveriges nationaldag',
      '2026-06-20 midsommardagen', '2026-10-31 alla helgons dag', '2026-12-25 juldagen', '2026-12-26 annandag jul',
    ]);
    expect([...swedishEves(2026)].map(([d, n]) => `${iso(d)} ${n}`)).toEqual(['2026-06-19 midsommarafton', '2026-12-24 julafton', '2026-12-31 nyårsafton']);
  });

  it('the movable Saturdays at both ends of their windows', () => {
    const named = (year: number, name: string) => iso([...swedishPublicHolidays(year)].find(([, n]) => n === name)![0]);
    expect(named(2025, 'midsommardagen')).toBe('2025-06-21');
    expect(named(2027, 'midsommardagen')).toBe('2027-06-26'); // last day of 20–26 June
    expect(named(2015, 'midsommardagen')).toBe('2015-06-20'); // first day
    expect(named(2025, 'alla helgons dag')).toBe('2025-11-01');
    expect(named(2027, 'alla helgons dag')).toBe('2027-11-06'); // last day of 31 Oct – 6 Nov
  });

  it('working days: weekdays that are neither holidays nor the eves offices close on', () => {
    expect(isSwedishWorkingDay(day('2026-12-07'))).toBe(true); // Monday
    expect(isSwedishWorkingDay(day('2026-12-05'))).toBe(false); // Saturday
    expect(isSwedishWorkingDay(day('2027-01-06'))).toBe(false); // trettondedag jul, a Wednesday
    expect(isSwedishWorkingDay(day('2026-06-19'))).toBe(false); // midsommarafton
    expect(isSwedishWorkingDay(day('2026-12-24'))).toBe(false); // julafton, a Thursday
    expect(isSwedishWorkingDay(day('2026-05-14'))).toBe(false); // Kristi himmelsfärd
  });
});

describe('when a month\'s invoice basis freezes (the end of the fifth working day of the next month)', () => {
  it('counts working days past weekends and holidays', () => {
    expect(iso(nthWorkingDay(2026, 12, 5))).toBe('2026-12-07'); // Tue 1st: Tue–Fri, then Monday
    expect(iso(nthWorkingDay(2027, 1, 5))).toBe('2027-01-11'); // nyårsdagen Friday, trettondedag Wednesday
    expect(iso(nthWorkingDay(2026, 4, 5))).toBe('2026-04-09'); // långfredagen and annandag påsk
    expect(iso(nthWorkingDay(2026, 5, 5))).toBe('2026-05-08'); // första maj a Friday
    expect(iso(nthWorkingDay(2026, 11, 1))).toBe('2026-11-02'); // the 1st a Sunday
    expect(() => nthWorkingDay(2026, 11, 0)).toThrow(RangeError);
  });

  it('at Stockholm midnight after that day, in winter and in summer time', () => {
    expect(new Date(freezeDeadline(month('2026-11'), 5)).toISOString()).toBe('2026-12-07T23:00:00.000Z');
    expect(new Date(freezeDeadline(month('2026-03'), 5)).toISOString()).toBe('2026-04-09T22:00:00.000Z');
    expect(new Date(freezeDeadline(month('2026-12'), 5)).toISOString()).toBe('2027-01-11T23:00:00.000Z');
    // Across the October change: the deadline for September 2026 is the night to Wednesday 8 October.
    expect(new Date(freezeDeadline(month('2026-09'), 5)).toISOString()).toBe('2026-10-07T22:00:00.000Z');
  });

  it('the month just passed is due from its deadline on, not a second earlier', () => {
    expect(monthsDue(Date.parse('2026-12-07T22:59:59.999Z'), 5, null)).toEqual([]);
    expect(monthsDue(Date.parse('2026-12-07T23:00:00.000Z'), 5, null).map((m) => m.label)).toEqual(['2026-11']);
    expect(monthsDue(Date.parse('2026-12-31T22:59:59.000Z'), 5, null).map((m) => m.label)).toEqual(['2026-11']);
    // New Year's night in Stockholm: December is the month just passed, its deadline the end of 11 January.
    expect(monthsDue(Date.parse('2026-12-31T23:00:00.000Z'), 5, null)).toEqual([]);
    expect(monthsDue(Date.parse('2027-01-11T22:59:59.000Z'), 5, null)).toEqual([]);
    expect(monthsDue(Date.parse('2027-01-11T23:00:00.000Z'), 5, null).map((m) => m.label)).toEqual(['2026-12']);
  });

  it('with a first month, every month since then whose deadline passed, at most two years back', () => {
    expect(monthsDue(Date.parse('2026-12-06T12:00:00Z'), 5, '2026-10').map((m) => m.label)).toEqual(['2026-10']);
    const back = monthsDue(Date.parse('2026-12-06T12:00:00Z'), 5, '2020-01').map((m) => m.label);
    expect(back[0]).toBe('2024-12');
    expect(back.at(-1)).toBe('2026-10');
    expect(back).toHaveLength(23);
    const m = monthsDue(Date.parse('2026-12-08T12:00:00Z'), 1, '2026-02')[0]!;
    expect([iso(m.fromDay), iso(m.toDay)]).toEqual(['2026-02-01', '2026-02-28']);
  });
});
