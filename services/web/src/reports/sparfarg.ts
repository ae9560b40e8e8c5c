import { lineChart, pieChart } from '../charts.ts';
import { TRACK_COLOUR, codeOf } from '../codes.ts';
import { lang, t } from '../i18n.ts';
import { get, csv, withheldNote } from './answers.ts';
import { COLOURS, num, pct, colourLabel, shown } from './format.ts';
import { monthOf } from './selections.ts';
import { section } from './section.ts';
import { drill } from './drill.ts';
import { type Col, table } from './tables.ts';

/** Spårfärg per month (line) and for the period (pie); fast vårdkontakt the same. */
export async function sparfarg(): Promise<HTMLElement[]> {
  const a = await get('track-colours');
  const months = a.rows.filter((r) => r.month !== 'period');
  const period = a.rows.find((r) => r.month === 'period');
  const codes = Object.keys(COLOURS).filter((c) => a.rows.some((r) => shown(r[`colour_${c}`]) && Number(r[`colour_${c}`]) > 0));
  const sel = (m: string, colour: string) => ({ ...(m === 'period' ? {} : monthOf(m)), trackColour: colour, counted: 'ready' });
  const [yes, no] = [t('reports.s.appointed'), t('reports.s.notAppointed')];
  const missing = period && shown(period.fvkRequired) && shown(period.fvkAppointed) ? Number(period.fvkRequired) - Number(period.fvkAppointed) : null;
  const when = (m: unknown) => (m === 'period' ? t('reports.period') : String(m));
  return [...withheldNote([a]),
    section('colour-months', t('reports.s.colourLine'), [
      lineChart(t('reports.s.colourLine'), codes.map((c) => ({ name: colourLabel(c), points: months.filter((r) => shown(r[`colour_${c}`])).map((r) => ({ label: String(r.month), value: Number(r[`colour_${c}`] ?? 0) })) })),
        (l, s) => void drill(sel(l, codeOf(TRACK_COLOUR, s, lang) ?? s), `${l} ${s}`)),
      pieChart(t('reports.s.colourPie'), period ? codes.filter((c) => shown(period[`colour_${c}`])).map((c) => ({ label: colourLabel(c), value: Number(period[`colour_${c}`] ?? 0), colour: COLOURS[c] })) : [],
        (l) => void drill(sel('period', codeOf(TRACK_COLOUR, l, lang) ?? l), `${t('reports.period')} ${l}`)),
      table('colours-table', t('reports.s.colourLine'), [
        { key: 'month', title: t('reports.month'), show: when },
        { key: 'episodes', title: t('reports.s.episodes'), show: (v) => num(v), drill: (r) => [{ ...(r.month === 'period' ? {} : monthOf(String(r.month))), counted: 'ready' }, when(r.month)] },
        ...Object.keys(COLOURS).map((c): Col => ({ key: `colour_${c}`, title: colourLabel(c), show: (v) => num(v ?? 0), drill: (r) => [sel(String(r.month), c), `${when(r.month)} ${colourLabel(c)}`] })),
      ], a.rows, (r) => String(r.month)),
    ], csv('track-colours')),
    section('fvk', t('reports.s.fvk'), [
      lineChart(t('reports.s.fvkLine'), [{ name: t('reports.s.fvkShare'), points: months.filter((r) => shown(r.fastVardkontaktShare)).map((r) => ({ label: String(r.month), value: Number(r.fastVardkontaktShare) * 100 })) }],
        (l) => void drill({ ...monthOf(l), counted: 'fvk' }, `${l}: ${yes}`)),
      pieChart(t('reports.s.fvkPie'), period && missing !== null ? [{ label: yes, value: Number(period.fvkAppointed), colour: '#2e8b57' }, { label: no, value: missing, colour: '#c0392b' }] : [],
        (l) => void drill({ counted: l === yes ? 'fvk' : 'fvkMissing' }, `${t('reports.period')}: ${l}`)),
      table('fvk-table', t('reports.s.fvk'), [
        { key: 'month', title: t('reports.month'), show: when },
        { key: 'fvkRequired', title: t('reports.s.required'), show: (v) => num(v), drill: (r) => [{ ...(r.month === 'period' ? {} : monthOf(String(r.month))), counted: 'fvkRequired' }, `${when(r.month)}: ${t('reports.s.required')}`] },
        { key: 'fvkAppointed', title: yes, show: (v) => num(v), drill: (r) => [{ ...(r.month === 'period' ? {} : monthOf(String(r.month))), counted: 'fvk' }, `${when(r.month)}: ${yes}`] },
        { key: 'fastVardkontaktShare', title: t('reports.s.fvkShare'), show: pct },
      ], a.rows, (r) => String(r.month)),
    ], csv('track-colours'), t('reports.s.note')),
  ];
}
