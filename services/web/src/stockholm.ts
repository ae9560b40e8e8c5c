/** Stockholm calendar days in the browser, the same numbering as the server (days since 1970-01-01). */
const fmt = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Stockholm', year: 'numeric', month: '2-digit', day: '2-digit' });

export function stockholmDay(ms: number): number {
  const [y, m, d] = fmt.format(new Date(ms)).split('-').map(Number) as [number, number, number];
  return Math.round(Date.UTC(y, m - 1, d) / 86_400_000);
}

export const isoDay = (day: number): string => new Date(day * 86_400_000).toISOString().slice(0, 10);

const timeFmt = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm', dateStyle: 'short', timeStyle: 'short' });
export const stockholmTime = (ms: number): string => timeFmt.format(new Date(ms));

/** Delay bands as on the server (services/clock/delay-band.ts). */
export function band(days: number): string {
  if (days <= 0) return '0';
  if (days === 1) return '1';
  if (days <= 3) return '2-3';
  if (days <= 6) return '4-6';
  if (days <= 13) return '7-13';
  if (days <= 20) return '14-20';
  return '21+';
}
