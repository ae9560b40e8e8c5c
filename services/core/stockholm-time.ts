/** Calendar facts in Europe/Stockholm, the time zone every utklar day count is defined in. */
export const ZONE = 'Europe/Stockholm';

export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

const fmt = new Intl.DateTimeFormat('en-CA', {
  timeZone: ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

export function stockholmDate(epochMs: number): CalendarDate {
  const parts = fmt.formatToParts(new Date(epochMs));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  return { year: get('year'), month: get('month'), day: get('day') };
}

/** Days since 1970-01-01 for a calendar date (Avro `date`). */
export const epochDay = (d: CalendarDate): number => Math.round(Date.UTC(d.year, d.month - 1, d.day) / 86_400_000);

export const isoDate = (d: CalendarDate): string =>
  `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;

export function fromEpochDay(days: number): CalendarDate {
  const dt = new Date(days * 86_400_000);
  return { year: dt.getUTCFullYear(), month: dt.getUTCMonth() + 1, day: dt.getUTCDate() };
}

const timeFmt = new Intl.DateTimeFormat('en-GB', {
  timeZone: ZONE,
  hourCycle: 'h23',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

// Stockholm's offset only changes on whole UTC hours (and midnight falls on one), so every instant
// of a UTC hour lies on the same Stockholm day: the day is cached per hour (Intl is slow, and the
// clocks ask for days millions of times during a replay).
const dayByHour = new Map<number, number>();

/** The Stockholm calendar day of an instant, as days since 1970-01-01 (DST-proof day counting). */
export function stockholmDay(epochMs: number): number {
  const hour = Math.floor(epochMs / 3_600_000);
  let day = dayByHour.get(hour);
  if (day === undefined) {
    if (dayByHour.size > 200_000) dayByHour.clear();
    day = epochDay(stockholmDate(hour * 3_600_000));
    dayByHour.set(hour, day);
  }
  return day;
}

/**
 * Stockholm wall-clock time of day in milliseconds (what the 12:00 rule reads). On a DST switch
 * day this is the clock on the wall, not the time elapsed since midnight.
 */
export function stockholmTimeOfDayMs(epochMs: number): number {
  const parts = timeFmt.formatToParts(new Date(epochMs));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  return ((get('hour') * 60 + get('minute')) * 60 + get('second')) * 1000 + (((epochMs % 1000) + 1000) % 1000);
}

/** The instant a Stockholm calendar day starts (00:00 local; UTC+1 or UTC+2 depending on DST). */
export function stockholmMidnight(day: number): number {
  const utcMidnight = day * 86_400_000;
  // Stockholm is one or two hours ahead of UTC; midnight never falls inside a DST gap (02:00–03:00).
  for (const offsetHours of [1, 2]) {
    const candidate = utcMidnight - offsetHours * 3_600_000;
    if (stockholmDay(candidate) === day && stockholmTimeOfDayMs(candidate) === 0) return candidate;
  }
  throw new Error(`no Stockholm midnight found for day ${day}`);
}
