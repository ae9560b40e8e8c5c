import { el } from '../common.ts';
import { barChart, horizontalBarChart, lineChart, pieChart } from '../charts.ts';
import { t } from '../i18n.ts';
import { url, filters, pageUrl } from './url.ts';
import { type Row, get, csv, withheldNote } from './answers.ts';
import { num, pct, year, shown, groupName } from './format.ts';
import { groupFilter, monthOf } from './selections.ts';
import { section } from './section.ts';
import { button, drill } from './drill.ts';
import { table } from './tables.ts';

/** Återinläggningar: share or count; this year vs last per month; admissions vs readmissions; by discharging clinic; per kommun, vårdcentral, klinik. */
export async function aterinlaggningar(): Promise<HTMLElement[]> {
  const measure = url.get('measure') === 'count' ? 'count' : 'share';
  const [monthly, byClinic, ...groups] = await Promise.all([
    get('readmissions', { groupBy: 'month' }), get('readmissions', { groupBy: 'indexClinic' }),
    ...(['municipality', 'primaryCareUnit', 'clinic'] as const).map((g) => get('readmissions', { groupBy: g })),
  ]);
  const from = filters().get('from')!;
  const y = year(from);
  const value = (r: Row, prefix = '') => {
    const [a, rd] = prefix ? [r.previousYearAdmissions, r.previousYearReadmissions] : [r.admissions, r.readmissions];
    if (measure === 'count') return shown(rd) ? Number(rd) : null;
    if (!prefix) return shown(r.share) ? Number(r.share) * 100 : null;
    return shown(a) && shown(rd) && Number(a) > 0 ? (Number(rd) / Number(a)) * 100 : null;
  };
  const toggle = el('p', { id: 'measure' }, t('reports.r.measure'), ' ', ...(['share', 'count'] as const).flatMap((m) => [m === measure ? el('strong', { 'aria-current': 'true' }, t(`reports.r.${m}`)) : el('a', { href: pageUrl({ measure: m }), 'data-measure': m }, t(`reports.r.${m}`)), ' ']));
  const mm = (g: unknown) => String(g).slice(5);
  const [adm, rdm] = [t('analytics.readmissions.admissions'), t('analytics.readmissions.readmissions')];
  const measureTitle = t(measure === 'count' ? 'reports.r.count' : 'reports.r.share');
  const titles = { municipality: 'reports.r.municipality', primaryCareUnit: 'reports.r.primaryCareUnit', clinic: 'reports.r.clinic' } as const;
  const total = byClinic.rows.reduce((s, r) => s + Number(r.readmissions ?? 0), 0);
  // Sidan 3: the de-identified rows behind the charts, every readmission of the selection.
  const rowsButton = Object.assign(button(t('reports.r.rows'), () => void drill({ counted: 'readmission' }, t('reports.r.rowsWhat'))), { id: 'readm-rows' });
  return [toggle, ...withheldNote([monthly, ...groups]),
    section('readm-years', t('reports.r.years', { measure: measureTitle }), [
      lineChart(t('reports.r.years', { measure: measureTitle }), [
        { name: String(y), points: monthly.rows.map((r) => ({ label: mm(r.group), value: value(r) })) },
        { name: String(y - 1), points: monthly.rows.map((r) => ({ label: mm(r.group), value: value(r, 'previousYear') })) },
      ], (l, s) => void drill({ ...monthOf(`${s}-${l}`), counted: 'readmission' }, `${s}-${l}: ${rdm}`)),
      table('readm-years-table', t('reports.r.years', { measure: measureTitle }), [
        { key: 'month', title: t('reports.month') },
        { key: 'thisYear', title: String(y), show: (v) => (measure === 'count' ? num(v) : pct(v === null ? null : Number(v) / 100)),
          drill: (r) => [{ ...monthOf(`${y}-${String(r.month)}`), counted: 'readmission' }, `${y}-${String(r.month)}: ${rdm}`] },
        { key: 'lastYear', title: String(y - 1), show: (v) => (measure === 'count' ? num(v) : pct(v === null ? null : Number(v) / 100)),
          drill: (r) => [{ ...monthOf(`${y - 1}-${String(r.month)}`), counted: 'readmission' }, `${y - 1}-${String(r.month)}: ${rdm}`] },
      ], monthly.rows.map((r) => ({ month: mm(r.group), thisYear: value(r), lastYear: value(r, 'previousYear') })), (r) => String(r.month)),
    ], csv('readmissions', { groupBy: 'month' })),
    section('readm-months', t('reports.r.bars'), [
      barChart(t('reports.r.bars'), monthly.rows.flatMap((r) => [{ label: mm(r.group), value: r.admissions, name: adm }, { label: mm(r.group), value: r.readmissions, name: rdm }]).filter((b) => shown(b.value)).map((b) => ({ ...b, value: Number(b.value) })), [],
        (l, s) => void drill({ ...monthOf(`${y}-${l}`), counted: s === adm ? 'admitted' : 'readmission' }, `${y}-${l}: ${s}`), [adm, rdm]),
      table('readm-months-table', t('reports.r.bars'), [
        { key: 'group', title: t('reports.month') },
        { key: 'admissions', title: adm, show: (v) => num(v), drill: (r) => [{ ...monthOf(String(r.group)), counted: 'admitted' }, `${String(r.group)}: ${adm}`] },
        { key: 'readmissions', title: rdm, show: (v) => num(v), drill: (r) => [{ ...monthOf(String(r.group)), counted: 'readmission' }, `${String(r.group)}: ${rdm}`] },
        { key: 'share', title: t('reports.r.share'), show: pct },
        { key: 'previousYearAdmissions', title: t('reports.r.prevAdmissions'), show: (v) => num(v) },
        { key: 'previousYearReadmissions', title: t('reports.r.prevReadmissions'), show: (v) => num(v) },
      ], monthly.rows, (r) => String(r.group)),
    ], csv('readmissions', { groupBy: 'month' }), t('analytics.readmissions.note')),
    section('readm-index-clinic', t('reports.r.indexClinic'), [
      el('div', { class: 'pies' },
        // Bild 3 (andel) and Bild 4 (antal): one pie each, the same slices.
        pieChart(t('reports.r.indexClinicShare'), byClinic.rows.filter((r) => shown(r.readmissions) && total > 0).map((r) => ({ label: String(r.indexClinic) || t('reports.unknown'), value: Math.round((Number(r.readmissions) / total) * 1000) / 10 })),
          (l) => void drill({ indexClinic: l, counted: 'readmission' }, `${t('reports.r.indexClinic')}: ${l}`)),
        pieChart(t('reports.r.indexClinicCount'), byClinic.rows.filter((r) => shown(r.readmissions)).map((r) => ({ label: String(r.indexClinic) || t('reports.unknown'), value: Number(r.readmissions) })),
          (l) => void drill({ indexClinic: l, counted: 'readmission' }, `${t('reports.r.indexClinic')}: ${l}`))),
      table('readm-index-clinic-table', t('reports.r.indexClinic'), [
        { key: 'indexClinic', title: t('reports.f.clinic') },
        { key: 'readmissions', title: rdm, show: (v) => num(v), drill: (r) => [{ indexClinic: String(r.indexClinic), counted: 'readmission' }, `${t('reports.r.indexClinic')}: ${String(r.indexClinic)}`] },
        { key: 'shareOfAll', title: t('reports.r.shareOfAll'), show: pct },
      ], byClinic.rows.map((r) => ({ ...r, shareOfAll: shown(r.readmissions) && total > 0 ? Number(r.readmissions) / total : null })), (r) => String(r.indexClinic)),
    ], csv('readmissions', { groupBy: 'indexClinic' })),
    ...(['municipality', 'primaryCareUnit', 'clinic'] as const).map((g, i) => {
      const a = groups[i]!;
      const name = (r: Row) => groupName(g, r.group);
      return section(`readm-${g}`, t(titles[g], { measure: measureTitle }), [
        horizontalBarChart(t(titles[g], { measure: measureTitle }), a.rows.filter((r) => value(r) !== null).map((r) => ({ label: name(r), value: value(r)! })), [],
          (l) => { const r = a.rows.find((x) => name(x) === l); if (r) void drill({ ...groupFilter(g, r.group), counted: 'readmission' }, `${l}: ${rdm}`); }),
        table(`readm-${g}-table`, t(titles[g], { measure: measureTitle }), [
          { key: 'group', title: t(`reports.g.${g}`), show: (v) => groupName(g, v) },
          { key: 'admissions', title: adm, show: (v) => num(v), drill: (r) => [{ ...groupFilter(g, r.group), counted: 'admitted' }, `${name(r)}: ${adm}`] },
          { key: 'readmissions', title: rdm, show: (v) => num(v), drill: (r) => [{ ...groupFilter(g, r.group), counted: 'readmission' }, `${name(r)}: ${rdm}`] },
          { key: 'share', title: t('reports.r.share'), show: pct },
        ], a.rows, (r) => String(r.group)),
      ], csv('readmissions', { groupBy: g }));
    }),
    section('readm-rows-section', t('reports.r.rowsTitle'), [el('p', {}, rowsButton)], `/api/v1/rows?${filters({ counted: 'readmission', format: 'csv', limit: '10000' })}`),
  ];
}
