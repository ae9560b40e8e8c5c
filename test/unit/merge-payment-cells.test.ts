import { describe, expect, it } from 'vitest';
import { mergePaymentCells } from '../../services/indicators/payment-sql.ts';

// As ClickHouse answers in JSONEachRow: 64-bit integers quoted.
const cell = (kommun: string, invoiced: number, episodes: number, days: number, first: number, years: [number, number][]) => ({
  region: '18', kommun, care: 'somatic', invoiced, day_zero: 0, stretch: 0,
  episodes: String(episodes), days: String(days), first_day: first, by_year: [years.map(([y]) => y), years.map(([, n]) => String(n))],
});

describe('mergePaymentCells: a generation\'s cells plus the changed episodes\' signed delta', () => {
  it('adds the delta cell by cell, a moved episode leaving one cell and entering another', () => {
    const generation = [cell('1880', 1, 3, 12, 20400, [[2025, 9]]), cell('1881', 1, 1, 2, 20405, [[2025, 1]])];
    // One episode of 1880 (4 days, 3 billable) moved to 1881 with 5 days, 4 billable.
    const delta = [cell('1880', 1, -1, -4, 2 ** 32, [[2025, -3]]), cell('1881', 1, 1, 5, 20410, [[2025, 4]])];
    const merged = mergePaymentCells(generation, delta);
    expect(merged.map((r) => [r.kommun, r.episodes, r.days, r.first_day, r.by_year])).toEqual([
      ['1880', 2, 8, 20400, [[2025], [6]]],
      ['1881', 2, 7, 20405, [[2025], [5]]],
    ]);
  });

  it('drops a cell whose episodes are all taken back, and a year left with no billable day', () => {
    const generation = [cell('1880', 0, 1, 3, 20300, [[2024, 1], [2025, 2]]), cell('1881', 1, 2, 4, 20401, [])];
    const delta = [cell('1880', 0, -1, -3, 2 ** 32, [[2024, -1], [2025, -2]]), cell('1881', 1, 0, 0, 20402, [[2024, 1], [2024, -1]])];
    const merged = mergePaymentCells(generation, delta);
    expect(merged.map((r) => [r.kommun, r.episodes, r.days, r.by_year])).toEqual([['1881', 2, 4, [[], []]]]);
  });

  it('keeps a cell only the delta brings, and an earlier first day from the delta; a cell it does not touch as it came', () => {
    const untouched = cell('1882', 1, 4, 9, 20402, [[2025, 9]]);
    const merged = mergePaymentCells([cell('1880', 1, 1, 1, 20420, []), untouched], [cell('1880', 1, 1, 2, 20401, [[2025, 2]]), cell('0180', 1, 1, 6, 20399, [[2025, 6]])]);
    expect(merged.map((r) => [r.kommun, r.episodes, r.first_day, r.by_year])).toEqual([['1880', 2, 20401, [[2025], [2]]], ['1882', '4', 20402, [[2025], ['9']]], ['0180', 1, 20399, [[2025], [6]]]]);
    expect(merged[1]).toBe(untouched);
  });
});
