/**
 * The län and kommuner as the reference data codes them (GET /api/v1/areas, services/app/areas.ts):
 * the pages name, list and sum by these, never by a list of their own. Names are data, the same
 * in every language. A region's code is its län's (Region Örebro län is 18).
 */
export interface Areas {
  counties: { code: string; name: string }[];
  municipalities: { code: string; name: string; county: string }[];
  population65: { denominator: string; wantedYear: number; year: number | null; latestAvailable: boolean; figures: Record<string, number> };
}

let names = new Map<string, { name: string; county: string }>();
let counties = new Map<string, string>();

/** Makes `kommun`, `countyName` and `countyOfKommun` answer from this reference data. */
export function useAreas(a: Areas): Areas {
  names = new Map(a.municipalities.map((m) => [m.code, { name: m.name, county: m.county }]));
  counties = new Map(a.counties.map((c) => [c.code, c.name]));
  return a;
}

/** "Kumla (1881)"; a code the reference data does not know, as sent. */
export const kommun = (code: string): string => (names.has(code) ? `${names.get(code)!.name} (${code})` : code);
export const kommunName = (code: string): string | undefined => names.get(code)?.name;
export const countyOfKommun = (code: string): string | undefined => names.get(code)?.county;
/** "Örebro län (18)". */
export const county = (code: string): string => (counties.has(code) ? `${counties.get(code)} (${code})` : code);
/** Every name the reference data holds (the tests take data out before looking for Swedish words). */
export const allNames = (): string[] => [...[...names.values()].map((m) => m.name), ...counties.values()];

/** The län a signed-in scope belongs to: a region's own, a municipality's; none for a unit or the nation. */
export function homeCounty(scope: string): string | undefined {
  const [kind, value = ''] = scope.split(':');
  if (kind === 'region') return value;
  if (kind === 'municipality') return countyOfKommun(value) ?? value.slice(0, 2);
  return undefined;
}

/**
 * The board's choice of kommuner for a region: the region's own län's kommuner, then the other
 * kommuner whose residents it treats (`seen`, from its data: eastern Värmland's in Örebro), each
 * group by name. Codes the reference data does not know are left out.
 */
export function regionKommuner(a: Areas, region: string, seen: string[]): string[] {
  const name = new Map(a.municipalities.map((m) => [m.code, m.name]));
  const byName = (x: string, y: string) => name.get(x)!.localeCompare(name.get(y)!, 'sv');
  const own = a.municipalities.filter((m) => m.county === region).map((m) => m.code).sort(byName);
  const others = [...new Set(seen)].filter((c) => name.has(c) && !own.includes(c)).sort(byName);
  return [...own, ...others];
}
