import { api, el, header, kommun, loadAreas, me } from './common.ts';
import { dateTime, kronor, number, t, translatePage, withLang, type MessageKey } from './i18n.ts';

/**
 * Ändringar (issue #20): the rebuilds under changed rules and, for one, what it would change
 * before it is published: per indicator a summary line, every changed value (old, new,
 * difference) per municipality × month × care type, and the frozen invoice bases it would change.
 * Reads GET /api/v1/changes only, so the scopes are the API's (a region its own, a municipality
 * its own municipality, small cells withheld). Publishing is `bin/utklar rebuild --promote`.
 */
interface Rebuild {
  id: string; status: string; active: boolean; agreementVersions: string[]; from: string; to: string; startedAt: string; startedBy: string;
  promotedAt: string | null; promotedBy: string | null; rolledBackAt: string | null; rolledBackBy: string | null; progress: { done: number; total: number } | null;
}
interface Listing { active: { id: string; promotedAt: string; promotedBy: string; rolledBack: { id: string; at: string; by: string } | null } | null; rebuilds: Rebuild[] }
interface Changed { indicator: string; field: string; region: string; kommun: string; month: string; careType: string; rest: string; old: number | null; new: number | null; difference: number | null; suppressed?: string[] }
interface Diff {
  rebuild: string; from: string; to: string; agreementVersions: { old: string[]; new: string[] };
  summary: { indicator: string; line: string; changed: number }[];
  changes: Changed[];
  invoices: { region: string; month: string; frozenAt: string; frozenBy: string; lines: { kommun: string; careType: string; billableDaysFrozen: number; billableDaysLive: number; amountSekDelta: number | null }[] }[];
}

const STATUS: Record<string, MessageKey> = {
  replaying: 'changes.status.replaying', diffing: 'changes.status.diffing', ready: 'changes.status.ready', promoted: 'changes.status.promoted',
  discarded: 'changes.status.discarded', failed: 'changes.status.failed', retired: 'changes.status.retired', 'rolled-back': 'changes.status.rolledBack',
};
const box = () => document.querySelector('#changes')!;
// An agreement version is data (`orebro.json#2018-01-01@…`): shown as sent, without the hash.
const agreementText = (versions: string[]) => versions.map((v) => v.replace(/@[0-9a-f]+$/, '')).join(', ');
const value = (c: Changed, v: number | null, field: 'old' | 'new' | 'difference') =>
  c.suppressed?.includes(field) ? '<5' : v === null ? '–' : number(v, 0, Number.isInteger(v) ? 0 : 2);

function rebuildsTable(list: Listing): HTMLElement {
  if (list.rebuilds.length === 0) return el('p', { id: 'no-rebuilds' }, t('changes.none'));
  return el('table', { id: 'rebuilds', class: 'figures' },
    el('caption', {}, t('changes.rebuildsCaption')),
    el('thead', {}, el('tr', {}, ...(['changes.col.id', 'changes.col.status', 'changes.col.agreements', 'changes.col.period', 'changes.col.started', 'changes.col.promoted'] as MessageKey[]).map((k) => el('th', { scope: 'col' }, t(k))))),
    el('tbody', {}, ...list.rebuilds.map((r) => el('tr', { 'data-id': r.id, ...(r.active ? { class: 'active' } : {}) },
      el('th', { scope: 'row', translate: 'no' }, el('a', { href: withLang(`/changes.html?rebuild=${encodeURIComponent(r.id)}`) }, r.id)),
      el('td', { 'data-field': 'status' }, STATUS[r.status] ? t(STATUS[r.status]!) : r.status, r.status === 'replaying' && r.progress ? ` (${number(r.progress.done)} / ${number(r.progress.total)})` : '',
        // Who undid the publication and when (bin/utklar rebuild --rollback).
        ...(r.status === 'rolled-back' && r.rolledBackAt ? [` ${dateTime(Date.parse(r.rolledBackAt))}, `, el('span', { translate: 'no' }, r.rolledBackBy ?? '')] : [])),
      el('td', { translate: 'no' }, agreementText(r.agreementVersions)),
      el('td', {}, `${r.from} – ${r.to}`),
      el('td', {}, `${dateTime(Date.parse(r.startedAt))}, `, el('span', { translate: 'no' }, r.startedBy)),
      el('td', {}, r.promotedAt ? `${dateTime(Date.parse(r.promotedAt))}, ` : '', el('span', { translate: 'no' }, r.promotedBy ?? ''))))));
}

