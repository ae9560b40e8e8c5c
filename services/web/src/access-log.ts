import { api, el, header, me } from './common.ts';
import { date, dateTimeSeconds, number, t, translatePage, withLang, type MessageKey } from './i18n.ts';
import { apiQuery, csvQuery, filtersText, pageQuery, pages, viewOf, type AccessLogView } from './access-log-query.ts';
import { isoDay, stockholmDay } from './stockholm.ts';

/**
 * The access log for an auditor (audit:NN, issue #19): who was shown patient-level data of the
 * region, newest first, a page at a time. Period, subject and page live in the URL, so a finding
 * can be shared as a link; the CSV holds the whole selection.
 */
interface Entry { at: string; subject: string; scope: string; endpoint: string; format: string; filters: Record<string, string>; episodes: number; regions: string[] }

const form = () => document.querySelector<HTMLFormElement>('#filters')!;
const field = (name: string) => form().elements.namedItem(name) as HTMLInputElement;
const pageUrl = (v: AccessLogView) => withLang(`/access-log.html?${pageQuery(v)}`);

// Data as recorded (a person's name, a path, a code) is not translated.
const COLUMNS: { key: string; title: MessageKey; show: (e: Entry) => string; num?: boolean; data?: boolean }[] = [
  { key: 'at', title: 'accessLog.col.at', show: (e) => dateTimeSeconds(Date.parse(e.at)) },
  { key: 'subject', title: 'accessLog.col.subject', show: (e) => e.subject, data: true },
  { key: 'scope', title: 'accessLog.col.scope', show: (e) => e.scope, data: true },
  { key: 'endpoint', title: 'accessLog.col.endpoint', show: (e) => e.endpoint, data: true },
  { key: 'format', title: 'accessLog.col.format', show: (e) => e.format, data: true },
  { key: 'filters', title: 'accessLog.col.filters', show: (e) => filtersText(e.filters), data: true },
  { key: 'episodes', title: 'accessLog.col.episodes', show: (e) => number(e.episodes), num: true },
  { key: 'regions', title: 'accessLog.col.regions', show: (e) => e.regions.join(', '), data: true },
];

function table(v: AccessLogView, region: string, entries: Entry[]): HTMLTableElement {
  return el('table', { id: 'entries', class: 'figures' },
    el('caption', {}, t('accessLog.caption', { region, from: date(v.from), to: date(v.to) })),
    el('thead', {}, el('tr', {}, ...COLUMNS.map((c) => el('th', { scope: 'col', 'data-field': c.key, ...(c.num ? { class: 'num' } : {}) }, t(c.title))))),
    el('tbody', {}, ...entries.map((e) => el('tr', { 'data-at': e.at },
      ...COLUMNS.map((c) => el('td', { 'data-field': c.key, ...(c.num ? { class: 'num' } : {}), ...(c.data ? { translate: 'no' } : {}) }, c.show(e)))))));
}

async function load(v: AccessLogView, region: string): Promise<void> {
  const box = document.querySelector('#access-log')!;
  box.replaceChildren(el('p', {}, t('common.loading')));
  const r = await api<{ rows: Entry[] }>(`/api/v1/access-log?${apiQuery(v)}`);
  const entries = r.rows.slice(0, v.limit);
  const { newer, older } = pages(v, r.rows.length > v.limit);
  const nav = el('p', { id: 'paging' },
    entries.length > 0 ? t('accessLog.shown', { first: number(v.offset + 1), last: number(v.offset + entries.length) }) : '',
    ...(newer ? [' ', el('a', { href: pageUrl(newer), id: 'newer' }, t('accessLog.newer'))] : []),
    ...(older ? [' ', el('a', { href: pageUrl(older), id: 'older' }, t('accessLog.older'))] : []));
  box.replaceChildren(
    entries.length > 0 ? table(v, region, entries) : el('p', { id: 'no-entries' }, t('accessLog.empty')),
    nav,
    el('p', {}, el('a', { href: `/api/v1/access-log?${csvQuery(v)}`, id: 'csv', download: `access-log-${v.from}-${v.to}.csv` }, t('accessLog.csv'))));
}

async function main(): Promise<void> {
  translatePage();
  const who = await me();
  document.body.prepend(header('access-log', who));
  if (who.kind !== 'audit') {
    form().hidden = true;
    document.querySelector('#access-log')!.replaceChildren(el('p', { id: 'needs-audit' }, t('accessLog.needsAudit', { scope: who.scope })));
    return;
  }
  const today = stockholmDay(Date.now());
  const v = viewOf(location.search, isoDay(today), isoDay(today - 6));
  field('from').value = v.from;
  field('to').value = v.to;
  field('subject').value = v.subject;
  form().addEventListener('submit', (ev) => {
    ev.preventDefault();
    // A new selection starts on its first page.
    location.href = pageUrl({ ...v, from: field('from').value.trim(), to: field('to').value.trim(), subject: field('subject').value.trim(), offset: 0 });
  });
  await load(v, who.scope.split(':')[1]!);
}

void main().catch((e) => (document.querySelector('#access-log')!.replaceChildren(el('p', { class: 'error' }, t('common.error', { message: (e as Error).message })))));
