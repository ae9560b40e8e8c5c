import type { Areas } from './areas.ts';

/**
 * The Riket view's numbers, from the query API's answers and the reference data: the län side by
 * side and a län's kommuner. Everything is by the patients' home (the län and kommun they are
 * registered in), as Väntetider.se reports kommuner; a län's "per 1 000 inv 65+" divides by all
 * its kommuner's 65+, those without an utklar day included. Pure: no DOM, no fetch.
 */
type Row = Record<string, unknown>;

export interface Spread { kommuner: number; min: number; max: number; stdDev: number }

export interface AreaFigures {
  code: string;
  name: string;
  /** Episodes discharged with ≥ 1 utklar day, their days and mean (medelvårdtid); null without any. */
  episodes: number;
  days: number;
  meanDays: number | null;
  /** Måluppfyllelse: share discharged the day they became utklar; null without a ready discharge. */
  goalShare: number | null;
  /** Utklar days per 1 000 inhabitants aged 65+; null where a population figure is missing. */
  daysPer1000Inv65: number | null;
}

export interface CountyFigures extends AreaFigures {
  /** Variation of the mean days across the län's kommuner with data (min, max, population std-dev, as the API's `variation`); null without any. */
  spread: Spread | null;
}

const num = (v: unknown) => (typeof v === 'number' ? v : Number(v));
const ofCare = (rows: Row[], careType: string) => rows.filter((r) => r.careType === careType);

/** Min, max and population standard deviation (the API's `variation` uses the same). */
export function spread(values: number[]): Spread | null {
  if (values.length === 0) return null;
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
  return { kommuner: values.length, min: Math.min(...values), max: Math.max(...values), stdDev: Math.sqrt(variance) };
}

/** Days per 1 000 over kommuner: null unless every one of them has a 65+ figure. */
function per1000(days: number, kommuner: string[], figures: Record<string, number>): number | null {
  if (kommuner.length === 0 || kommuner.some((k) => figures[k] === undefined)) return null;
  const population = kommuner.reduce((s, k) => s + figures[k]!, 0);
  return population > 0 ? (days / population) * 1000 : null;
}

/**
 * Every län of the reference data, in code order, with its figures for one care type.
 * `meanByCounty`, `goalByCounty`: mean-days and goal-fulfilment grouped by county; `meanByKommun`:
 * mean-days grouped by municipality (every kommun, for the variation); `perThousand`: the
 * per-1000 answer's rows (days per kommun).
 */
export function countyFigures(a: Areas, careType: string, meanByCounty: Row[], goalByCounty: Row[], meanByKommun: Row[], perThousand: Row[]): CountyFigures[] {
  const mean = new Map(ofCare(meanByCounty, careType).map((r) => [String(r.group), r]));
  const goal = new Map(ofCare(goalByCounty, careType).map((r) => [String(r.group), r]));
  const countyOf = new Map(a.municipalities.map((m) => [m.code, m.county]));
  const means = new Map<string, number[]>();
  for (const r of ofCare(meanByKommun, careType)) {
    const c = countyOf.get(String(r.group));
    if (c !== undefined && r.meanDays !== null) means.set(c, [...(means.get(c) ?? []), num(r.meanDays)]);
  }
  const days = new Map<string, number>();
  for (const r of ofCare(perThousand, careType)) {
    const c = countyOf.get(String(r.kommun));
    if (c !== undefined) days.set(c, (days.get(c) ?? 0) + num(r.days));
  }
  return a.counties.map(({ code, name }) => {
    const m = mean.get(code);
    const g = goal.get(code);
    const kommuner = a.municipalities.filter((k) => k.county === code).map((k) => k.code);
    return {
      code, name,
      episodes: m ? num(m.episodes) : 0, days: m ? num(m.days) : 0, meanDays: m && m.meanDays !== null ? num(m.meanDays) : null,
      goalShare: g && g.share !== null ? num(g.share) : null,
      daysPer1000Inv65: per1000(days.get(code) ?? 0, kommuner, a.population65.figures),
      spread: spread(means.get(code) ?? []),
    };
  });
}

/** Every kommun of one län (the reference data's), by name, with its figures for one care type. */
export function kommunFigures(a: Areas, countyCode: string, careType: string, meanByKommun: Row[], goalByKommun: Row[], perThousand: Row[]): AreaFigures[] {
  const mean = new Map(ofCare(meanByKommun, careType).map((r) => [String(r.group), r]));
  const goal = new Map(ofCare(goalByKommun, careType).map((r) => [String(r.group), r]));
  const days = new Map(ofCare(perThousand, careType).map((r) => [String(r.kommun), num(r.days)]));
  return a.municipalities
    .filter((k) => k.county === countyCode)
    .sort((x, y) => x.name.localeCompare(y.name, 'sv'))
    .map(({ code, name }) => {
      const m = mean.get(code);
      const g = goal.get(code);
      return {
        code, name,
        episodes: m ? num(m.episodes) : 0, days: m ? num(m.days) : 0, meanDays: m && m.meanDays !== null ? num(m.meanDays) : null,
        goalShare: g && g.share !== null ? num(g.share) : null,
        daysPer1000Inv65: per1000(days.get(code) ?? 0, [code], a.population65.figures),
      };
    });
}
