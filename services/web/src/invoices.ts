import { api, el, header, kommun, loadAreas, signedInFor } from './common.ts';
import { CARE_TYPE, CONDITION, LIABILITY, label } from './codes.ts';
import { date, dateTime, kronor, lang, monthName, number, t, translatePage, withLang, type MessageKey } from './i18n.ts';
import { invoiceReason } from './invoice-reasons.ts';

/**
 * Betalningsansvar: one month's invoice basis as GET /api/v1/invoices answers it (a region token
 * all of its municipalities, a municipality token the lines it is liable for; the API decides),
 * per liable municipality and care type the average against the threshold, the billable days
 * and the amount, frozen or preliminary, and the specification per episode with its CSV.
 */
interface Line {
  kommun: string; kommunNamn: string | null; careType: string; region: string; agreement: string | null;
  episodes: number; paymentDays: number; average?: number; threshold?: number; exceeded?: boolean; freeDays?: number;
  averageFrom?: string; averageTo?: string; averageEpisodes?: number; averagePaymentDays?: number;
  billableDays: number | null; amountSek: number | null; missingAmountYears: number[]; error?: string;
}
interface Specified {
  episodeId: string; kommun: string; careType: string; readyDays: string[]; readyEndDays: (string | null)[]; discharged: string;
  utklarDays: number; paymentDays: number; inAverage: boolean | null; billableDays: number; liability: string;
  conditionsUnmet: string[]; reason: string; amountSek: number | null; missingAmountYears: number[];
}
interface Freeze { frozenAt: string; frozenBy: string; agreements: string[]; contentHash: string }
interface Invoice {
  status: 'frozen' | 'preliminary'; frozen: Freeze | null; asOf: string; month: string; region: string; period: { from: string; to: string };
  rows: Line[]; specification: Specified[]; notes: string[];
}
interface Corrections { episodes: { change: string }[] }

// The page's language's formats (i18n.ts): in Swedish a decimal comma, a space between thousands, dates as sv-SE writes them.
const whole = { format: (x: number) => number(x) };
const average = { format: (x: number) => number(x, 1, 2) };
const careType = (c: string) => label(CARE_TYPE, c, lang);
const yesNo = (v: boolean | null) => (v === null ? '–' : t(v ? 'common.yes' : 'common.no'));
const municipalityName = (code: string, name: string | null) => (name ? `${name} (${code})` : kommun(code));

/** An amount, or why there is none: a year without a sourced amount per day is never priced at another year's. */
function amount(sek: number | null, missing: number[]): HTMLElement {
  if (sek !== null) return el('span', { 'data-value': String(sek) }, kronor(sek));
  return el('span', { class: 'missing', 'data-value': '', title: t('invoices.amountMissingTitle') }, missing.length > 0 ? t('invoices.amountMissing', { years: missing.join(', ') }) : '–');
}

const NS = 'http://www.w3.org/2000/svg';
function svg(tag: string, attrs: Record<string, string | number>, ...children: (Node | string)[]): SVGElement {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  e.append(...children);
  return e;
}