function diffView(d: Diff): HTMLElement[] {
  const q = `rebuild=${encodeURIComponent(d.rebuild)}`;
  const head = (keys: MessageKey[]) => el('thead', {}, el('tr', {}, ...keys.map((k) => el('th', { scope: 'col' }, t(k)))));
  return [
    el('p', { id: 'agreements' }, t('changes.agreements', { old: agreementText(d.agreementVersions.old), new: agreementText(d.agreementVersions.new) })),
    el('h2', {}, t('changes.summaryHeading')),
    el('ul', { id: 'summary' }, ...d.summary.map((s) => el('li', { 'data-indicator': s.indicator, translate: 'no' }, s.line))),
    d.changes.length === 0 ? el('p', { id: 'no-changes' }, t('changes.noChanges')) : el('table', { id: 'changed', class: 'figures' },
      el('caption', {}, t('changes.diffCaption', { id: d.rebuild, from: d.from, to: d.to })),
      head(['changes.col.indicator', 'changes.col.field', 'changes.col.kommun', 'changes.col.month', 'changes.col.careType', 'changes.col.old', 'changes.col.new', 'changes.col.difference']),
      el('tbody', {}, ...d.changes.map((c) => el('tr', {},
        el('td', { translate: 'no' }, c.indicator), el('td', { translate: 'no' }, c.field + (c.rest ? ` (${c.rest})` : '')),
        el('td', {}, c.kommun === '*' ? t('changes.wholeRegion', { region: c.region }) : kommun(c.kommun)), el('td', {}, c.month), el('td', { translate: 'no' }, c.careType),
        el('td', { class: 'num' }, value(c, c.old, 'old')), el('td', { class: 'num' }, value(c, c.new, 'new')), el('td', { class: 'num' }, value(c, c.difference, 'difference')))))),
    el('h2', {}, t('changes.invoicesHeading')),
    d.invoices.length === 0 ? el('p', { id: 'no-invoices' }, t('changes.noInvoices')) : el('table', { id: 'invoices', class: 'figures' },
      el('caption', {}, t('changes.invoicesCaption')),
      head(['changes.col.invoice', 'changes.col.kommun', 'changes.col.careType', 'changes.col.billableDays', 'changes.col.amountDelta']),
      el('tbody', {}, ...d.invoices.flatMap((i) => i.lines.map((l) => el('tr', {},
        el('td', {}, t('changes.invoice', { region: i.region, month: i.month, at: dateTime(Date.parse(i.frozenAt)), by: i.frozenBy })),
        el('td', {}, kommun(l.kommun)), el('td', { translate: 'no' }, l.careType),
        el('td', { class: 'num' }, `${number(l.billableDaysFrozen)} → ${number(l.billableDaysLive)}`),
        el('td', { class: 'num' }, l.amountSekDelta === null ? '–' : kronor(l.amountSekDelta))))))),
    el('p', {},
      el('a', { href: `/api/v1/changes?${q}&format=csv`, id: 'csv', download: `changes-${d.rebuild}.csv` }, t('changes.csv')), ' · ',
      el('a', { href: `/api/v1/changes?${q}`, id: 'json' }, t('changes.json')), ' · ',
      el('a', { href: withLang('/changes.html') }, t('changes.back'))),
  ];
}

async function main(): Promise<void> {
  translatePage();
  const who = await me();
  document.body.prepend(header('changes', who));
  if (who.kind === 'unit' || who.kind === 'audit') {
    box().replaceChildren(el('p', { id: 'not-for-scope' }, t('changes.notForScope', { scope: who.scope })));
    return;
  }
  box().replaceChildren(el('p', {}, t('common.loading')));
  const [list] = await Promise.all([api<Listing>('/api/v1/changes'), loadAreas()]);
  document.querySelector('#active')!.textContent = list.active
    ? t('changes.active', { id: list.active.id, at: dateTime(Date.parse(list.active.promotedAt)), by: list.active.promotedBy })
      + (list.active.rolledBack ? ` ${t('changes.rolledBack', { id: list.active.rolledBack.id, at: dateTime(Date.parse(list.active.rolledBack.at)), by: list.active.rolledBack.by })}` : '')
    : t('changes.original');
  const id = new URLSearchParams(location.search).get('rebuild');
  if (!id) {
    box().replaceChildren(rebuildsTable(list));
    return;
  }
  box().replaceChildren(...diffView(await api<Diff>(`/api/v1/changes?rebuild=${encodeURIComponent(id)}`)));
}

void main().catch((e) => box().replaceChildren(el('p', { class: 'error' }, t('common.error', { message: (e as Error).message }))));
