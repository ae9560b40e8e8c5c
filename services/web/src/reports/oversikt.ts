import { el, kommun } from '../common.ts';
import { barChart } from '../charts.ts';
import { t } from '../i18n.ts';
import { filters } from './url.ts';
import { type Row, type Answer, get, csv, withheldNote } from './answers.ts';
import { num, careLabel, shown } from './format.ts';
import { groupFilter } from './selections.ts';
import { careSeries, careGroups, careOf } from './care-series.ts';
import { section } from './section.ts';
import { drill } from './drill.ts';
import { table } from './tables.ts';

/** Översikt: episodes, ready notices, utklar episodes (admitted in the period) and waiting now, per kommun. */
export async function oversikt(): Promise<HTMLElement[]> {
  const within = filters().get('dischargedWithinDays');
  const [o, byDays, sinceDischarge] = await Promise.all([get('overview', { groupBy: 'municipality' }), get('indicators/goal-fulfilment', { groupBy: 'utklarDays' }),
    within ? get('indicators/goal-fulfilment', { groupBy: 'daysSinceDischarge' }) : Promise.resolve(null)]);
  const name = (r: Row) => kommun(String(r.group));
  const [adm, utk] = [t('reports.o.admitted'), t('reports.o.utklar')];
  const sel = (r: Row, counted: string) => ({ ...groupFilter('municipality', r.group), counted });
  return [...withheldNote([o]), section('overview', t('reports.o.title'), [
    barChart(t('reports.o.chart'), o.rows.flatMap((r) => [{ label: name(r), value: r.admitted, name: adm }, { label: name(r), value: r.utklarEpisodes, name: utk }].filter((b) => shown(b.value)).map((b) => ({ ...b, value: Number(b.value) }))), [],
      (l, series) => { const r = o.rows.find((x) => name(x) === l); if (r) void drill(sel(r, series === adm ? 'admitted' : 'admittedUtklar'), `${l}: ${series}`); }, [adm, utk]),
    table('overview-table', t('reports.o.title'), [
      { key: 'group', title: t('field.kommun'), show: (v) => kommun(String(v)) },
      { key: 'admitted', title: adm, show: (v) => num(v), drill: (r) => [sel(r, 'admitted'), `${name(r)}: ${adm}`] },
      { key: 'readyNotices', title: t('reports.o.ready'), show: (v) => num(v), drill: (r) => [sel(r, 'admittedReady'), `${name(r)}: ${t('reports.o.ready')}`] },
      { key: 'utklarEpisodes', title: utk, show: (v) => num(v), drill: (r) => [sel(r, 'admittedUtklar'), `${name(r)}: ${utk}`] },
      { key: 'waitingNow', title: t('reports.o.waitingNow'), show: (v) => num(v), drill: (r) => [sel(r, 'waiting'), `${name(r)}: ${t('reports.o.waitingNow')}`] },
    ], o.rows, (r) => String(r.group)),
  ], csv('overview', { groupBy: 'municipality' }), t('reports.o.note')),
  dayBreakdown('per-utklar-days', t('reports.o.perDays'), t('reports.o.days'), byDays, 'utklarDays'),
  sinceDischarge ? dayBreakdown('per-days-since', t('reports.o.perSince'), t('reports.o.since'), sinceDischarge, 'daysSinceDischarge')
    : section('per-days-since', t('reports.o.perSince'), [el('p', {}, t('reports.o.chooseWithin'))], null)];
}

/** "Antal dagar": the episodes discharged after a ready notice per day count (utklar days, or days since the discharge), each count a button. */
function dayBreakdown(id: string, title: string, dayTitle: string, a: Answer, param: 'utklarDays' | 'daysSinceDischarge'): HTMLElement {
  const what = (r: Row) => `${dayTitle} ${String(r.group)} ${careLabel(r.careType)}`;
  return section(id, title, [
    barChart(title, careSeries(a.rows, 'episodes', (r) => String(r.group)), [], (l, s) => void drill({ [param]: l, careType: careOf(s), counted: 'ready' }, `${dayTitle} ${l} ${s}`), careGroups(a.rows)),
    table(`${id}-table`, title, [
      { key: 'group', title: dayTitle },
      { key: 'careType', title: t('field.careType'), show: careLabel },
      { key: 'episodes', title: t('reports.s.episodes'), show: (v) => num(v), drill: (r) => [{ [param]: String(r.group), careType: String(r.careType), counted: 'ready' }, what(r)] },
    ], a.rows, (r) => `${String(r.group)}|${String(r.careType)}`),
  ], csv('indicators/goal-fulfilment', { groupBy: param }));
}
