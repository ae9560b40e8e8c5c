import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { perThousandRows } from '../../services/indicators/per-thousand.ts';
import { loadPopulation, mergePopulation, parsePopulation, PopulationTable, wantedYear } from '../../services/reference/population.ts';

// The bundled figures, read here without the loader: Örebro and Kumla on 31 Dec.
const csv = (name: string) => readFileSync(new URL(`../../services/reference/${name}`, import.meta.url), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
const totals = new Map(csv('population-total-2021-2025.csv').map(([k, , y, t]) => [`${k}|${y}`, Number(t)]));
const wide = new Map(csv('population-2022-12-31.csv').map(([k, , y, p65, t]) => [`${k}|${y}`, { pop65: Number(p65), total: Number(t) }]));

describe('the bundled population files (SCB, every file in services/reference)', () => {
  const p = loadPopulation();

  it('has the total of all 290 municipalities on 31 Dec 2021–2025 and 65+ for 2022 only', () => {
    expect(p.years('total')).toEqual([2021, 2022, 2023, 2024, 2025]);
    expect(p.years('65+')).toEqual([2022]);
    expect(p.rows.length).toBe(290 * 5);
    expect(p.get('1880', 2022)).toEqual({ pop65: 29335, total: 158057 });
    expect(p.get('1880', 2025)).toEqual({ pop65: null, total: 160687 });
    expect(p.get('1880', 2026)).toBeUndefined();
  });

  it('sums to SCB\'s national totals, and the two files agree on 2022', () => {
    const national = (y: number) => p.rows.filter((r) => r.year === y).reduce((s, r) => s + r.pop_total, 0);
    expect([2021, 2022, 2023, 2024, 2025].map(national)).toEqual([10_452_326, 10_521_556, 10_551_707, 10_587_710, 10_605_520]);
    expect(p.rows.filter((r) => r.year === 2022).reduce((s, r) => s + r.pop65!, 0)).toBe(2_147_137);
    for (const [key, w] of wide) expect(totals.get(key)).toBe(w.total);
  });
});

describe('which 31 December a per-1 000 answer divides by', () => {
  const p = loadPopulation();

  it('per 1 000 invånare (total): the period\'s own year when loaded', () => {
    expect(wantedYear('total', 2022)).toBe(2022);
    expect(p.choose('total', 2022)).toMatchObject({ denominator: 'total', wantedYear: 2022, year: 2022, latestAvailable: false, label: 'befolkning 31 dec 2022' });
    expect(p.choose('total', 2025)).toMatchObject({ year: 2025, latestAvailable: false });
    expect(p.choose('total', 2022).note).not.toMatch(/latest/);
  });

  it('a period in 2026 uses the 2025 totals and says so', () => {
    const c = p.choose('total', 2026);
    expect(c).toMatchObject({ wantedYear: 2026, year: 2025, latestAvailable: true, label: 'befolkning 31 dec 2025, senaste tillgängliga' });
    expect(c.note).toBe('per 1 000 invånare (Region Örebro): denominator the total population on 31 Dec 2025 (SCB), the latest available: 31 Dec 2026 is not loaded');
    expect(p.choose('total', 2031)).toMatchObject({ year: 2025, latestAvailable: true });
  });

  it('per 1 000 inv 65+: 31 Dec of the year before (Väntetider.se); for any later year the 2022 figures, said', () => {
    expect(wantedYear('65+', 2023)).toBe(2022);
    expect(p.choose('65+', 2023)).toMatchObject({ denominator: '65+', wantedYear: 2022, year: 2022, latestAvailable: false, label: 'befolkning 65+ 31 dec 2022' });
    for (const y of [2024, 2025, 2026, 2027, 2040]) {
      const c = p.choose('65+', y);
      expect(c).toMatchObject({ wantedYear: y - 1, year: 2022, latestAvailable: true, label: 'befolkning 65+ 31 dec 2022, senaste tillgängliga' });
      expect(c.note).toBe(`per 1 000 inv 65+ (Väntetider.se): denominator the population aged 65+ on 31 Dec 2022 (SCB), the latest available: 31 Dec ${y - 1} is not loaded`);
    }
  });

  it('never a later year, never an estimate: nothing loaded that early is null, and said', () => {
    // 65+ for a 2022 period needs 31 Dec 2021; the 2022 figure is later, so not used.
    expect(p.choose('65+', 2022)).toMatchObject({ wantedYear: 2021, year: null, latestAvailable: false, label: 'befolkning 65+ 31 dec 2021 saknas' });
    expect(p.choose('65+', 2022).note).toMatch(/not loaded, nor any earlier year's: the values are null, not estimated/);
    expect(p.choose('total', 2020)).toMatchObject({ year: null, label: 'befolkning 31 dec 2020 saknas' });
  });
});

describe('per 1 000 invånare (total) and per 1 000 inv 65+ from the same sums', () => {
  const p = loadPopulation();
  const sums = [
    { kommun: '1880', careType: 'SOMATIC', days: 120, episodes: 30 },
    { kommun: '1881', careType: 'SOMATIC', days: 7, episodes: 2 },
  ];

  it('a period in 2026: totals of 31 Dec 2025 and 65+ of 31 Dec 2022, each said in the notes and populations', () => {
    const r = perThousandRows(sums, p, 2026);
    const t = totals.get('1880|2025')!;
    const o = wide.get('1880|2022')!.pop65;
    expect(r.rows[0]).toEqual({
      kommun: '1880', name: 'Örebro', careType: 'SOMATIC', days: 120, episodes: 30,
      populationTotal: t, populationTotalYear: 2025, daysPer1000Inv: (120 / t) * 1000, episodesPer1000Inv: (30 / t) * 1000,
      population65: o, population65Year: 2022, daysPer1000Inv65: (120 / o) * 1000, episodesPer1000Inv65: (30 / o) * 1000,
    });
    expect(r.rows[1]).toMatchObject({ kommun: '1881', populationTotal: totals.get('1881|2025'), population65: wide.get('1881|2022')!.pop65 });
    expect(r.notes).toContain('per 1 000 invånare (Region Örebro): denominator the total population on 31 Dec 2025 (SCB), the latest available: 31 Dec 2026 is not loaded');
    expect(r.notes).toContain('per 1 000 inv 65+ (Väntetider.se): denominator the population aged 65+ on 31 Dec 2022 (SCB), the latest available: 31 Dec 2025 is not loaded');
    expect(r.populations).toEqual([
      { denominator: 'total', wantedYear: 2026, year: 2025, latestAvailable: true, label: 'befolkning 31 dec 2025, senaste tillgängliga' },
      { denominator: '65+', wantedYear: 2025, year: 2022, latestAvailable: true, label: 'befolkning 65+ 31 dec 2022, senaste tillgängliga' },
    ]);
  });

  it('a period in 2022: the 2022 totals; 65+ of 31 Dec 2021 is not loaded, so null and said', () => {
    const r = perThousandRows(sums, p, 2022);
    const t = totals.get('1880|2022')!;
    expect(r.rows[0]).toMatchObject({ populationTotal: t, populationTotalYear: 2022, daysPer1000Inv: (120 / t) * 1000, population65: null, population65Year: null, daysPer1000Inv65: null, episodesPer1000Inv65: null });
    expect(r.populations.map((u) => [u.denominator, u.year, u.latestAvailable])).toEqual([['total', 2022, false], ['65+', null, false]]);
    expect(r.notes.some((n) => /65\+ on 31 Dec 2021 \(SCB\) is not loaded/.test(n))).toBe(true);
  });

  it('a period in 2023: the 2023 totals and the 2022 65+ figures, both the rule\'s own year', () => {
    const r = perThousandRows(sums, p, 2023);
    expect(r.rows[0]).toMatchObject({ populationTotal: totals.get('1880|2023'), populationTotalYear: 2023, population65: wide.get('1880|2022')!.pop65, population65Year: 2022 });
    expect(r.populations.every((u) => !u.latestAvailable)).toBe(true);
  });

  it('one year for the whole answer: a municipality without a figure that year is null and named, not given another year\'s', () => {
    const partial = new PopulationTable([
      { kommunkod: '1880', year: 2026, pop65: null, pop_total: 161_000 },
      { kommunkod: '1880', year: 2025, pop65: null, pop_total: 160_687 },
      { kommunkod: '1881', year: 2025, pop65: null, pop_total: 22_665 },
    ]);
    const r = perThousandRows(sums, partial, 2026);
    expect(r.rows[0]).toMatchObject({ populationTotal: 161_000, populationTotalYear: 2026 });
    expect(r.rows[1]).toMatchObject({ populationTotal: null, populationTotalYear: 2026, daysPer1000Inv: null, episodesPer1000Inv: null });
    expect(r.notes).toContain('total population on 31 Dec 2026 is not loaded for 1881: their values are null, not estimated');
  });
});

describe('population files: both shapes, merged per municipality and year', () => {
  it('reads the long form (total only) with pop65 null, and names the line of a bad row', () => {
    expect(parsePopulation('kommunkod,kommun,year,pop_total\n1880,Örebro,2024,160140\n', 'population-total.csv')).toEqual([{ kommunkod: '1880', year: 2024, pop65: null, pop_total: 160140 }]);
    expect(() => parsePopulation('kommunkod,kommun,year,pop_total\n1880,Örebro,2024,160140,1\n', 'p.csv')).toThrow('p.csv:2: expected 4 columns, got 5');
    expect(() => parsePopulation('kommunkod,kommun,year,pop_total\n1880,Örebro,2024,ca 160000\n', 'p.csv')).toThrow('p.csv:2: populations must be whole numbers');
  });

  it('joins 65+ and total of the same year from two files; a figure given twice must agree', () => {
    const a = parsePopulation('kommunkod,kommun,year,pop_total\n1880,Örebro,2022,158057\n', 'population-total.csv');
    const b = parsePopulation('kommunkod,kommun,year,pop65,pop_total\n1880,Örebro,2022,29335,158057\n', 'population-2022.csv');
    expect(mergePopulation([[...a, ...b]])).toEqual([{ kommunkod: '1880', year: 2022, pop65: 29335, pop_total: 158057 }]);
    const c = parsePopulation('kommunkod,kommun,year,pop_total\n1880,Örebro,2022,158000\n', 'population-other.csv');
    expect(() => mergePopulation([[...a, ...c]])).toThrow('population-other.csv:2: population total for 1880 on 31 Dec 2022 differs from population-total.csv:2');
  });

  it('UTKLAR_POPULATION_DIR\'s figures supersede the bundled ones and add years', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'utklar-population-'));
    writeFileSync(path.join(dir, 'population-2025-revised.csv'), 'kommunkod,kommun,year,pop65,pop_total\n1880,Örebro,2025,31000,160700\n1880,Örebro,2026,31200,161000\n');
    const p = loadPopulation(dir);
    expect(p.get('1880', 2025)).toEqual({ pop65: 31000, total: 160700 });
    expect(p.get('1880', 2022)).toEqual({ pop65: 29335, total: 158057 });
    expect(p.choose('65+', 2026)).toMatchObject({ year: 2025, latestAvailable: false });
    expect(p.choose('total', 2026)).toMatchObject({ year: 2026, latestAvailable: false });
    rmSync(dir, { recursive: true });
  });
});
