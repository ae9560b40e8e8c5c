import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UtklarError } from '../core/errors.ts';
import { municipalities } from './municipalities.ts';

export interface PopulationRow {
  kommunkod: string;
  year: number;
  /** Inhabitants aged 65 and over; null where the loaded files give only the total for that year. */
  pop65: number | null;
  pop_total: number;
}

/** Which population a per-1 000 indicator divides by. */
export type Denominator = 'total' | '65+';

/**
 * The 31 December a denominator's rule asks for, for a period beginning in `periodYear`:
 * - `total`, Region Örebro's "per 1 000 invånare" (seed 002): the period's own year;
 * - `65+`, Väntetider.se's "vårdtid per 1 000 inv 65+" (seed 000, domain.md): the year before
 *   (the 2023 indicator divides by the population of 31 Dec 2022).
 */
export function wantedYear(denominator: Denominator, periodYear: number): number {
  return denominator === 'total' ? periodYear : periodYear - 1;
}

/** The population a per-1 000 answer divides by, and how to say so. */
export interface PopulationChoice {
  denominator: Denominator;
  /** The year the rule asks for (wantedYear). */
  wantedYear: number;
  /** The year used: `wantedYear` when it is loaded, else the latest earlier year loaded; null when neither is. */
  year: number | null;
  /** `year` is an earlier year than the rule asks for: the latest available, which the chart says. */
  latestAvailable: boolean;
  /** For the chart, in Swedish: "befolkning 31 dec 2025, senaste tillgängliga". */
  label: string;
  /** For the answer's notes. */
  note: string;
}

const WHAT: Record<Denominator, { sv: string; en: string }> = {
  total: { sv: 'befolkning', en: 'per 1 000 invånare (Region Örebro): denominator the total population' },
  '65+': { sv: 'befolkning 65+', en: 'per 1 000 inv 65+ (Väntetider.se): denominator the population aged 65+' },
};

