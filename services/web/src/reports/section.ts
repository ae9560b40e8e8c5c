import { el } from '../common.ts';
import { t } from '../i18n.ts';

export function section(id: string, title: string, body: (Node | string)[], csvHref: string | null, note?: string | Node): HTMLElement {
  return el('section', { id, class: 'card', 'aria-labelledby': `${id}-h` }, el('h2', { id: `${id}-h` }, title), ...body,
    el('p', { class: 'note' }, ...(note ? [note, ' '] : []), ...(csvHref ? [el('a', { href: csvHref, download: `${id}.csv`, class: 'csv' }, t('common.downloadCsv'))] : [])));
}
