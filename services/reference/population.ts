import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UtklarError } from '../core/errors.ts';
import { municipalities } from './municipalities.ts';

export interface PopulationRow {
  kommunkod: string;
  year: number;
  pop65: number;
  pop_total: number;
}

/** Population per municipality on 31 Dec of a year, as loaded; nothing is ever interpolated. */
export class PopulationTable {
  readonly #rows = new Map<string, PopulationRow>();
  constructor(rows: PopulationRow[]) {
    for (const r of rows) this.#rows.set(`${r.kommunkod}:${r.year}`, r);
  }
  get(kommunkod: string, year: number): { pop65: number; total: number } | undefined {
    const r = this.#rows.get(`${kommunkod}:${year}`);
    return r && { pop65: r.pop65, total: r.pop_total };
  }
  get rows(): PopulationRow[] {
    return [...this.#rows.values()];
  }
}

const HEADER = 'kommunkod,kommun,year,pop65,pop_total';

/**
 * Parses one population file in the reference shape (SCB's BE0101N1 / TAB638 figures per
 * municipality, one year per row: `kommunkod,kommun,year,pop65,pop_total`). Errors name the line.
 */
export function parsePopulation(text: string, file: string): PopulationRow[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines[0]?.trim() !== HEADER) throw new UtklarError('CONFIG', `${file}:1: expected the header '${HEADER}'`);
  const rows: PopulationRow[] = [];
  lines.slice(1).forEach((line, i) => {
    if (line.trim() === '') return;
    const [kommunkod, , year, pop65, total] = line.split(',').map((c) => c.trim());
    const at = `${file}:${i + 2}`;
    if (!kommunkod || !municipalities.has(kommunkod)) throw new UtklarError('CONFIG', `${at}: '${kommunkod}' is not a kommunkod`);
    if (!/^\d{4}$/.test(year ?? '')) throw new UtklarError('CONFIG', `${at}: year '${year}' is not a year`);
    if (!/^\d+$/.test(pop65 ?? '') || !/^\d+$/.test(total ?? '')) throw new UtklarError('CONFIG', `${at}: populations must be whole numbers`);
    rows.push({ kommunkod, year: Number(year), pop65: Number(pop65), pop_total: Number(total) });
  });
  return rows;
}

const REFERENCE_DIR = path.dirname(fileURLToPath(import.meta.url));

/** The bundled population files plus any `population-*.csv` in `extraDir` (UTKLAR_POPULATION_DIR). */
export function loadPopulation(extraDir?: string): PopulationTable {
  const rows: PopulationRow[] = [];
  for (const dir of [REFERENCE_DIR, ...(extraDir ? [extraDir] : [])]) {
    for (const f of readdirSync(dir).filter((n) => /^population-.*\.csv$/.test(n)).sort()) {
      rows.push(...parsePopulation(readFileSync(path.join(dir, f), 'utf8'), f));
    }
  }
  return new PopulationTable(rows);
}