/** Population per municipality on 31 Dec of a year, as loaded; nothing is ever interpolated or estimated. */
export class PopulationTable {
  readonly #rows = new Map<string, PopulationRow>();
  constructor(rows: PopulationRow[]) {
    for (const r of rows) this.#rows.set(`${r.kommunkod}:${r.year}`, r);
  }
  get(kommunkod: string, year: number): { pop65: number | null; total: number } | undefined {
    const r = this.#rows.get(`${kommunkod}:${year}`);
    return r && { pop65: r.pop65, total: r.pop_total };
  }
  /** The municipality's figure of that kind on 31 Dec of `year`, when loaded. */
  figure(kommunkod: string, year: number, denominator: Denominator): number | undefined {
    const r = this.#rows.get(`${kommunkod}:${year}`);
    return (denominator === 'total' ? r?.pop_total : r?.pop65) ?? undefined;
  }
  /** The years for which any municipality's figure of that kind is loaded, ascending. */
  years(denominator: Denominator): number[] {
    const ys = new Set<number>();
    for (const r of this.#rows.values()) if (denominator === 'total' || r.pop65 !== null) ys.add(r.year);
    return [...ys].sort((a, b) => a - b);
  }
  /**
   * The year a per-1 000 answer for a period beginning in `periodYear` divides by: the rule's year
   * (wantedYear) when loaded, else the latest earlier year loaded (never a later one, never an
   * estimate), with a label and a note that say which.
   */
  choose(denominator: Denominator, periodYear: number): PopulationChoice {
    const wanted = wantedYear(denominator, periodYear);
    const year = this.years(denominator).filter((y) => y <= wanted).pop() ?? null;
    const { sv, en } = WHAT[denominator];
    if (year === null) {
      return {
        denominator, wantedYear: wanted, year, latestAvailable: false,
        label: `${sv} 31 dec ${wanted} saknas`,
        note: `${en} on 31 Dec ${wanted} (SCB) is not loaded, nor any earlier year's: the values are null, not estimated`,
      };
    }
    const latestAvailable = year < wanted;
    return {
      denominator, wantedYear: wanted, year, latestAvailable,
      label: `${sv} 31 dec ${year}${latestAvailable ? ', senaste tillgängliga' : ''}`,
      note: `${en} on 31 Dec ${year} (SCB)${latestAvailable ? `, the latest available: 31 Dec ${wanted} is not loaded` : ''}`,
    };
  }
  get rows(): PopulationRow[] {
    return [...this.#rows.values()];
  }
}

/** The two shapes of a population file: wide (65+ and total) and long (total only, several years). */
const HEADERS: string[] = ['kommunkod,kommun,year,pop65,pop_total', 'kommunkod,kommun,year,pop_total'];

/** Where each row of a parsed file came from (file:line), for the loader's error messages. */
const origins = new WeakMap<PopulationRow, string>();

/**
 * Parses one population file in a reference shape (SCB's BE0101N1 / TAB638 figures per
 * municipality, one municipality and 31 December per row): `kommunkod,kommun,year,pop65,pop_total`
 * or, with the total only, `kommunkod,kommun,year,pop_total`. Errors name the line.
 */
export function parsePopulation(text: string, file: string): PopulationRow[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = lines[0]?.trim() ?? '';
  if (!(HEADERS as string[]).includes(header)) throw new UtklarError('CONFIG', `${file}:1: expected the header '${HEADERS.join("' or '")}'`);
  const withAge = header === HEADERS[0];
  const columns = header.split(',').length;
  const rows: PopulationRow[] = [];
  lines.slice(1).forEach((line, i) => {
    if (line.trim() === '') return;
    const cells = line.split(',').map((c) => c.trim());
    const at = `${file}:${i + 2}`;
    if (cells.length !== columns) throw new UtklarError('CONFIG', `${at}: expected ${columns} columns, got ${cells.length}`);
    const [kommunkod, , year] = cells;
    const pop65 = withAge ? (cells[3] ?? '') : null;
    const total = cells[columns - 1];
    if (!kommunkod || !municipalities.has(kommunkod)) throw new UtklarError('CONFIG', `${at}: '${kommunkod}' is not a kommunkod`);
    if (!/^\d{4}$/.test(year ?? '')) throw new UtklarError('CONFIG', `${at}: year '${year}' is not a year`);
    if ((pop65 !== null && !/^\d+$/.test(pop65)) || !/^\d+$/.test(total ?? '')) throw new UtklarError('CONFIG', `${at}: populations must be whole numbers`);
    const row = { kommunkod, year: Number(year), pop65: pop65 === null ? null : Number(pop65), pop_total: Number(total) };
    origins.set(row, at);
    rows.push(row);
  });
  return rows;
}

const REFERENCE_DIR = path.dirname(fileURLToPath(import.meta.url));

/**
 * Every population file of the given directories, merged per municipality and year: a figure given
 * twice in one directory must agree (two files of the same SCB table); a later directory's figure
 * supersedes an earlier one's (a region's own, revised SCB file over the bundled one).
 */
export function mergePopulation(dirs: PopulationRow[][]): PopulationRow[] {
  const merged = new Map<string, PopulationRow>();
  dirs.forEach((rows, d) => {
    const mine = new Map<string, PopulationRow>();
    for (const r of rows) {
      const key = `${r.kommunkod}:${r.year}`;
      const same = mine.get(key);
      if (same) {
        const clash = same.pop_total !== r.pop_total ? 'total' : same.pop65 !== null && r.pop65 !== null && same.pop65 !== r.pop65 ? '65+' : null;
        if (clash) throw new UtklarError('CONFIG', `${origins.get(r) ?? key}: population ${clash} for ${r.kommunkod} on 31 Dec ${r.year} differs from ${origins.get(same) ?? 'an earlier row'}`);
        const both = { ...same, pop65: same.pop65 ?? r.pop65 };
        origins.set(both, origins.get(same) ?? key);
        mine.set(key, both);
      } else {
        mine.set(key, r);
      }
    }
    for (const [key, r] of mine) {
      const before = d > 0 ? merged.get(key) : undefined;
      merged.set(key, before ? { ...r, pop65: r.pop65 ?? before.pop65 } : r);
    }
  });
  return [...merged.values()];
}

/**
 * The bundled population files (services/reference/population-*.csv: 65+ and total for 2022,
 * totals for 2021–2025) plus any `population-*.csv` in `extraDir` (UTKLAR_POPULATION_DIR).
 */
export function loadPopulation(extraDir?: string): PopulationTable {
  const dirs = [REFERENCE_DIR, ...(extraDir ? [extraDir] : [])].map((dir) =>
    readdirSync(dir).filter((n) => /^population-.*\.csv$/.test(n)).sort()
      .flatMap((f) => parsePopulation(readFileSync(path.join(dir, f), 'utf8'), f)));
  return new PopulationTable(mergePopulation(dirs));
}
