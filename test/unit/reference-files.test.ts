import { describe, expect, it } from 'vitest';
import { loadPopulation, parsePopulation } from '../../services/reference/population.ts';
import { parseCapacity } from '../../services/reference/capacity.ts';
import { epochDay } from '../../services/core/stockholm-time.ts';

describe('population files (SCB figures per municipality and year)', () => {
  it('loads the bundled figures and nothing else: 65+ and total on 31 Dec 2022, totals on 31 Dec 2021–2025', () => {
    const p = loadPopulation();
    expect(p.get('1880', 2022)).toEqual({ pop65: expect.any(Number), total: expect.any(Number) });
    expect(p.get('1880', 2022)!.pop65).toBeGreaterThan(20_000);
    expect(p.get('1880', 2023)).toEqual({ pop65: null, total: expect.any(Number) });
    expect(p.get('1880', 2020)).toBeUndefined();
    expect(p.get('1880', 2026)).toBeUndefined();
    expect(p.rows.length).toBe(290 * 5);
  });

  it('names the file and line of a bad row', () => {
    expect(() => parsePopulation('kommunkod,kommun,year,pop65,pop_total\n1880,Örebro,2023,30000,160000\n9999,X,2023,1,2\n', 'population-2023.csv')).toThrow('population-2023.csv:3: \'9999\' is not a kommunkod');
    expect(() => parsePopulation('kod,namn\n', 'p.csv')).toThrow(/^p.csv:1: expected the header 'kommunkod,kommun,year,pop65,pop_total' or 'kommunkod,kommun,year,pop_total'/);
  });
});

describe('capacity files (available beds per ward and day)', () => {
  it('reads beds, and överbeläggningar and utlokaliserade when given', () => {
    const rows = parseCapacity('hospital,ward,date,beds,overcrowded,outlying\nUSO,Med 1,2023-03-01,24,2,1\n', 'capacity-x.csv', 7);
    expect(rows).toEqual([{ hospital: 'USO', ward: 'Med 1', day: epochDay({ year: 2023, month: 3, day: 1 }), beds: 24, overcrowded: 2, outlying: 1, version: 7 }]);
    expect(parseCapacity('hospital,ward,date,beds\nUSO,Med 1,2023-03-01,24\n', 'c.csv', 1)[0]).toMatchObject({ overcrowded: 0, outlying: 0 });
    expect(() => parseCapacity('hospital,ward,date,beds\nUSO,Med 1,1 March,24\n', 'c.csv', 1)).toThrow("c.csv:2: date '1 March' is not YYYY-MM-DD");
  });
});
