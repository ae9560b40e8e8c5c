import { kommun } from '../common.ts';
import { county, kommunName, type Areas } from '../areas.ts';
import { barChart, horizontalBarChart } from '../charts.ts';
import { t } from '../i18n.ts';
import { filters } from './url.ts';
import { type Row, get, csv, withheldNote, populationText, apiNote } from './answers.ts';
import { num, mean, pct, careLabel, year, shown } from './format.ts';
import { groupFilter, yearOf } from './selections.ts';
import { careSeries, careGroups, careOf } from './care-series.ts';
import { section } from './section.ts';
import { drill } from './drill.ts';
import { table, meanCols } from './tables.ts';

/** Väntetider.se: medelvårdtid, måluppfyllelse, vårdtid per 1 000 inv 65+, belagda vårdplatser, variation; somatic and psychiatric apart. */
export async function vantetider(areas: Areas, scope: string): Promise<HTMLElement[]> {
  const both = { careType: '' };
  const from = filters().get('from')!;
  const to = filters().get('to')!;
  // Belagda vårdplatser per year (Väntetider.se: "i genomsnitt för åren …"): the period's years and the two before, up to this one.
  const thisYear = new Date().getFullYear();
  const bedYears = Array.from({ length: Math.min(year(to), thisYear) - year(from) + 3 }, (_, i) => year(from) - 2 + i).filter((y) => y <= thisYear);
  const [meanA, goal, per1000, beds, bedsByWard, variation, byKommun, bedsPerYear] = await Promise.all([
    get('indicators/mean-days', { groupBy: 'none', ...both }), get('indicators/goal-fulfilment', { groupBy: 'none', ...both }), get('indicators/per-1000', both),
    get('indicators/occupied-beds', { groupBy: 'none', ...both }), get('indicators/occupied-beds', { groupBy: 'ward', ...both }), get('indicators/variation', both),
    get('indicators/mean-days', { groupBy: 'municipality', ...both }),
    Promise.all(bedYears.map(async (y) => (await get('indicators/occupied-beds', { groupBy: 'none', ...both, ...yearOf(y) })).rows.map((r) => ({ ...r, group: String(y) })))),
  ]);
  const bedYearRows = bedsPerYear.flat();
  const cares = ['SOMATIC', 'PSYCHIATRIC'];
  // Per 1 000 inv 65+ over the län's kommuner (its residents' days ÷ its 65+ population), as Väntetider.se counts a region.
  const lan = scope.startsWith('region:') ? scope.slice(7) : undefined;
  const lanKommuner = new Set(areas.municipalities.filter((m) => m.county === lan).map((m) => m.code));
  const pop65 = [...lanKommuner].reduce((s, k) => s + (areas.population65.figures[k] ?? 0), 0);
  const summary = cares.map((c) => {
    const m = meanA.rows.find((r) => r.careType === c);
    const g = goal.rows.find((r) => r.careType === c);
    const b = beds.rows.find((r) => r.careType === c);
    const v = variation.rows.find((r) => r.careType === c);
    const days = per1000.rows.filter((r) => r.careType === c && lanKommuner.has(String(r.kommun))).reduce((s, r) => s + Number(r.days ?? 0), 0);
    return {
      careType: c, episodes: m?.episodes ?? 0, meanDays: m?.meanDays ?? null, goalEpisodes: g?.episodes ?? 0, goalShare: g?.share ?? null,
      daysPer1000Inv65: lan && pop65 > 0 ? (days / pop65) * 1000 : null, occupiedBeds: b?.occupiedBeds ?? 0, per100Beds: b?.per100Beds ?? null,
      overcrowded: b?.overcrowded ?? null, outlying: b?.outlying ?? null, min: v?.min ?? null, max: v?.max ?? null, stdDev: v?.stdDev ?? null,
    } as Row;
  });
  const names = (list: unknown) => ((list as string[] | undefined) ?? []).map((k) => kommunName(k) ?? k).join(', ');
  return [...withheldNote([meanA, goal, per1000]),
    section('vt-summary', t('reports.v.summary'), [
      barChart(t('reports.v.meanChart'), summary.filter((r) => shown(r.meanDays)).map((r) => ({ label: careLabel(r.careType), value: Number(r.meanDays) })), [],
        (l) => void drill({ careType: careOf(l), counted: 'utklar' }, `${t('reports.meanDays')} ${l}`)),
      table('vt-summary-table', t('reports.v.summary'), [
        { key: 'careType', title: t('field.careType'), show: careLabel },
        { key: 'episodes', title: t('reports.episodes1'), show: (v) => num(v), drill: (r) => [{ careType: String(r.careType), counted: 'utklar' }, `${careLabel(r.careType)}: ${t('reports.episodes1')}`] },
        { key: 'meanDays', title: t('reports.v.mean'), show: mean },
        { key: 'goalEpisodes', title: t('reports.v.goalEpisodes'), show: (v) => num(v), drill: (r) => [{ careType: String(r.careType), counted: 'ready' }, `${careLabel(r.careType)}: ${t('reports.v.goalEpisodes')}`] },
        { key: 'goalShare', title: t('reports.v.goal'), show: pct },
        { key: 'daysPer1000Inv65', title: t('reports.v.per1000', { population: populationText(per1000, '65+') }), show: (v) => num(v, 2) },
        { key: 'occupiedBeds', title: t('reports.v.beds'), show: (v) => num(v, 2) },
        { key: 'per100Beds', title: t('reports.v.per100'), show: (v) => num(v, 2) },
        { key: 'overcrowded', title: t('reports.v.overcrowded'), show: (v) => num(v, 2) },
        { key: 'outlying', title: t('reports.v.outlying'), show: (v) => num(v, 2) },
      ], summary, (r) => String(r.careType)),
    ], null, lan ? t('reports.v.note', { county: county(lan) }) : t('reports.v.noteNoCounty')),
    section('vt-variation', t('reports.v.variation'), [
      ...cares.filter((c) => variation.rows.some((r) => r.careType === c)).map((c) => {
        const v = variation.rows.find((r) => r.careType === c)!;
        const bars = byKommun.rows.filter((r) => r.careType === c && shown(r.meanDays)).sort((x, y) => Number(x.meanDays) - Number(y.meanDays));
        return horizontalBarChart(`${t('reports.v.variationChart')} (${careLabel(c)})`, bars.map((r) => ({ label: kommun(String(r.group)), value: Number(r.meanDays) })),
          [{ name: t('analytics.municipalities.min'), value: Number(v.min) }, { name: t('analytics.municipalities.max'), value: Number(v.max) }, { name: t('analytics.municipalities.stdDev'), value: Number(v.stdDev) }],
          (l) => { const r = bars.find((x) => kommun(String(x.group)) === l); if (r) void drill({ kommun: String(r.group), careType: c, counted: 'utklar' }, `${l} ${careLabel(c)}`); });
      }),
      table('vt-kommun-means-table', t('reports.v.variationChart'), meanCols({ key: 'group', title: t('field.kommun'), show: (v) => kommun(String(v)) }, (r) => ({ kommun: String(r.group) }), (r) => `${kommun(String(r.group))} ${careLabel(r.careType)}`),
        byKommun.rows, (r) => `${String(r.group)}|${String(r.careType)}`),
      table('vt-variation-table', t('reports.v.variation'), [
        { key: 'careType', title: t('field.careType'), show: careLabel },
        { key: 'municipalities', title: t('reports.v.kommuner'), show: (v) => num(v) },
        { key: 'min', title: t('analytics.municipalities.min'), show: mean },
        { key: 'max', title: t('analytics.municipalities.max'), show: mean },
        { key: 'stdDev', title: t('analytics.municipalities.stdDev'), show: (v) => num(v, 2) },
        { key: 'lowest20', title: t('reports.v.lowest'), show: names },
        { key: 'highest20', title: t('reports.v.highest'), show: names },
      ], variation.rows, (r) => String(r.careType)),
    ], csv('indicators/variation', both)),
    section('vt-per1000', t('reports.v.per1000Kommun', { population: populationText(per1000, '65+') }), [
      horizontalBarChart(t('reports.v.per1000Kommun', { population: populationText(per1000, '65+') }), per1000.rows.filter((r) => shown(r.daysPer1000Inv65)).map((r) => ({ label: `${kommun(String(r.kommun))} ${careLabel(r.careType)}`, value: Number(r.daysPer1000Inv65) })), [],
        (l) => { const r = per1000.rows.find((x) => `${kommun(String(x.kommun))} ${careLabel(x.careType)}` === l); if (r) void drill({ kommun: String(r.kommun), careType: String(r.careType), counted: 'utklar' }, l); }),
      table('vt-per1000-table', t('reports.v.per1000Kommun', { population: populationText(per1000, '65+') }), [
        { key: 'kommun', title: t('field.kommun'), show: (v) => kommun(String(v)) },
        { key: 'careType', title: t('field.careType'), show: careLabel },
        { key: 'days', title: t('reports.days'), show: (v) => num(v) },
        { key: 'population65', title: t('reports.population65'), show: (v) => num(v) },
        { key: 'daysPer1000Inv65', title: t('reports.v.per1000', { population: '' }).trim(), show: (v) => num(v, 2) },
      ], per1000.rows, (r) => `${String(r.kommun)}|${String(r.careType)}`),
    ], csv('indicators/per-1000', both), apiNote(per1000)),
    section('vt-beds-years', t('reports.v.bedsYears'), [
      barChart(t('reports.v.bedsYears'), careSeries(bedYearRows, 'occupiedBeds', (r) => String(r.group)), [], (l, s) => void drill({ ...yearOf(Number(l)), careType: careOf(s), counted: 'occupied' }, `${l} ${s}`), careGroups(bedYearRows)),
      table('vt-beds-years-table', t('reports.v.bedsYears'), [
        { key: 'group', title: t('reports.year') },
        { key: 'careType', title: t('field.careType'), show: careLabel },
        { key: 'bedDays', title: t('reports.v.bedDays'), show: (v) => num(v), drill: (r) => [{ ...yearOf(Number(r.group)), careType: String(r.careType), counted: 'occupied' }, `${String(r.group)} ${careLabel(r.careType)}`] },
        { key: 'days', title: t('reports.v.daysInYear'), show: (v) => num(v) },
        { key: 'occupiedBeds', title: t('reports.v.beds'), show: (v) => num(v, 2) },
        { key: 'per100Beds', title: t('reports.v.per100'), show: (v) => num(v, 2) },
      ], bedYearRows, (r) => `${String(r.group)}|${String(r.careType)}`),
    ], null, t('reports.v.bedsNote')),
    section('vt-beds', t('reports.v.bedsWard'), [
      barChart(t('reports.v.bedsWard'), careSeries(bedsByWard.rows, 'occupiedBeds', (r) => String(r.group)), [], (l, s) => void drill({ ...groupFilter('ward', l), careType: careOf(s), counted: 'occupied' }, `${l} ${s}`), careGroups(bedsByWard.rows)),
      table('vt-beds-table', t('reports.v.bedsWard'), [
        { key: 'group', title: t('reports.g.ward') },
        { key: 'careType', title: t('field.careType'), show: careLabel },
        { key: 'bedDays', title: t('reports.v.bedDays'), show: (v) => num(v), drill: (r) => [{ ...groupFilter('ward', r.group), careType: String(r.careType), counted: 'occupied' }, `${String(r.group)} ${careLabel(r.careType)}`] },
        { key: 'occupiedBeds', title: t('reports.v.beds'), show: (v) => num(v, 2) },
        { key: 'availableBeds', title: t('reports.v.available'), show: (v) => num(v, 1) },
        { key: 'per100Beds', title: t('reports.v.per100'), show: (v) => num(v, 2) },
        { key: 'overcrowded', title: t('reports.v.overcrowded'), show: (v) => num(v, 2) },
        { key: 'outlying', title: t('reports.v.outlying'), show: (v) => num(v, 2) },
      ], bedsByWard.rows, (r) => `${String(r.group)}|${String(r.careType)}`),
    ], csv('indicators/occupied-beds', { groupBy: 'ward', ...both }), apiNote(bedsByWard)),
  ];
}
