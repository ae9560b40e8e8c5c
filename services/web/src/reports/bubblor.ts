import { kommun } from '../common.ts';
import { kommunName } from '../areas.ts';
import { bubbleChart } from '../charts.ts';
import { t } from '../i18n.ts';
import { filters } from './url.ts';
import { get, csv, withheldNote, populationText } from './answers.ts';
import { num, careLabel, shown } from './format.ts';
import { section } from './section.ts';
import { drill } from './drill.ts';
import { table } from './tables.ts';

/** Bubbeldiagram: days per 1 000 invånare against episodes per 1 000, a bubble per kommun named in its tooltip. */
export async function bubblor(): Promise<HTMLElement[]> {
  const a = await get('indicators/per-1000');
  const care = filters().get('careType') ?? 'SOMATIC';
  const rows = a.rows.filter((r) => r.careType === care);
  const population = populationText(a);
  return [...withheldNote([a]), section('bubbles', t('analytics.bubbles.title', { population }) + ` (${careLabel(care)})`, [
    bubbleChart(t('analytics.bubbles.chart'), rows.filter((r) => shown(r.daysPer1000Inv)).map((r) => ({ label: kommunName(String(r.kommun)) ?? String(r.kommun), x: Number(r.episodesPer1000Inv), y: Number(r.daysPer1000Inv), size: Number(r.days) })),
      t('analytics.bubbles.x'), t('analytics.bubbles.y'), (l) => { const r = rows.find((x) => (kommunName(String(x.kommun)) ?? x.kommun) === l); if (r) void drill({ kommun: String(r.kommun), careType: care, counted: 'utklar' }, l); }, population),
    table('bubbles-table', t('analytics.bubbles.title', { population }), [
      { key: 'kommun', title: t('field.kommun'), show: (v) => kommun(String(v)) },
      { key: 'episodes', title: t('reports.episodes1'), show: (v) => num(v), drill: (r) => [{ kommun: String(r.kommun), careType: care, counted: 'utklar' }, kommun(String(r.kommun))] },
      { key: 'days', title: t('reports.days'), show: (v) => num(v) },
      { key: 'populationTotal', title: t('reports.population'), show: (v) => num(v) },
      { key: 'episodesPer1000Inv', title: t('analytics.bubbles.x'), show: (v) => num(v, 2) },
      { key: 'daysPer1000Inv', title: t('analytics.bubbles.y'), show: (v) => num(v, 2) },
    ], rows, (r) => String(r.kommun)),
  ], csv('indicators/per-1000'), t('reports.b.note'))];
}
