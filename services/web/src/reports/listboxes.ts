import { api, el } from '../common.ts';
import { county, type Areas } from '../areas.ts';
import { AGE_GROUP, label } from '../codes.ts';
import { lang, t } from '../i18n.ts';
import { FILTERS, form, url, filters } from './url.ts';
import type { Answer } from './answers.ts';
import { COLOURS, careLabel, colourLabel } from './format.ts';

function select(name: string, title: string, options: [string, string][], multiple = false): HTMLLabelElement {
  const s = el('select', { name, id: `f-${name}`, ...(multiple ? { multiple: '', size: '5' } : {}) }, ...options.map(([v, text]) => el('option', { value: v }, text)));
  return el('label', { for: `f-${name}` }, el('span', {}, title), ' ', s);
}

async function listOf(groupBy: string): Promise<string[]> {
  const f = filters();
  const a = await api<Answer>(`/api/v1/overview?${new URLSearchParams({ groupBy, from: f.get('from')!, to: f.get('to')! })}`).catch(() => ({ rows: [], notes: [] }));
  return [...new Set(a.rows.map((r) => String(r.group)).filter(Boolean))].sort((x, y) => x.localeCompare(y, 'sv'));
}

export async function buildFilters(areas: Areas, scope: string): Promise<void> {
  const f = form();
  const y = new Date().getFullYear();
  const all = t('analytics.allCounties');
  // The period first: the listboxes of units are what the period's data holds.
  f.replaceChildren(
    el('label', {}, el('span', {}, t('analytics.from')), ' ', el('input', { name: 'from', size: '10', value: url.get('from') ?? `${y}-01`, placeholder: t('analytics.monthPlaceholder') })),
    el('label', {}, el('span', {}, t('analytics.to')), ' ', el('input', { name: 'to', size: '10', value: url.get('to') ?? `${y}-12`, placeholder: t('analytics.monthPlaceholder') })),
  );
  const own = scope.startsWith('region:') ? scope.slice(7) : scope.startsWith('municipality:') ? areas.municipalities.find((m) => m.code === scope.slice(13))?.county : undefined;
  // A municipality reads its own residents only (another kommun is a 403): its listbox holds itself.
  const kommuner = areas.municipalities.filter((m) => (scope.startsWith('municipality:') ? m.code === scope.slice(13) : own === undefined || m.county === own)).sort((a, b) => a.name.localeCompare(b.name, 'sv'));
  const [hospitals = [], clinics = [], wards = [], businessAreas = [], units = []] = await Promise.all(['hospital', 'clinic', 'ward', 'businessArea', 'primaryCareUnit'].map(listOf));
  const opts = (list: string[]): [string, string][] => [['', all], ...list.map((v): [string, string] => [v, v])];
  f.append(
    select('kommun', t('analytics.kommun'), kommuner.map((m) => [m.code, `${m.name} (${m.code})`]), true),
    select('lan', t('analytics.lan'), [['', all], ...areas.counties.map((c): [string, string] => [c.code, county(c.code)]), ['utom', t('analytics.outsideCounty')]]),
    select('careType', t('analytics.careType'), [['', t('reports.f.bothCare')], ['SOMATIC', careLabel('SOMATIC')], ['PSYCHIATRIC', careLabel('PSYCHIATRIC')]]),
    select('hospital', t('field.hospital'), opts(hospitals)),
    select('businessArea', t('reports.f.businessArea'), opts(businessAreas)),
    select('clinic', t('reports.f.clinic'), opts(clinics)),
    select('ward', t('reports.f.ward'), opts([...new Set(wards.map((w) => w.split('/').slice(1).join('/')))])),
    select('primaryCareUnit', t('reports.f.primaryCareUnit'), opts(units)),
    select('ageGroup', t('analytics.ageGroup'), [['', all], ...['0-64', '65-74', '75-84', '85+', 'unknown'].map((a): [string, string] => [a, label(AGE_GROUP, a, lang)])]),
    select('trackColour', t('field.trackColour'), [['', all], ...Object.keys(COLOURS).map((c): [string, string] => [c, colourLabel(c)])]),
    select('status', t('reports.f.status'), [['', all], ['discharged', t('reports.f.discharged')], ['inpatient', t('reports.f.inpatient')]]),
    select('dischargedWithinDays', t('reports.f.within'), [['', all], ...[1, 2, 3, 7, 14, 30, 60, 90].map((d): [string, string] => [String(d), t('reports.f.withinDays', { days: d })])]),
    el('button', { type: 'submit' }, t('common.show')),
  );
  // The URL's choice, into the listboxes (several kommuner comma-separated).
  for (const name of FILTERS) {
    const v = url.get(name);
    const e = f.elements.namedItem(name) as HTMLSelectElement | HTMLInputElement | null;
    if (v === null || !e) continue;
    if (e instanceof HTMLSelectElement) {
      const wanted = e.multiple ? v.split(',') : [v];
      // A value the list does not hold (a unit outside the period) is kept, not dropped from the view.
      for (const w of wanted) if (![...e.options].some((o) => o.value === w)) e.append(el('option', { value: w }, w));
      for (const o of e.options) o.selected = wanted.includes(o.value);
    } else e.value = v;
  }
}
