import { municipalities } from '../reference/municipalities.ts';
import type { Denominator, PopulationChoice, PopulationTable } from '../reference/population.ts';

/** A home municipality's and care type's sums over the ready episodes discharged in the period. */
export interface KommunSums {
  kommun: string;
  careType: string;
  /** Utklar days (dag 0 rule). */
  days: number;
  /** Episodes with at least one utklar day. */
  episodes: number;
}

/** The population behind a per-1 000 answer, as the answer states it (`populations`). */
export type PopulationUsed = Omit<PopulationChoice, 'note'>;

/**
 * Both per-1 000 families of the same sums, each with its own population and year:
 * - per 1 000 invånare (Region Örebro's Analys page and bubble chart): `populationTotal`,
 *   `daysPer1000Inv`, `episodesPer1000Inv`, the total population on 31 Dec of the period's year;
 * - per 1 000 inv 65+ (Väntetider.se's "vårdtid per 1 000 inv 65+"): `population65`,
 *   `daysPer1000Inv65`, `episodesPer1000Inv65`, the population aged 65+ on 31 Dec of the year
 *   before.
 * The period's year is that of its first day. Where the rule's year is not loaded the latest
 * earlier year is used and the notes and `populations` say so; where none is (or a municipality
 * lacks that year's figure), the values are null, never estimated.
 */
export function perThousandRows(sums: KommunSums[], population: PopulationTable, periodYear: number): {
  rows: Record<string, string | number | null>[];
  notes: string[];
  populations: PopulationUsed[];
} {
  const total = population.choose('total', periodYear);
  const old = population.choose('65+', periodYear);
  const missing: Record<Denominator, Set<string>> = { total: new Set(), '65+': new Set() };
  const of = (c: PopulationChoice, kommun: string): number | null => {
    const v = c.year === null ? undefined : population.figure(kommun, c.year, c.denominator);
    if (v === undefined && c.year !== null) missing[c.denominator].add(kommun);
    return v ?? null;
  };
  const per = (v: number, pop: number | null) => (pop ? (v / pop) * 1000 : null);
  const rows = sums.map((s) => {
    const popTotal = of(total, s.kommun);
    const pop65 = of(old, s.kommun);
    return {
      kommun: s.kommun, name: municipalities.get(s.kommun)?.name ?? null, careType: s.careType, days: s.days, episodes: s.episodes,
      populationTotal: popTotal, populationTotalYear: total.year, daysPer1000Inv: per(s.days, popTotal), episodesPer1000Inv: per(s.episodes, popTotal),
      population65: pop65, population65Year: old.year, daysPer1000Inv65: per(s.days, pop65), episodesPer1000Inv65: per(s.episodes, pop65),
    };
  });
  const notes = [total.note, old.note];
  for (const c of [total, old]) {
    if (missing[c.denominator].size > 0) {
      notes.push(`${c.denominator === 'total' ? 'total population' : 'population 65+'} on 31 Dec ${c.year} is not loaded for ${[...missing[c.denominator]].sort().join(', ')}: their values are null, not estimated`);
    }
  }
  notes.push(`days and episodes (≥ 1 utklar day) of the ready episodes discharged in the period; the population's year follows the period's first day (${periodYear})`);
  return { rows, notes, populations: [total, old].map(({ note: _, ...used }) => used) };
}
