import { kommun } from '../common.ts';
import { barChart, horizontalBarChart, lineChart } from '../charts.ts';
import { AGE_GROUP, codeOf, label } from '../codes.ts';
import { lang, t } from '../i18n.ts';
import { filters } from './url.ts';
import { get, csv, withheldNote, populationText } from './answers.ts';
import { num, careLabel, year, shown } from './format.ts';
import { monthOf, yearOf } from './selections.ts';
import { careSeries, careGroups, careOf } from './care-series.ts';
import { section } from './section.ts';
import { drill } from './drill.ts';
import { table, meanCols } from './tables.ts';

/** Analys: mean days per year and per month (this year and last), days per verksamhetsområde, episodes per 1 000, per åldersgrupp. */
export async function analys(): Promise<HTMLElement[]> {
  const from = filters().get('from')!;
  const to = filters().get('to')!;
  const years = Array.from({ length: year(to) - year(from) + 3 }, (_, i) => year(from) - 2 + i);
  const prev = (s: string) => `${year(s) - 1}${s.slice(4)}`;
  const [perYear, monthly, lastYear, areas, ages, per1000] = await Promise.all([
    Promise.all(years.map(async (y) => (await get('indicators/mean-days', { groupBy: 'none', ...yearOf(y) })).rows.map((r) => ({ ...r, group: String(y) })))),
    get('indicators/mean-days', { groupBy: 'month' }),
    get('indicators/mean-days', { groupBy: 'month', from: prev(from), to: prev(to) }),
    get('indicators/mean-days', { groupBy: 'businessArea' }),
    get('indicators/mean-days', { groupBy: 'ageGroup' }),
    get('indicators/per-1000'),
  ]);
  const yearRows = perYear.flat();
  const mm = (g: unknown) => String(g).slice(5);
  const series = [...new Set([...monthly.rows, ...lastYear.rows].map((r) => String(r.careType)))].sort().flatMap((c) => [
    { name: `${year(from)} ${careLabel(c)}`, points: monthly.rows.filter((r) => r.careType === c && shown(r.meanDays)).map((r) => ({ label: mm(r.group), value: Number(r.meanDays) })) },
    { name: `${year(from) - 1} ${careLabel(c)}`, points: lastYear.rows.filter((r) => r.careType === c && shown(r.meanDays)).map((r) => ({ label: mm(r.group), value: Number(r.meanDays) })) },
  ]);
  const monthRows = [...monthly.rows, ...lastYear.rows].sort((a, b) => String(a.group).localeCompare(String(b.group)) || String(a.careType).localeCompare(String(b.careType)));
  const k1000 = per1000.rows.filter((r) => shown(r.episodesPer1000Inv));
  return [...withheldNote([monthly, areas, ages, per1000]),
    section('per-year', t('reports.a.year'), [
      barChart(t('reports.a.year'), careSeries(yearRows, 'meanDays', (r) => String(r.group)), [], (l, s) => void drill({ ...yearOf(Number(l)), careType: careOf(s), counted: 'utklar' }, `${l} ${s}`), careGroups(yearRows)),
      table('per-year-table', t('reports.a.year'), meanCols({ key: 'group', title: t('reports.year') }, (r) => yearOf(Number(r.group)), (r) => `${String(r.group)} ${careLabel(r.careType)}`), yearRows, (r) => `${String(r.group)}|${String(r.careType)}`),
    ], null, t('analytics.monthly.note')),
    section('per-month', t('reports.a.month'), [
      lineChart(t('reports.a.month'), series, (l, s) => { const y = s.split(' ')[0]!; void drill({ ...monthOf(`${y}-${l}`), careType: careOf(s.slice(y.length + 1)), counted: 'utklar' }, `${y}-${l} ${s.slice(y.length + 1)}`); }),
      table('per-month-table', t('reports.a.month'), meanCols({ key: 'group', title: t('reports.month') }, (r) => monthOf(String(r.group)), (r) => `${String(r.group)} ${careLabel(r.careType)}`), monthRows, (r) => `${String(r.group)}|${String(r.careType)}`),
    ], csv('indicators/mean-days', { groupBy: 'month' }), t('analytics.monthly.note')),
    section('business-areas', t('reports.a.area'), [
      barChart(t('reports.a.area'), careSeries(areas.rows, 'days', (r) => String(r.group)), [], (l, s) => void drill({ businessArea: l, careType: careOf(s), counted: 'utklar' }, `${l} ${s}`), careGroups(areas.rows)),
      table('business-areas-table', t('reports.a.area'), meanCols({ key: 'group', title: t('reports.f.businessArea') }, (r) => ({ businessArea: String(r.group) }), (r) => `${String(r.group)} ${careLabel(r.careType)}`), areas.rows, (r) => `${String(r.group)}|${String(r.careType)}`),
    ], csv('indicators/mean-days', { groupBy: 'businessArea' })),
    section('per-1000', t('reports.a.per1000', { population: populationText(per1000) }), [
      horizontalBarChart(t('reports.a.per1000', { population: populationText(per1000) }), k1000.map((r) => ({ label: `${kommun(String(r.kommun))} ${careLabel(r.careType)}`, value: Number(r.episodesPer1000Inv) })), [],
        (l) => { const r = k1000.find((x) => `${kommun(String(x.kommun))} ${careLabel(x.careType)}` === l); if (r) void drill({ kommun: String(r.kommun), careType: String(r.careType), counted: 'utklar' }, l); }),
      table('per-1000-table', t('reports.a.per1000', { population: populationText(per1000) }), [
        { key: 'kommun', title: t('field.kommun'), show: (v) => kommun(String(v)) },
        { key: 'careType', title: t('field.careType'), show: careLabel },
        { key: 'episodes', title: t('reports.episodes1'), show: (v) => num(v), drill: (r) => [{ kommun: String(r.kommun), careType: String(r.careType), counted: 'utklar' }, `${kommun(String(r.kommun))} ${careLabel(r.careType)}`] },
        { key: 'populationTotal', title: t('reports.population'), show: (v) => num(v) },
        { key: 'episodesPer1000Inv', title: t('reports.episodesPer1000'), show: (v) => num(v, 2) },
      ], per1000.rows, (r) => `${String(r.kommun)}|${String(r.careType)}`),
    ], csv('indicators/per-1000')),
    section('age-groups', t('reports.a.age'), [
      barChart(t('reports.a.age'), careSeries(ages.rows, 'meanDays', (r) => label(AGE_GROUP, String(r.group), lang)), [], (l, s) => void drill({ ageGroup: codeOf(AGE_GROUP, l, lang) ?? l, careType: careOf(s), counted: 'utklar' }, `${l} ${s}`), careGroups(ages.rows)),
      table('age-groups-table', t('reports.a.age'), meanCols({ key: 'group', title: t('analytics.ageGroup'), show: (v) => label(AGE_GROUP, String(v), lang) }, (r) => ({ ageGroup: String(r.group) }), (r) => `${String(r.group)} ${careLabel(r.careType)}`), ages.rows, (r) => `${String(r.group)}|${String(r.careType)}`),
    ], csv('indicators/mean-days', { groupBy: 'ageGroup' })),
  ];
}
