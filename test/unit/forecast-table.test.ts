import { describe, expect, it } from 'vitest';
import { cellText, forecastGrid, totalText, type ForecastRow } from '../../services/web/src/forecast-table.ts';

const sv = (x: number, min = 0, max = min) => new Intl.NumberFormat('sv-SE', { minimumFractionDigits: min, maximumFractionDigits: max }).format(x);
const en = (x: number, min = 0, max = min) => new Intl.NumberFormat('en-GB', { minimumFractionDigits: min, maximumFractionDigits: max }).format(x);
const row = (municipality: string, day: string, expected: number, band90Low = 0, band90High = 0): ForecastRow => ({ municipality, day, expected, median: Math.round(expected), band90Low, band90High, openEpisodes: 3 });
const NAMES: Record<string, string> = { '1880': 'Örebro', '1881': 'Kumla', '1861': 'Hallsberg' };
const byName = (a: string, b: string) => NAMES[a]!.localeCompare(NAMES[b]!, 'sv');

describe('the board\'s forecast panel as a table (services/web/src/forecast-table.ts)', () => {
  it('writes the expected count with one decimal and the 90 % band, in the page\'s number format', () => {
    expect(cellText({ expected: 2.4, band90Low: 1, band90High: 5 }, sv)).toBe('2,4 (1–5)');
    expect(cellText({ expected: 2.4, band90Low: 1, band90High: 5 }, en)).toBe('2.4 (1–5)');
    expect(cellText({ expected: 3, band90Low: 3, band90High: 3 }, sv)).toBe('3,0 (3–3)');
    expect(cellText({ expected: 0, band90Low: 0, band90High: 0 }, sv)).toBe('0,0 (0–0)');
    // Rounded, never cut: 14.48 → 14,5; a band in the thousands with the Swedish (non-breaking) space.
    expect(cellText({ expected: 14.48, band90Low: 10, band90High: 1200 }, sv)).toBe('14,5 (10–1\u00a0200)');
    expect(totalText(5.55, sv)).toBe('5,6');
  });

  it('lays the rows out municipality × day, by name, with each municipality\'s week and each day\'s total', () => {
    const rows = [
      row('1880', '2026-03-03', 1.2, 0, 3), row('1880', '2026-03-02', 0.1, 0, 1),
      row('1881', '2026-03-02', 0.2, 0, 1), row('1881', '2026-03-03', 2, 1, 4),
      row('1861', '2026-03-02', 0, 0, 0), row('1861', '2026-03-03', 0.7, 0, 2),
    ];
    const g = forecastGrid(rows, byName);
    expect(g.days).toEqual(['2026-03-02', '2026-03-03']);
    expect(g.municipalities.map((m) => m.code)).toEqual(['1861', '1881', '1880']);
    expect(g.municipalities.map((m) => m.cells.map((c) => c?.expected))).toEqual([[0, 0.7], [0.2, 2], [0.1, 1.2]]);
    // 0.1 + 0.2 is 0.30000000000000004 in floating point: the sums keep the API's two decimals.
    expect(g.dayTotals).toEqual([0.3, 3.9]);
    expect(g.municipalities.map((m) => m.expected)).toEqual([0.7, 2.2, 1.3]);
    expect(g.total).toBe(4.2);
  });

  it('leaves a day a municipality has no row for empty, and an empty answer empty', () => {
    const g = forecastGrid([row('1880', '2026-03-02', 1), row('1881', '2026-03-03', 2)], byName);
    expect(g.municipalities.map((m) => m.cells.map((c) => c?.day ?? null))).toEqual([[null, '2026-03-03'], ['2026-03-02', null]]);
    expect(g.dayTotals).toEqual([1, 2]);
    expect(forecastGrid([], byName)).toEqual({ days: [], municipalities: [], dayTotals: [], total: 0 });
  });
});
