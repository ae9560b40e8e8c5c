import type { Row } from '../indicators/indicators.ts';
import { suppressSmallCells } from '../api/small-cells.ts';

/**
 * One number the API serves, where the rebuild's diff compares it: an indicator's field for a
 * region's municipality, month and care type. `rest` names what else tells the API's rows apart
 * (a track colour's month, a payment line's region), so two rows never fall into one cell.
 */
export interface Cell {
  indicator: string;
  field: string;
  region: string;
  /** The row's municipality (home, or the liable one on a payment line); '*' for the region's whole. */
  kommun: string;
  /** YYYY-MM, or 'nu' for what is current (waiting now). */
  month: string;
  careType: string;
  rest: string;
  value: number | null;
  /** Withheld where the API withholds small cells (a municipality's answers, every CSV): a count of 1–4 or a value computed from one. */
  small?: boolean;
}

/** Fields that label a row rather than count anything: left out of the cells and of a row's identity. */
const LABELS = new Set(['name', 'kommunNamn', 'municipalityName', 'label', 'agreement', 'averageFrom', 'averageTo', 'lowest20', 'highest20', 'missingAmountYears', 'suppressed', 'populationTotalYear', 'population65Year']);
/** Where a row's municipality is, by endpoint: `group` when grouped by municipality, `kommun` on per-1 000 and payment lines. */
const KOMMUN = ['kommun', 'group', 'municipality'];

/**
 * The API's rows of one indicator as cells: each numeric (or boolean) field of each row, keyed by
 * the row's municipality, care type and other text fields. A field the API leaves null (no
 * episodes, no population) is a cell with value null, so "now it has a value" is a change too.
 */
export function rowsToCells(indicator: string, region: string, month: string, rows: readonly Row[], smallCellMin = 5): Cell[] {
  const cells: Cell[] = [];
  for (const row of rows) {
    // The API's own rule (api/small-cells.ts), so the diff withholds exactly what the endpoint would.
    const withheld = new Set((suppressSmallCells(indicator, [row], smallCellMin).rows[0]?.suppressed as string[] | undefined) ?? []);
    const kommunKey = KOMMUN.find((k) => typeof row[k] === 'string');
    const kommun = kommunKey ? String(row[kommunKey]) || '*' : '*';
    const careType = typeof row.careType === 'string' ? row.careType : '*';
    const rest = Object.entries(row)
      .filter(([k, v]) => typeof v === 'string' && k !== kommunKey && k !== 'careType' && !LABELS.has(k))
      .map(([k, v]) => `${k}=${String(v)}`)
      .sort()
      .join(',');
    for (const [field, v] of Object.entries(row)) {
      if (LABELS.has(field) || field === kommunKey) continue;
      const value = typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : v === null ? null : undefined;
      if (value === undefined) continue;
      cells.push({ indicator, field, region, kommun, month, careType, rest, value: value !== null && !Number.isFinite(value) ? null : value, ...(withheld.has(field) ? { small: true } : {}) });
    }
  }
  return cells;
}

export const cellKey = (c: Omit<Cell, 'value'>): string => [c.indicator, c.field, c.region, c.kommun, c.month, c.careType, c.rest].join('|');
