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
