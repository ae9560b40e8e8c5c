/**
 * The board's forecast panel as a table: GET /api/v1/forecast's rows (per recipient municipality
 * and day, services/forecast/forecast-route.ts) laid out municipality × day, with the day totals.
 * Pure (no DOM, no page language): the number format is passed in, so it is tested in Node.
 */
/** The forecast moves by the day, and each answer reads the model's 90-day window from ClickHouse: every few minutes is enough. */
export const FORECAST_REFRESH_MS = 5 * 60_000;

export interface ForecastRow {
  municipality: string;
  day: string;
  expected: number;
  median: number;
  band90Low: number;
  band90High: number;
  openEpisodes: number;
}

export interface ForecastGrid {
  days: string[];
  municipalities: { code: string; cells: (ForecastRow | null)[]; expected: number }[];
  /** Per day, the sum of the expected counts. */
  dayTotals: number[];
  total: number;
}

export type NumberFormat = (x: number, minFraction?: number, maxFraction?: number) => string;

// Sums of two-decimal values drift (0.1 + 0.2): keep what the API's precision holds.
const sum = (xs: number[]) => Math.round(xs.reduce((s, x) => s + x, 0) * 100) / 100;

/** `byName` orders the municipalities (the board's selector orders them by name). */
export function forecastGrid(rows: ForecastRow[], byName: (a: string, b: string) => number): ForecastGrid {
  const days = [...new Set(rows.map((r) => r.day))].sort();
  const codes = [...new Set(rows.map((r) => r.municipality))].sort(byName);
  const at = new Map(rows.map((r) => [`${r.municipality} ${r.day}`, r]));
  const municipalities = codes.map((code) => {
    const cells = days.map((d) => at.get(`${code} ${d}`) ?? null);
    return { code, cells, expected: sum(cells.map((c) => c?.expected ?? 0)) };
  });
  const dayTotals = days.map((_, i) => sum(municipalities.map((m) => m.cells[i]?.expected ?? 0)));
  return { days, municipalities, dayTotals, total: sum(dayTotals) };
}

/** "2,4 (1–5)": the expected count with one decimal and the 90 % band in whole patients. */
export function cellText(r: Pick<ForecastRow, 'expected' | 'band90Low' | 'band90High'>, number: NumberFormat): string {
  return `${number(r.expected, 1)} (${number(r.band90Low)}–${number(r.band90High)})`;
}

/**
 * A sum of expected counts, one decimal. The total carries no band: the quantiles of a sum are
 * not the sums of the quantiles, and the API gives no joint distribution.
 */
export const totalText = (x: number, number: NumberFormat): string => number(x, 1);
