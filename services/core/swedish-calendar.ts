import { epochDay, fromEpochDay } from './stockholm-time.ts';

/**
 * Sweden's public holidays (lag (1989:253) om allmänna helgdagar), computed for any year so
 * nobody has to extend a list each December. Easter by the Gregorian computus; the movable
 * Saturdays (midsommardagen, alla helgons dag) by their statutory windows.
 */
export function swedishPublicHolidays(year: number): Map<number, string> {
  const d = (month: number, day: number) => epochDay({ year, month, day });
  const easter = easterSunday(year);
  /** The Saturday in the seven days from `from` (20–26 June; 31 October – 6 November). */
  const saturdayFrom = (month: number, from: number) => {
    const first = d(month, from);
    // Epoch day 0 (1970-01-01) was a Thursday; Saturday is 2 days later.
    return first + ((2 - (first % 7) + 7) % 7);
  };
  return new Map<number, string>([
    [d(1, 1), 'nyårsdagen'],
    [d(1, 6), 'trettondedag jul'],
    [easter - 2, 'långfredagen'],
    [easter, 'påskdagen'],
    [easter + 1, 'annandag påsk'],
    [d(5, 1), 'första maj'],
    [easter + 39, 'Kristi himmelsfärdsdag'],
    [easter + 49, 'pingstdagen'],
    [d(6, 6), 'Sveriges nationaldag'],
    [saturdayFrom(6, 20), 'midsommardagen'],
    [saturdayFrom(10, 31), 'alla helgons dag'],
    [d(12, 25), 'juldagen'],
    [d(12, 26), 'annandag jul'],
  ]);
}

/**
 * Days that are not public holidays but on which offices are closed all the same, as banks and
 * the Government Offices treat them (and collective agreements make them days off): midsommarafton,
 * julafton and nyårsafton. A "working day" that fell on one of them would freeze an invoice while
 * nobody could look at it.
 */
export function swedishEves(year: number): Map<number, string> {
  const midsommar = [...swedishPublicHolidays(year)].find(([, n]) => n === 'midsommardagen')![0];
  return new Map<number, string>([
    [midsommar - 1, 'midsommarafton'],
    [epochDay({ year, month: 12, day: 24 }), 'julafton'],
    [epochDay({ year, month: 12, day: 31 }), 'nyårsafton'],
  ]);
}

const cache = new Map<number, Set<number>>();
function daysOff(year: number): Set<number> {
  let s = cache.get(year);
  if (!s) {
    s = new Set([...swedishPublicHolidays(year).keys(), ...swedishEves(year).keys()]);
    cache.set(year, s);
  }
  return s;
}

/** Monday–Friday, neither a public holiday nor one of the eves offices close on. */
export function isSwedishWorkingDay(day: number): boolean {
  const weekday = (day + 3) % 7; // 0 = Monday (epoch day 0 was a Thursday)
  if (weekday >= 5) return false;
  return !daysOff(fromEpochDay(day).year).has(day);
}

/** The n-th (1-based) working day of a month, as an epoch day. */
export function nthWorkingDay(year: number, month: number, n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 15) throw new RangeError(`nthWorkingDay: n must be 1–15, got ${n}`);
  let day = epochDay({ year, month, day: 1 });
  for (let seen = 0; ; day++) {
    if (isSwedishWorkingDay(day) && ++seen === n) return day;
  }
}

/** Easter Sunday of a Gregorian year (the anonymous Gregorian algorithm), as an epoch day. */
export function easterSunday(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return epochDay({ year, month, day });
}
