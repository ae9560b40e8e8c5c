import { describe, expect, it } from 'vitest';
import { areas as referenceAreas } from '../../services/app/areas.ts';
import { loadPopulation } from '../../services/reference/population.ts';
import { county, homeCounty, kommun, regionKommuner, useAreas } from '../../services/web/src/areas.ts';
import { countyFigures, kommunFigures, spread } from '../../services/web/src/riket-figures.ts';

const areas = referenceAreas(loadPopulation(), 2026);
const orebroLan = ['1814', '1860', '1861', '1862', '1863', '1864', '1880', '1881', '1882', '1883', '1884', '1885'];

describe('the reference areas the pages name and sum by (GET /api/v1/areas)', () => {
  it('holds the 21 län and 290 kommuner of SCB\'s coding, and 65+ of 31 Dec 2022 for a 2026 period (the latest loaded)', () => {
    expect(areas.counties).toHaveLength(21);
    expect(areas.counties.find((c) => c.code === '18')).toEqual({ code: '18', name: 'Örebro län' });
    expect(areas.municipalities).toHaveLength(290);
    expect(areas.municipalities.filter((m) => m.county === '18').map((m) => m.code).sort()).toEqual(orebroLan);
    expect(areas.population65).toMatchObject({ denominator: '65+', wantedYear: 2025, year: 2022, latestAvailable: true });
    expect(Object.keys(areas.population65.figures)).toHaveLength(290);
    expect(areas.population65.figures['1880']).toBe(29335);
    // 2023's rule asks for 31 Dec 2022 itself.
    expect(referenceAreas(loadPopulation(), 2023).population65).toMatchObject({ wantedYear: 2022, year: 2022, latestAvailable: false });
    // Before any loaded year: no figures, never an estimate.
    expect(referenceAreas(loadPopulation(), 2020).population65).toMatchObject({ year: null, figures: {} });
  });

  it('names kommuner and län from it, and shows an unknown code as sent', () => {
    useAreas(areas);
    expect([kommun('1881'), kommun('0180'), kommun('9999'), county('17'), county('99')]).toEqual(['Kumla (1881)', 'Stockholm (0180)', '9999', 'Värmlands län (17)', '99']);
    expect([homeCounty('region:18'), homeCounty('municipality:1781'), homeCounty('nation'), homeCounty('unit:USO/Med 1')]).toEqual(['18', '17', undefined, undefined]);
  });

  it('offers a region\'s board its own län\'s kommuner by name, then the other kommuner it treats', () => {
    const choice = regionKommuner(areas, '18', ['1781', '1880', '1760', '1782', '1781', '9999']);
    expect(choice.slice(0, 12).map((c) => areas.municipalities.find((m) => m.code === c)!.name)).toEqual(
      ['Askersund', 'Degerfors', 'Hallsberg', 'Hällefors', 'Karlskoga', 'Kumla', 'Laxå', 'Lekeberg', 'Lindesberg', 'Ljusnarsberg', 'Nora', 'Örebro']);
    // Filipstad, Kristinehamn, Storfors (Värmland); an unknown code is left out.
    expect(choice.slice(12)).toEqual(['1782', '1781', '1760']);
    // Another region: its own län, nothing of Örebro's.
    expect(regionKommuner(areas, '01', [])).toHaveLength(26);
  });
});

