import { municipalities } from '../reference/municipalities.ts';
import type { PopulationChoice, PopulationTable } from '../reference/population.ts';

/**
 * The reference data the pages name and sum by (GET /api/v1/areas): the 21 län and 290 kommuner
 * as SCB codes them, and each kommun's population aged 65+ on the 31 December the per-1 000
 * indicators divide by for a period beginning in `periodYear`, so that a län's "per 1 000 inv 65+"
 * counts the kommuner without a single utklar day too. Pages never carry a list of their own.
 */
export interface Areas {
  counties: { code: string; name: string }[];
  municipalities: { code: string; name: string; county: string }[];
  population65: Omit<PopulationChoice, 'note' | 'label'> & { figures: Record<string, number> };
}

export function areas(population: PopulationTable, periodYear: number): Areas {
  const all = [...municipalities.values()].sort((a, b) => a.code.localeCompare(b.code));
  const counties = new Map(all.map((m) => [m.countyCode, m.county]));
  const { note: _note, label: _label, ...choice } = population.choose('65+', periodYear);
  const figures: Record<string, number> = {};
  if (choice.year !== null) {
    for (const m of all) {
      const v = population.figure(m.code, choice.year, '65+');
      if (v !== undefined) figures[m.code] = v;
    }
  }
  return {
    counties: [...counties].map(([code, name]) => ({ code, name })).sort((a, b) => a.code.localeCompare(b.code)),
    municipalities: all.map((m) => ({ code: m.code, name: m.name, county: m.countyCode })),
    population65: { ...choice, figures },
  };
}
