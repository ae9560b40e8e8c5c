import { cellKey, type Cell } from './cells.ts';

/** A number the rebuild would change: the live value, the rebuilt one and new − old (null where either is missing). */
export interface ChangedCell extends Omit<Cell, 'value' | 'small'> {
  old: number | null;
  new: number | null;
  difference: number | null;
  /** A small cell on either side (cells.ts): withheld in CSV and from a municipality. */
  small: boolean;
}

/** One line per indicator: how much of it the rebuild changes. */
export interface IndicatorSummary {
  indicator: string;
  cells: number;
  changed: number;
  /** Distinct region × municipality × month the changes fall in. */
  municipalityMonths: number;
  /** Per field changed: the totals on both sides over the changed cells. */
  fields: { field: string; changed: number; oldTotal: number; newTotal: number; difference: number; withoutValue: number }[];
  line: string;
}

/**
 * Values equal up to this are the same: the API computes means and shares in floating point, and
 * the two sides may sum the same episodes in another order (a generation against a collapse).
 */
export const TOLERANCE = 1e-9;

const same = (a: number | null, b: number | null) => (a === null || b === null ? a === b : Math.abs(a - b) <= TOLERANCE * Math.max(1, Math.abs(a), Math.abs(b)));

/**
 * Every cell whose value differs between the live data and the rebuilt data, in a stable order
 * (indicator, region, municipality, month, care type, field). A cell on one side only (a
 * municipality-month that had no row before) is compared against null. Pure.
 */
export function diffCells(before: readonly Cell[], after: readonly Cell[]): ChangedCell[] {
  const old = new Map(before.map((c) => [cellKey(c), c]));
  const now = new Map(after.map((c) => [cellKey(c), c]));
  const changed: ChangedCell[] = [];
  for (const key of new Set([...old.keys(), ...now.keys()])) {
    const o = old.get(key);
    const n = now.get(key);
    const a = o?.value ?? null;
    const b = n?.value ?? null;
    if (same(a, b)) continue;
    const { value: _, small: __, ...where } = (n ?? o)!;
    changed.push({ ...where, old: a, new: b, difference: a === null || b === null ? null : b - a, small: Boolean(o?.small || n?.small) });
  }
  const order = (c: ChangedCell) => [c.indicator, c.region, c.kommun, c.month, c.careType, c.rest, c.field];
  return changed.sort((x, y) => {
    const [p, q] = [order(x), order(y)];
    for (let i = 0; i < p.length; i++) if (p[i] !== q[i]) return p[i]! < q[i]! ? -1 : 1;
    return 0;
  });
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));
const signed = (v: number) => (v > 0 ? `+${fmt(v)}` : fmt(v));

/** Per region and indicator, how many values were compared (both sides' cells, each once): what a summary is out of. */
export function cellCounts(before: readonly Cell[], after: readonly Cell[]): Record<string, Record<string, number>> {
  const seen = new Set<string>();
  const counts: Record<string, Record<string, number>> = {};
  for (const c of [...before, ...after]) {
    const key = cellKey(c);
    if (seen.has(key)) continue;
    seen.add(key);
    const r = (counts[c.region] ??= {});
    r[c.indicator] = (r[c.indicator] ?? 0) + 1;
  }
  return counts;
}

/**
 * A summary line per indicator compared, over the regions given (those without a change say so:
 * an empty diff is an answer too). Pure.
 */
export function summarise(counts: Record<string, Record<string, number>>, changed: readonly ChangedCell[], regions: readonly string[] = Object.keys(counts)): IndicatorSummary[] {
  const indicators = [...new Set(regions.flatMap((r) => Object.keys(counts[r] ?? {})))].sort();
  return indicators.map((indicator) => {
    const cells = regions.reduce((s, r) => s + (counts[r]?.[indicator] ?? 0), 0);
    const mine = changed.filter((c) => c.indicator === indicator && regions.includes(c.region));
    const municipalityMonths = new Set(mine.map((c) => `${c.region}|${c.kommun}|${c.month}`)).size;
    const fields = [...new Set(mine.map((c) => c.field))].sort().map((field) => {
      const of = mine.filter((c) => c.field === field);
      const oldTotal = of.reduce((s, c) => s + (c.old ?? 0), 0);
      const newTotal = of.reduce((s, c) => s + (c.new ?? 0), 0);
      // A value on one side only (null: no amount for the year, no row) is not in the totals: counted apart.
      return { field, changed: of.length, oldTotal, newTotal, difference: newTotal - oldTotal, withoutValue: of.filter((c) => c.old === null || c.new === null).length };
    });
    const line = mine.length === 0
      ? `${indicator}: no change (${cells} values compared)`
      : `${indicator}: ${mine.length} of ${cells} values changed in ${municipalityMonths} municipality-month(s); ${fields.map((f) => `${f.field} ${fmt(f.oldTotal)} → ${fmt(f.newTotal)} (${signed(f.difference)}${f.withoutValue > 0 ? `; ${f.withoutValue} without a value on one side` : ''})`).join('; ')}`;
    return { indicator, cells, changed: mine.length, municipalityMonths, fields, line };
  });
}