describe('the Riket view\'s figures', () => {
  // As the query API answers: mean-days and goal-fulfilment by county and by municipality, per-1000 by municipality.
  const meanByCounty = [
    { group: '18', careType: 'SOMATIC', episodes: 4, days: 14, meanDays: 3.5 },
    { group: '18', careType: 'PSYCHIATRIC', episodes: 1, days: 9, meanDays: 9 },
    { group: '17', careType: 'SOMATIC', episodes: 1, days: 2, meanDays: 2 },
  ];
  const goalByCounty = [{ group: '18', careType: 'SOMATIC', episodes: 8, sameDay: 2, share: 0.25 }, { group: '17', careType: 'SOMATIC', episodes: 1, sameDay: 0, share: 0 }];
  const meanByKommun = [
    { group: '1880', careType: 'SOMATIC', episodes: 2, days: 4, meanDays: 2 },
    { group: '1881', careType: 'SOMATIC', episodes: 1, days: 4, meanDays: 4 },
    { group: '1883', careType: 'SOMATIC', episodes: 1, days: 6, meanDays: 6 },
    { group: '1781', careType: 'SOMATIC', episodes: 1, days: 2, meanDays: 2 },
    { group: '1880', careType: 'PSYCHIATRIC', episodes: 1, days: 9, meanDays: 9 },
  ];
  const perThousand = meanByKommun.map((r) => ({ kommun: r.group, careType: r.careType, days: r.days, episodes: r.episodes }));

  it('lists all 21 län, each with its mean, goal fulfilment, days per 1 000 inv 65+ over all its kommuner, and the variation between its kommuner', () => {
    const rows = countyFigures(areas, 'SOMATIC', meanByCounty, goalByCounty, meanByKommun, perThousand);
    expect(rows.map((r) => r.code)).toEqual(areas.counties.map((c) => c.code));
    const orebro = rows.find((r) => r.code === '18')!;
    expect(orebro).toMatchObject({ name: 'Örebro län', episodes: 4, days: 14, meanDays: 3.5, goalShare: 0.25 });
    const pop65 = orebroLan.reduce((s, k) => s + areas.population65.figures[k]!, 0);
    expect(orebro.daysPer1000Inv65).toBeCloseTo((14 / pop65) * 1000, 12);
    // Means 2, 4 and 6: population std-dev √(8/3), as the API's variation computes it.
    expect(orebro.spread).toEqual({ kommuner: 3, min: 2, max: 6, stdDev: Math.sqrt(8 / 3) });
    expect(rows.find((r) => r.code === '17')).toMatchObject({ meanDays: 2, goalShare: 0, spread: { kommuner: 1, min: 2, max: 2, stdDev: 0 } });
    // A län without a discharged utklar patient: nothing to average, and 0 days per 1 000.
    expect(rows.find((r) => r.code === '01')).toMatchObject({ episodes: 0, meanDays: null, goalShare: null, daysPer1000Inv65: 0, spread: null });
    // The other care type is counted apart.
    expect(countyFigures(areas, 'PSYCHIATRIC', meanByCounty, goalByCounty, meanByKommun, perThousand).find((r) => r.code === '18')).toMatchObject({ meanDays: 9, goalShare: null, spread: { kommuner: 1 } });
  });

  it('never estimates a population it does not have', () => {
    const partial = { ...areas, population65: { ...areas.population65, figures: { ...areas.population65.figures } } };
    delete partial.population65.figures['1885'];
    const rows = countyFigures(partial, 'SOMATIC', meanByCounty, goalByCounty, meanByKommun, perThousand);
    expect(rows.find((r) => r.code === '18')!.daysPer1000Inv65).toBeNull();
    expect(rows.find((r) => r.code === '17')!.daysPer1000Inv65).not.toBeNull();
    expect(kommunFigures(partial, '18', 'SOMATIC', meanByKommun, [], perThousand).find((k) => k.code === '1885')!.daysPer1000Inv65).toBeNull();
  });

  it('lists every kommun of the chosen län by name, those without data included', () => {
    const goalByKommun = [{ group: '1880', careType: 'SOMATIC', episodes: 4, sameDay: 1, share: 0.25 }];
    const rows = kommunFigures(areas, '18', 'SOMATIC', meanByKommun, goalByKommun, perThousand);
    expect(rows.map((r) => r.code).sort()).toEqual(orebroLan);
    expect(rows[0]!.name).toBe('Askersund');
    expect(rows.find((r) => r.code === '1880')).toMatchObject({ name: 'Örebro', episodes: 2, meanDays: 2, goalShare: 0.25, daysPer1000Inv65: (4 / 29335) * 1000 });
    expect(rows.find((r) => r.code === '1882')).toMatchObject({ episodes: 0, meanDays: null, goalShare: null, daysPer1000Inv65: 0 });
    // Värmland's Kristinehamn is not Örebro län's, though Örebro treats its residents.
    expect(rows.find((r) => r.code === '1781')).toBeUndefined();
  });

  it('spreads as the API\'s variation does: min, max and the population standard deviation', () => {
    expect(spread([])).toBeNull();
    expect(spread([3])).toEqual({ kommuner: 1, min: 3, max: 3, stdDev: 0 });
    expect(spread([1, 2, 3, 4])).toEqual({ kommuner: 4, min: 1, max: 4, stdDev: Math.sqrt(1.25) });
  });
});
