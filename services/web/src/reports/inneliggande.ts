import { barChart } from '../charts.ts';
import { t, type MessageKey } from '../i18n.ts';
import { type Row, get, csv, withheldNote } from './answers.ts';
import { num, shown, groupName } from './format.ts';
import { groupFilter } from './selections.ts';
import { section } from './section.ts';
import { drill } from './drill.ts';
import { type Col, table } from './tables.ts';

const BANDS = ['0', '1', '2-3', '4-6', '7-13', '14-20', '21+'] as const;

/** Inneliggande: who waits now, per home kommun, per recipient kommun, per klinik and per vårdenhet, in delay bands. */
export async function inneliggande(): Promise<HTMLElement[]> {
  const by = ['municipality', 'recipientMunicipality', 'clinic', 'ward'] as const;
  const answers = await Promise.all(by.map((g) => get('waiting', { groupBy: g, status: '' })));
  const titles: Record<(typeof by)[number], MessageKey> = { municipality: 'reports.i.municipality', recipientMunicipality: 'reports.i.recipient', clinic: 'reports.i.clinic', ward: 'reports.i.ward' };
  return [...withheldNote(answers), ...by.map((g, i) => {
    const a = answers[i]!;
    const name = (r: Row) => groupName(g, r.group);
    const sel = (r: Row, band?: string) => ({ ...groupFilter(g, r.group), counted: 'waiting', ...(band ? { band } : {}) });
    return section(`waiting-${g}`, t(titles[g]), [
      barChart(t(titles[g]), a.rows.flatMap((r) => BANDS.map((b) => ({ label: name(r), value: r[`band_${b}`], name: t('reports.i.band', { band: b }) }))).filter((b) => shown(b.value) && Number(b.value) > 0).map((b) => ({ ...b, value: Number(b.value) })), [],
        (l, s) => { const r = a.rows.find((x) => name(x) === l); const b = BANDS.find((x) => t('reports.i.band', { band: x }) === s); if (r) void drill(sel(r, b), `${l}: ${s}`); }, BANDS.map((b) => t('reports.i.band', { band: b }))),
      table(`waiting-${g}-table`, t(titles[g]), [
        { key: 'group', title: t(`reports.g.${g}`), show: (v) => groupName(g, v) },
        { key: 'waiting', title: t('reports.i.waiting'), show: (v) => num(v), drill: (r) => [sel(r), `${name(r)}: ${t('reports.i.waiting')}`] },
        { key: 'paymentDays', title: t('field.paymentDays'), show: (v) => num(v) },
        ...BANDS.map((b): Col => ({ key: `band_${b}`, title: t('reports.i.band', { band: b }), show: (v) => num(v), drill: (r) => [sel(r, b), `${name(r)}: ${t('reports.i.band', { band: b })}`] })),
      ], a.rows, (r) => String(r.group)),
    ], csv('waiting', { groupBy: g, status: '' }));
  })];
}
