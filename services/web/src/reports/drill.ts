import { api, el, kommun } from '../common.ts';
import { AGE_GROUP, label } from '../codes.ts';
import { lang, number, t, type MessageKey } from '../i18n.ts';
import { PAGE, filters } from './url.ts';
import type { Answer } from './answers.ts';
import { num, careLabel, reasonLabel, colourLabel, day } from './format.ts';

export function button(text: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', { type: 'button', class: 'link' }, text);
  b.addEventListener('click', onClick);
  return b;
}

const DRILL: [string, MessageKey, (v: unknown) => string][] = [
  ['episodeId', 'field.episodeId', String],
  ['kommun', 'field.kommun', (v) => kommun(String(v))],
  ['hospital', 'field.hospital', String],
  ['clinic', 'reports.f.clinic', String],
  ['ward', 'field.ward', String],
  ['careType', 'field.careType', careLabel],
  ['ageGroup', 'field.ageGroup', (v) => label(AGE_GROUP, String(v), lang)],
  ['admitted', 'field.admitted', (v) => day(v)],
  ['discharged', 'field.discharged', (v) => day(v)],
  ['utklarDays', 'field.utklarDays', (v) => num(v)],
  ['paymentDays', 'field.paymentDays', (v) => num(v)],
  ['band', 'reports.band', String],
  ['trackColour', 'field.trackColour', colourLabel],
  ['readmission', 'reports.readmission', (v) => (v ? t('common.yes') : t('common.no'))],
  ['delayReasons', 'reports.delayReasons', (v) => String(v ?? '').split(';').filter(Boolean).map(reasonLabel).join(', ')],
];

/** The drill-down: exactly what an element counts, paged, with its CSV. */
export async function drill(selection: Record<string, string>, what: string, offset = 0): Promise<void> {
  const box = document.querySelector<HTMLElement>('#drill')!;
  box.hidden = false;
  const r = await api<Answer>(`/api/v1/rows?${filters({ ...selection, limit: String(PAGE + 1), offset: String(offset) })}`);
  const rows = r.rows.slice(0, PAGE);
  const more = r.rows.length > PAGE;
  const heading = el('h2', { tabindex: '-1' }, t('reports.drill.title', { what }));
  const paging = el('p', { id: 'drill-paging' },
    rows.length === 0 ? t('reports.drill.none') : t('reports.drill.range', { first: number(offset + 1), last: number(offset + rows.length) }), ' ');
  if (offset > 0) paging.append(Object.assign(button(t('reports.drill.previous'), () => void drill(selection, what, Math.max(0, offset - PAGE))), { id: 'drill-prev' }), ' ');
  if (more) paging.append(Object.assign(button(t('reports.drill.next'), () => void drill(selection, what, offset + PAGE)), { id: 'drill-next' }), ' ');
  paging.append(el('a', { id: 'drill-csv', href: `/api/v1/rows?${filters({ ...selection, format: 'csv', limit: '10000' })}`, download: 'underlag.csv' }, t('common.downloadCsv')));
  box.replaceChildren(heading, paging,
    el('table', { id: 'drill-rows', class: 'figures' }, el('caption', {}, t('reports.drill.caption')),
      el('thead', {}, el('tr', {}, ...DRILL.map(([c, title]) => el('th', { scope: 'col', 'data-field': c }, t(title))))),
      el('tbody', {}, ...rows.map((row) => el('tr', { 'data-episode': String(row.episodeId) }, ...DRILL.map(([c, , show]) => el('td', { 'data-field': c }, row[c] === undefined || row[c] === null ? '' : show(row[c]))))))));
  heading.focus();
  box.scrollIntoView();
}
