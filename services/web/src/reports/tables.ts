import { el } from '../common.ts';
import { t } from '../i18n.ts';
import type { Row } from './answers.ts';
import { num, mean, careLabel, shown } from './format.ts';
import { button, drill } from './drill.ts';

export interface Col {
  key: string;
  title: string;
  show?: (v: unknown, row: Row) => string;
  /** The cell lists its rows: [the rows' selection, what they are]. */
  drill?: (row: Row) => [Record<string, string>, string] | undefined;
}
/** A chart's table: the text alternative, each count a button to its rows. */
export function table(id: string, caption: string, cols: Col[], rows: Row[], code: (r: Row) => string): HTMLTableElement {
  return el('table', { id, class: 'figures' },
    el('caption', {}, caption),
    // Numbers right-aligned, text (a reason, a care type) left, as the first row holds them.
    el('thead', {}, el('tr', {}, ...cols.map((c, i) => el('th', { scope: 'col', class: i > 0 && numeric(rows, c.key) ? 'num' : '', 'data-field': c.key }, c.title)))),
    el('tbody', {}, ...rows.map((r) => el('tr', { 'data-code': code(r) }, ...cols.map((c, i) => {
      const v = r[c.key];
      const text = c.show ? c.show(v, r) : v === null || v === undefined ? '–' : typeof v === 'number' ? num(v, 2) : String(v);
      const attrs = { 'data-field': c.key, 'data-value': v === null || v === undefined ? '' : String(v), class: i > 0 && numeric(rows, c.key) ? 'num' : '' };
      const d = c.drill && shown(v) && Number(v) !== 0 ? c.drill(r) : undefined;
      const content = d ? button(text, () => void drill(d[0], d[1])) : text;
      return i === 0 ? el('th', { scope: 'row', ...attrs }, content) : el('td', attrs, content);
    })))));
}
const numeric = (rows: Row[], key: string) => rows.some((r) => typeof r[key] === 'number') && rows.every((r) => r[key] === null || r[key] === undefined || typeof r[key] === 'number');
export const meanCols = (first: Col, drillOf: (r: Row) => Record<string, string>, what: (r: Row) => string): Col[] => [
  first,
  { key: 'careType', title: t('field.careType'), show: careLabel },
  { key: 'episodes', title: t('reports.episodes1'), show: (v) => num(v), drill: (r) => [{ ...drillOf(r), careType: String(r.careType), counted: 'utklar' }, what(r)] },
  { key: 'days', title: t('reports.days'), show: (v) => num(v) },
  { key: 'meanDays', title: t('reports.meanDays'), show: mean },
];
