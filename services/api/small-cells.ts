import type { Row } from '../indicators/indicators.ts';
import type { Scope } from '../model/scope.ts';

/**
 * Small-cell suppression (issue #19): an aggregate over one to four episodes can point at a
 * person, above all within a municipality, so such counts are withheld, as Socialstyrelsen's
 * and SCB's published tables do ("<5"). What is withheld: each count of persons or episodes
 * from 1 to min − 1 (0 says nothing about anybody and is shown), and every value computed from a
 * withheld count (a mean, a share, a rate), which would give the count back.
 * Primary suppression only: a withheld cell can sometimes be worked out from a total and its
 * other cells (docs/query-api.md says so).
 */
interface CellRule {
  /** Counts of episodes or persons. */
  counts: (field: string) => boolean;
  /** Values computed from counts: withheld when any of the counts they come from is. */
  derived: Record<string, string[]>;
}

const among = (...names: string[]) => (f: string) => names.includes(f);
const COLOUR = /^colour_/;
const BAND = /^band_/;

/** Per aggregated endpoint. Not here: payment (the invoice basis, exact by necessity), occupied-beds and variation (bed-days and means, no person counts), rows (patient level: see datesFor). */
const RULES: Record<string, CellRule> = {
  overview: { counts: among('admitted', 'readyNotices', 'utklarEpisodes', 'waitingNow'), derived: {} },
  'indicators/mean-days': { counts: among('episodes'), derived: { days: ['episodes'], meanDays: ['episodes'] } },
  'indicators/goal-fulfilment': { counts: among('episodes', 'sameDay'), derived: { share: ['episodes', 'sameDay'] } },
  'indicators/per-1000': {
    counts: among('episodes'),
    derived: { days: ['episodes'], daysPer1000Inv: ['episodes'], episodesPer1000Inv: ['episodes'], daysPer1000Inv65: ['episodes'], episodesPer1000Inv65: ['episodes'] },
  },
  waiting: { counts: (f) => f === 'waiting' || BAND.test(f), derived: { paymentDays: ['waiting'] } },
  'track-colours': { counts: (f) => ['episodes', 'fvkRequired', 'fvkAppointed'].includes(f) || COLOUR.test(f), derived: { fastVardkontaktShare: ['fvkRequired', 'fvkAppointed'] } },
  'delay-reasons': { counts: among('episodes'), derived: { days: ['episodes'] } },
  readmissions: { counts: among('admissions', 'readmissions', 'previousYearAdmissions', 'previousYearReadmissions'), derived: { share: ['admissions', 'readmissions'] } },
};

/** Whether an answer is suppressed: aggregates for a municipality, and every CSV export (it leaves the system). */
export const suppresses = (route: string, scope: Scope, format: string, min: number): boolean =>
  min > 1 && RULES[route] !== undefined && (scope.kind === 'municipality' || format === 'csv');

/**
 * The rows with small cells withheld: in JSON the value is null and the row names it in
 * `suppressed`; `toCsv` writes such a cell as "<min>". Returns how many cells were withheld.
 */
export function suppressSmallCells(route: string, rows: Row[], min: number): { rows: Row[]; cells: number } {
  const rule = RULES[route];
  if (!rule) return { rows, cells: 0 };
  let cells = 0;
  const out = rows.map((row) => {
    const withheld = Object.keys(row).filter((f) => rule.counts(f) && typeof row[f] === 'number' && (row[f] as number) > 0 && (row[f] as number) < min);
    for (const [f, from] of Object.entries(rule.derived)) if (f in row && from.some((c) => withheld.includes(c))) withheld.push(f);
    if (withheld.length === 0) return row;
    cells += withheld.length;
    const copy: Row = { ...row, suppressed: withheld };
    for (const f of withheld) copy[f] = null;
    return copy;
  });
  return { rows: out, cells };
}

export const suppressionNote = (min: number) =>
  `small cells: counts of 1–${min - 1} episodes are withheld (null here, "<${min}" in CSV; the row's 'suppressed' names them), and so is every mean, share or rate computed from one (UTKLAR_SMALL_CELL_MIN=${min})`;

/**
 * Patient-level rows' dates: the ward and the region, who care for the patient and report on
 * it, see days; everyone else (a municipality, the nation) the month only. Ages are never shown,
 * only age groups.
 */
export const exactDatesFor = (scope: Scope): boolean => scope.kind === 'region' || scope.kind === 'unit';

const DATE = /^(\d{4}-\d{2})-\d{2}$/;
export function monthOnly(rows: Row[], fields: readonly string[] = ['admitted', 'discharged']): Row[] {
  return rows.map((row) => {
    const copy = { ...row };
    for (const f of fields) if (typeof copy[f] === 'string') copy[f] = (copy[f] as string).replace(DATE, '$1');
    return copy;
  });
}