/** The municipality's average as a bar, the threshold as a line across it; all lines on one scale. */
function gauge(line: Line, scale: number): SVGElement {
  const W = 220;
  const H = 22;
  const x = (v: number) => Math.min(W, (v / scale) * W);
  const avg = line.average ?? 0;
  const thr = line.threshold ?? 0;
  const text = t('invoices.gauge', { average: average.format(avg), threshold: average.format(thr) });
  return svg('svg', { class: 'gauge', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': text, 'data-value': avg, 'data-threshold': thr, 'data-exceeded': String(Boolean(line.exceeded)) },
    svg('title', {}, text),
    svg('rect', { x: 0, y: 4, width: W, height: H - 8, fill: '#eef1f5' }),
    svg('rect', { class: 'bar', x: 0, y: 4, width: x(avg), height: H - 8, fill: line.exceeded ? '#c0392b' : '#2e8b57' }),
    svg('line', { class: 'threshold', x1: x(thr), x2: x(thr), y1: 0, y2: H, stroke: '#12355b', 'stroke-width': 2, 'stroke-dasharray': '3 2' }));
}

function averageCell(line: Line, scale: number): HTMLElement {
  if (line.error) return el('span', { class: 'missing' }, line.error);
  if (line.threshold !== undefined && line.average !== undefined) {
    const over = t(line.exceeded ? 'invoices.over' : 'invoices.notOver');
    const window = line.averageFrom && line.averageTo && line.averageFrom.slice(0, 7) !== line.averageTo.slice(0, 7)
      ? t('invoices.averageWindow', { from: date(line.averageFrom), to: date(line.averageTo), count: whole.format(line.averageEpisodes ?? 0) }) : '';
    return el('div', {}, gauge(line, scale), el('span', { class: 'figure' }, `${average.format(line.average)} / ${average.format(line.threshold)} – ${over}${window}`));
  }
  if (line.freeDays !== undefined) return el('span', { class: 'figure' }, t('invoices.freeDays', { days: whole.format(line.freeDays), average: average.format(line.average ?? 0) }));
  return el('span', {}, '–');
}

function query(extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  const form = document.querySelector<HTMLFormElement>('#filters')!;
  for (const [k, v] of new FormData(form)) if (String(v).trim()) q.set(k, String(v).trim());
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q.toString();
}

/** The page's own URL for the form's query: the language choice stays in it. */
const pageUrl = () => withLang(`${location.pathname}?${query()}`);

const num = (field: string, text: string | HTMLElement, value: string | number | null) => el('td', { class: 'num', 'data-field': field, 'data-value': value === null ? '' : String(value) }, text);

function linesTable(inv: Invoice): HTMLElement {
  const scale = Math.max(1, ...inv.rows.flatMap((r) => [(r.average ?? 0), (r.threshold ?? 0) * 1.5])) * 1.1;
  const rows = inv.rows.map((r) => el('tr', { 'data-kommun': r.kommun, 'data-care-type': r.careType, class: r.exceeded ? 'exceeded' : '' },
    el('td', { 'data-field': 'kommun' }, municipalityName(r.kommun, r.kommunNamn)),
    el('td', { 'data-field': 'careType' }, careType(r.careType)),
    num('episodes', whole.format(r.episodes), r.episodes),
    num('paymentDays', whole.format(r.paymentDays), r.paymentDays),
    el('td', { 'data-field': 'average', 'data-value': r.average === undefined ? '' : String(r.average) }, averageCell(r, scale)),
    num('billableDays', r.billableDays === null ? '–' : whole.format(r.billableDays), r.billableDays),
    num('amountSek', amount(r.amountSek, r.missingAmountYears), r.amountSek)));
  const days = inv.rows.reduce((s, r) => s + (r.billableDays ?? 0), 0);
  const priced = inv.rows.every((r) => r.amountSek !== null);
  const missing = [...new Set(inv.rows.flatMap((r) => r.missingAmountYears))].sort();
  const sum = priced ? inv.rows.reduce((s, r) => s + (r.amountSek ?? 0), 0) : null;
  return el('table', { id: 'invoice-lines', class: 'invoice' },
    el('thead', {}, el('tr', {}, el('th', {}, t('invoices.col.kommun')), el('th', {}, t('invoices.col.careType')), el('th', { class: 'num' }, t('invoices.col.episodes')), el('th', { class: 'num' }, t('invoices.col.paymentDays')),
      el('th', {}, t('invoices.col.average')), el('th', { class: 'num' }, t('invoices.col.billableDays')), el('th', { class: 'num' }, t('invoices.col.amount')))),
    el('tbody', {}, ...rows),
    el('tfoot', {}, el('tr', { id: 'invoice-total' }, el('td', { colspan: '5' }, t('invoices.total')), num('billableDays', whole.format(days), days), num('amountSek', amount(sum, missing), sum))));
}

function specificationTable(inv: Invoice): HTMLElement {
  const names = new Map(inv.rows.map((r) => [r.kommun, r.kommunNamn]));
  const cols: [string, MessageKey, (s: Specified) => string | HTMLElement, boolean?][] = [
    ['episodeId', 'invoices.spec.episodeId', (s) => s.episodeId],
    ['kommun', 'invoices.col.kommun', (s) => municipalityName(s.kommun, names.get(s.kommun) ?? null)],
    ['careType', 'field.careType', (s) => careType(s.careType)],
    ['readyDays', 'invoices.spec.readyDays', (s) => s.readyDays.map((d, i) => `${date(d)}–${s.readyEndDays[i] ? date(s.readyEndDays[i]!) : t('invoices.ongoing')}`).join(', ')],
    ['discharged', 'field.discharged', (s) => date(s.discharged)],
    ['utklarDays', 'field.utklarDays', (s) => whole.format(s.utklarDays), true],
    ['paymentDays', 'field.paymentDays', (s) => whole.format(s.paymentDays), true],
    ['inAverage', 'invoices.spec.inAverage', (s) => yesNo(s.inAverage)],
    ['billableDays', 'invoices.spec.billableDays', (s) => whole.format(s.billableDays), true],
    ['liability', 'invoices.spec.liability', (s) => label(LIABILITY, s.liability, lang)],
    ['conditionsUnmet', 'invoices.spec.conditionsUnmet', (s) => s.conditionsUnmet.map((c) => label(CONDITION, c, lang)).join(', ') || '–'],
    ['reason', 'invoices.spec.reason', (s) => reason(s.reason)],
    ['amountSek', 'invoices.col.amount', (s) => amount(s.amountSek, s.missingAmountYears), true],
  ];
  return el('table', { id: 'specification-rows', class: 'invoice' },
    el('thead', {}, el('tr', {}, ...cols.map(([, title, , right]) => el('th', right ? { class: 'num' } : {}, t(title))))),
    el('tbody', {}, ...inv.specification.map((s) => el('tr', { 'data-episode': s.episodeId, 'data-kommun': s.kommun },
      ...cols.map(([key, , value, right]) => el('td', { 'data-field': key, class: right ? 'num' : key === 'reason' ? 'reason' : key === 'readyDays' || key === 'discharged' ? 'date' : '' }, value(s)))))));
}

/** The API's reason, in English where it can be read back (invoice-reasons.ts); else as written, marked Swedish. */
function reason(text: string): string | HTMLElement {
  const r = invoiceReason(text);
  return r.swedish && lang !== 'sv' ? el('span', { lang: 'sv' }, r.text) : r.text;
}

function statusBadge(inv: Invoice): HTMLElement[] {
  const badge = el('span', { id: 'status', class: `badge ${inv.status}`, 'data-status': inv.status }, t(inv.status === 'frozen' ? 'invoices.frozen' : 'invoices.preliminary'));
  const text = inv.frozen
    ? t('invoices.frozenText', { at: dateTime(Date.parse(inv.frozen.frozenAt)), by: inv.frozen.frozenBy, agreements: inv.frozen.agreements.join(', ') || '–', hash: inv.frozen.contentHash.slice(0, 12) })
    : t('invoices.preliminaryText', { at: dateTime(Date.parse(inv.asOf)) });
  return [badge, el('p', { id: 'status-text', class: 'note' }, text)];
}

async function load(): Promise<void> {
  const summary = document.querySelector('#summary')!;
  const lines = document.querySelector('#lines')!;
  const spec = document.querySelector('#specification')!;
  const corr = document.querySelector<HTMLElement>('#corrections')!;
  summary.replaceChildren(el('p', {}, t('common.loading')));
  lines.replaceChildren();
  spec.replaceChildren();
  corr.hidden = true;
  history.replaceState(null, '', pageUrl());
  let inv: Invoice;
  try {
    inv = await api<Invoice>(`/api/v1/invoices?${query()}`);
  } catch (e) {
    summary.replaceChildren(el('p', { id: 'error', class: 'error' }, t('invoices.loadError', { message: (e as Error).message })));
    return;
  }
  const days = inv.rows.reduce((s, r) => s + (r.billableDays ?? 0), 0);
  const priced = inv.rows.every((r) => r.amountSek !== null);
  const missing = [...new Set(inv.rows.flatMap((r) => r.missingAmountYears))].sort();
  const csv = (table: string) => `/api/v1/invoices?${query({ month: inv.month, region: inv.region, format: 'csv', table, decimal: 'comma' })}`;
  const [badge, status] = statusBadge(inv);
  summary.replaceChildren(
    el('h2', {}, t('invoices.summary', { month: monthName(inv.month), region: inv.region }), badge!),
    status!,
    el('div', { class: 'facts' },
      el('div', {}, el('span', { class: 'label' }, t('invoices.period')), el('span', { id: 'period' }, `${date(inv.period.from)} – ${date(inv.period.to)}`)),
      el('div', {}, el('span', { class: 'label' }, t('invoices.totalEpisodes')), el('span', { id: 'total-episodes', class: 'big small' }, whole.format(inv.specification.length))),
      el('div', {}, el('span', { class: 'label' }, t('invoices.billableDays')), el('span', { id: 'total-billable-days', class: 'big small' }, whole.format(days))),
      el('div', {}, el('span', { class: 'label' }, t('invoices.amount')), el('span', { id: 'total-amount', class: 'big small' }, amount(priced ? inv.rows.reduce((s, r) => s + (r.amountSek ?? 0), 0) : null, missing))),
    ),
    // The CSVs stay Swedish in any language: they are the invoice format the municipalities import.
    el('p', { class: 'downloads' },
      el('a', { id: 'csv-specification', href: csv('specification'), download: `betalningsansvar-specifikation-${inv.region}-${inv.month}.csv` }, t('invoices.csvSpecification')),
      el('a', { id: 'csv-lines', href: csv('lines'), download: `betalningsansvar-${inv.region}-${inv.month}.csv` }, t('invoices.csvLines'))),
  );
  if (inv.rows.length === 0) {
    lines.replaceChildren(el('h2', {}, t('invoices.lines')), el('p', { id: 'empty' }, t('invoices.empty')));
  } else {
    lines.replaceChildren(el('h2', {}, t('invoices.lines')), el('div', { class: 'scroll' }, linesTable(inv)),
      el('p', { class: 'legend' }, t('invoices.legend')));
  }
  spec.replaceChildren(el('h2', {}, t('invoices.specification', { count: whole.format(inv.specification.length) })),
    inv.specification.length > 0 ? el('div', { class: 'scroll' }, specificationTable(inv)) : el('p', {}, t('invoices.noSpecification')),
    // The notes are the API's own English, agreement names in Swedish included: not the page's to translate.
    el('details', { class: 'note' }, el('summary', {}, t('invoices.notes')), ...inv.notes.map((n) => el('p', { lang: 'en', translate: 'no' }, n))));
  if (inv.frozen) {
    const c = await api<Corrections>(`/api/v1/invoices/corrections?${query({ month: inv.month, region: inv.region })}`).catch(() => null);
    if (c) {
      corr.hidden = false;
      corr.replaceChildren(el('h2', {}, t('invoices.corrections')),
        el('p', { id: 'corrections-count' }, c.episodes.length === 0 ? t('invoices.noCorrections') : t(c.episodes.length === 1 ? 'invoices.correctionsOne' : 'invoices.correctionsMany', { count: whole.format(c.episodes.length) }),
          el('a', { href: `/api/v1/invoices/corrections?${query({ month: inv.month, region: inv.region, format: 'csv', decimal: 'comma' })}`, download: `rattelser-${inv.region}-${inv.month}.csv` }, t('invoices.csvCorrections'))));
    }
  }
}

/** Last month, as the API's default: an invoice is made after the month. */
function lastMonth(): string {
  const d = new Date();
  const m = d.getFullYear() * 12 + d.getMonth() - 1;
  return `${Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, '0')}`;
}

async function main(): Promise<void> {
  translatePage();
  const who = await signedInFor(['audit']);
  if (!who) return;
  await loadAreas();
  document.body.prepend(header('invoices', who));
  const form = document.querySelector<HTMLFormElement>('#filters')!;
  const month = form.elements.namedItem('month') as HTMLInputElement;
  const region = form.elements.namedItem('region') as HTMLInputElement;
  const q = new URLSearchParams(location.search);
  month.value = q.get('month') ?? lastMonth();
  // A region reads its own invoices; a municipality its county's region's by default, or another region's where it is liable.
  if (who.kind === 'municipality') {
    document.querySelector<HTMLElement>('#region-field')!.hidden = false;
    region.value = q.get('region') ?? '';
  } else region.disabled = true;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void load();
  });
  await load();
}

void main().catch((e) => (document.querySelector('#summary')!.textContent = t('common.error', { message: (e as Error).message })));
