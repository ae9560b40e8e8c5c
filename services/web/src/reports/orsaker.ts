import { horizontalBarChart, lineChart, pieChart } from '../charts.ts';
import { t } from '../i18n.ts';
import { type Row, get, csv, withheldNote } from './answers.ts';
import { num, reasonLabel, partyLabel, shown } from './format.ts';
import { monthOf } from './selections.ts';
import { section } from './section.ts';
import { drill } from './drill.ts';
import { table } from './tables.ts';

/** Delay reasons: episodes and days by reason and by responsible party, over time. */
export async function orsaker(): Promise<HTMLElement[]> {
  const [period, monthly] = await Promise.all([get('delay-reasons', { groupBy: 'none' }), get('delay-reasons', { groupBy: 'month' })]);
  const reasons = period.rows.filter((r) => r.reason !== null);
  const parties = period.rows.filter((r) => r.reason === null);
  const reasonName = (r: Row) => `${reasonLabel(r.reason)} (${partyLabel(r.party)})`;
  const partyMonths = monthly.rows.filter((r) => r.reason === null);
  const partyCodes = [...new Set(partyMonths.map((r) => String(r.party)))];
  const sel = (r: Row) => ({ ...(r.group === 'period' ? {} : monthOf(String(r.group))), ...(r.reason === null ? {} : { reason: String(r.reason) }), party: String(r.party), counted: 'ready' });
  const what = (r: Row) => `${r.group === 'period' ? t('reports.period') : String(r.group)}: ${r.reason === null ? partyLabel(r.party) : reasonName(r)}`;
  return [...withheldNote([period, monthly]),
    section('reasons', t('reports.d.byReason'), [
      horizontalBarChart(t('reports.d.byReason'), reasons.filter((r) => shown(r.episodes)).map((r) => ({ label: reasonName(r), value: Number(r.episodes) })), [],
        (l) => { const r = reasons.find((x) => reasonName(x) === l); if (r) void drill(sel(r), what(r)); }),
      table('reasons-table', t('reports.d.byReason'), [
        { key: 'reason', title: t('reports.d.reason'), show: reasonLabel },
        { key: 'party', title: t('reports.d.party'), show: partyLabel },
        { key: 'episodes', title: t('reports.d.episodes'), show: (v) => num(v), drill: (r) => [sel(r), what(r)] },
        { key: 'days', title: t('reports.d.days'), show: (v) => num(v) },
      ], reasons, (r) => `${String(r.reason)}|${String(r.party)}`),
    ], csv('delay-reasons', { groupBy: 'none' }), t('reports.d.note')),
    section('parties', t('reports.d.byParty'), [
      pieChart(t('reports.d.byParty'), parties.filter((r) => shown(r.episodes)).map((r) => ({ label: partyLabel(r.party), value: Number(r.episodes) })),
        (l) => { const r = parties.find((x) => partyLabel(x.party) === l); if (r) void drill(sel(r), what(r)); }),
      table('parties-table', t('reports.d.byParty'), [
        { key: 'party', title: t('reports.d.party'), show: partyLabel },
        { key: 'episodes', title: t('reports.d.episodes'), show: (v) => num(v), drill: (r) => [sel(r), what(r)] },
        { key: 'days', title: t('reports.d.days'), show: (v) => num(v) },
      ], parties, (r) => String(r.party)),
    ], csv('delay-reasons', { groupBy: 'none' })),
    section('reasons-over-time', t('reports.d.overTime'), [
      lineChart(t('reports.d.overTime'), partyCodes.map((p) => ({ name: partyLabel(p), points: partyMonths.filter((r) => r.party === p && shown(r.episodes)).map((r) => ({ label: String(r.group), value: Number(r.episodes) })) })),
        (l, s) => { const r = partyMonths.find((x) => x.group === l && partyLabel(x.party) === s); if (r) void drill(sel(r), what(r)); }),
      table('reasons-over-time-table', t('reports.d.overTime'), [
        { key: 'group', title: t('reports.month') },
        { key: 'reason', title: t('reports.d.reason'), show: (v) => (v === null ? t('reports.d.allReasons') : reasonLabel(v)) },
        { key: 'party', title: t('reports.d.party'), show: partyLabel },
        { key: 'episodes', title: t('reports.d.episodes'), show: (v) => num(v), drill: (r) => [sel(r), what(r)] },
        { key: 'days', title: t('reports.d.days'), show: (v) => num(v) },
      ], monthly.rows, (r) => `${String(r.group)}|${String(r.reason)}|${String(r.party)}`),
    ], csv('delay-reasons', { groupBy: 'month' })),
  ];
}
