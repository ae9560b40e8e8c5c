import { api, el, header, kommun, loadAreas, me, startPage } from './common.ts';
import { county, kommunName, type Areas } from './areas.ts';
import { barChart, bubbleChart, horizontalBarChart, lineChart, pieChart } from './charts.ts';
import { AGE_GROUP, CARE_TYPE, REASON, RESPONSIBLE_PARTY, TRACK_COLOUR, codeOf, label } from './codes.ts';
import { date, lang, number, t, translatePage, withLang, type MessageKey } from './i18n.ts';

/**
 * Every seed report as a page of its own (`reports.html?report=…`): Region Örebro's portal (seed
 * 002) and Väntetider.se (seed 000), with the portal's listboxes. The report, every filter and
 * the readmissions' share/count choice are kept in the URL, so a view can be shared. Each chart
 * has its table behind it (the text alternative, and the keyboard's way to the rows), its CSV,
 * and a drill-down that lists exactly the episodes the element counts (`rows?counted=`), paged.
 */
type Row = Record<string, unknown>;
type Answer = { rows: Row[]; notes: string[]; populations?: { denominator: string; wantedYear: number; year: number | null; latestAvailable: boolean }[] };

export const REPORTS = ['oversikt', 'analys', 'bubblor', 'inneliggande', 'sparfarg', 'aterinlaggningar', 'vantetider', 'orsaker'] as const;
type Report = (typeof REPORTS)[number];
const REPORT_TITLE: Record<Report, MessageKey> = {
  oversikt: 'reports.oversikt', analys: 'reports.analys', bubblor: 'reports.bubblor', inneliggande: 'reports.inneliggande',
  sparfarg: 'reports.sparfarg', aterinlaggningar: 'reports.aterinlaggningar', vantetider: 'reports.vantetider', orsaker: 'reports.orsaker',
};
/** The API's filters, as the page's listboxes name them. */
const FILTERS = ['from', 'to', 'kommun', 'lan', 'careType', 'hospital', 'clinic', 'ward', 'businessArea', 'primaryCareUnit', 'ageGroup', 'trackColour', 'status', 'dischargedWithinDays'] as const;
const BANDS = ['0', '1', '2-3', '4-6', '7-13', '14-20', '21+'] as const;
const COLOURS: Record<string, string> = { NONE: '#999', BLUE: '#1f6feb', GREEN: '#2e8b57', YELLOW: '#d4a017', RED: '#c0392b' };
const form = () => document.querySelector<HTMLFormElement>('#filters')!;
const url = new URLSearchParams(location.search);
/** Rows per page of a drill-down (`rows=` in the URL, 1–500; default 50). */
const PAGE = Math.min(500, Math.max(1, Math.floor(Number(url.get('rows'))) || 50));
const report = (): Report => ((REPORTS as readonly string[]).includes(url.get('report') ?? '') ? (url.get('report') as Report) : 'oversikt');

/** The filters chosen (the form's listboxes; several kommuner comma-separated), `extra` on top ('' removes one). */
function filters(extra: Record<string, string> = {}): URLSearchParams {
  const q = new URLSearchParams();
  const f = form();
  for (const name of FILTERS) {
    const e = f.elements.namedItem(name) as HTMLSelectElement | HTMLInputElement | null;
    if (!e) continue;
    const v = e instanceof HTMLSelectElement && e.multiple ? [...e.selectedOptions].map((o) => o.value).filter(Boolean).sort().join(',') : e.value;
    if (v) q.set(name, v);
  }
  for (const [k, v] of Object.entries(extra)) if (v === '') q.delete(k); else q.set(k, v);
  return q;
}
const get = (path: string, extra: Record<string, string> = {}) => api<Answer>(`/api/v1/${path}?${filters(extra)}`);
const csv = (path: string, extra: Record<string, string> = {}) => `/api/v1/${path}?${filters({ ...extra, format: 'csv' })}`;

// ---------------------------------------------------------------------------------------------
// Formats and small pieces

const num = (v: unknown, digits = 0) => (v === null || v === undefined || Number.isNaN(Number(v)) ? '–' : number(Number(v), 0, digits));
const mean = (v: unknown) => (v === null || v === undefined ? '–' : number(Number(v), 1, 1));
const pct = (v: unknown) => (v === null || v === undefined ? '–' : t('common.percent', { value: number(Number(v) * 100, 1, 1) }));
const careLabel = (c: unknown) => label(CARE_TYPE, String(c), lang);
const reasonLabel = (c: unknown) => label(REASON, String(c), lang);
const partyLabel = (c: unknown) => label(RESPONSIBLE_PARTY, String(c), lang);
const colourLabel = (c: unknown) => label(TRACK_COLOUR, String(c), lang);
const year = (d: string) => Number(d.slice(0, 4));
const shown = (v: unknown) => v !== null && v !== undefined;
const groupName = (by: string, g: unknown): string => {
  const s = String(g);
  if (by === 'municipality' || by === 'recipientMunicipality') return kommun(s);
  if (by === 'ageGroup') return label(AGE_GROUP, s, lang);
  return s === '' ? t('reports.unknown') : s;
};
/** The filters that pick one group of a grouping: the drill-down's selection. */
function groupFilter(by: string, g: unknown): Record<string, string> {
  const s = String(g);
  switch (by) {
    case 'municipality': return { kommun: s };
    case 'recipientMunicipality': return { recipient: s };
    case 'ward': { const [hospital = '', ...ward] = s.split('/'); return { hospital, ward: ward.join('/') }; }
    case 'none': return {};
    default: return { [by]: s };
  }
}
const monthOf = (m: string) => ({ from: m, to: m });
const yearOf = (y: number) => ({ from: `${y}-01`, to: `${y}-12` });

interface Col {
  key: string;
  title: string;
  show?: (v: unknown, row: Row) => string;
  /** The cell lists its rows: [the rows' selection, what they are]. */
  drill?: (row: Row) => [Record<string, string>, string] | undefined;
}
/** A chart's table: the text alternative, each count a button to its rows. */
function table(id: string, caption: string, cols: Col[], rows: Row[], code: (r: Row) => string): HTMLTableElement {
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
function button(text: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', { type: 'button', class: 'link' }, text);
  b.addEventListener('click', onClick);
  return b;
}
function section(id: string, title: string, body: (Node | string)[], csvHref: string | null, note?: string | Node): HTMLElement {
  return el('section', { id, class: 'card', 'aria-labelledby': `${id}-h` }, el('h2', { id: `${id}-h` }, title), ...body,
    el('p', { class: 'note' }, ...(note ? [note, ' '] : []), ...(csvHref ? [el('a', { href: csvHref, download: `${id}.csv`, class: 'csv' }, t('common.downloadCsv'))] : [])));
}
const withheldNote = (answers: Answer[]) => answers.some((a) => a.rows.some((r) => Array.isArray(r.suppressed))) ? [el('p', { class: 'note', id: 'withheld' }, t('analytics.withheld'))] : [];

// ---------------------------------------------------------------------------------------------
// The drill-down: exactly what an element counts, paged, with its CSV

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
const day = (v: unknown) => (/^\d{4}-\d{2}-\d{2}$/.test(String(v)) ? date(String(v)) : String(v ?? ''));

async function drill(selection: Record<string, string>, what: string, offset = 0): Promise<void> {
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

// ---------------------------------------------------------------------------------------------
// The reports

/** Översikt: episodes, ready notices, utklar episodes (admitted in the period) and waiting now, per kommun. */
async function oversikt(): Promise<HTMLElement[]> {
  const within = filters().get('dischargedWithinDays');
  const [o, byDays, sinceDischarge] = await Promise.all([get('overview', { groupBy: 'municipality' }), get('indicators/goal-fulfilment', { groupBy: 'utklarDays' }),
    within ? get('indicators/goal-fulfilment', { groupBy: 'daysSinceDischarge' }) : Promise.resolve(null)]);
  const name = (r: Row) => kommun(String(r.group));
  const [adm, utk] = [t('reports.o.admitted'), t('reports.o.utklar')];
  const sel = (r: Row, counted: string) => ({ ...groupFilter('municipality', r.group), counted });
  return [...withheldNote([o]), section('overview', t('reports.o.title'), [
    barChart(t('reports.o.chart'), o.rows.flatMap((r) => [{ label: name(r), value: r.admitted, name: adm }, { label: name(r), value: r.utklarEpisodes, name: utk }].filter((b) => shown(b.value)).map((b) => ({ ...b, value: Number(b.value) }))), [],
      (l, series) => { const r = o.rows.find((x) => name(x) === l); if (r) void drill(sel(r, series === adm ? 'admitted' : 'admittedUtklar'), `${l}: ${series}`); }, [adm, utk]),
    table('overview-table', t('reports.o.title'), [
      { key: 'group', title: t('field.kommun'), show: (v) => kommun(String(v)) },
      { key: 'admitted', title: adm, show: (v) => num(v), drill: (r) => [sel(r, 'admitted'), `${name(r)}: ${adm}`] },
      { key: 'readyNotices', title: t('reports.o.ready'), show: (v) => num(v), drill: (r) => [sel(r, 'admittedReady'), `${name(r)}: ${t('reports.o.ready')}`] },
      { key: 'utklarEpisodes', title: utk, show: (v) => num(v), drill: (r) => [sel(r, 'admittedUtklar'), `${name(r)}: ${utk}`] },
      { key: 'waitingNow', title: t('reports.o.waitingNow'), show: (v) => num(v), drill: (r) => [sel(r, 'waiting'), `${name(r)}: ${t('reports.o.waitingNow')}`] },
    ], o.rows, (r) => String(r.group)),
  ], csv('overview', { groupBy: 'municipality' }), t('reports.o.note')),
  dayBreakdown('per-utklar-days', t('reports.o.perDays'), t('reports.o.days'), byDays, 'utklarDays'),
  sinceDischarge ? dayBreakdown('per-days-since', t('reports.o.perSince'), t('reports.o.since'), sinceDischarge, 'daysSinceDischarge')
    : section('per-days-since', t('reports.o.perSince'), [el('p', {}, t('reports.o.chooseWithin'))], null)];
}

/** "Antal dagar": the episodes discharged after a ready notice per day count (utklar days, or days since the discharge), each count a button. */
function dayBreakdown(id: string, title: string, dayTitle: string, a: Answer, param: 'utklarDays' | 'daysSinceDischarge'): HTMLElement {
  const what = (r: Row) => `${dayTitle} ${String(r.group)} ${careLabel(r.careType)}`;
  return section(id, title, [
    barChart(title, careSeries(a.rows, 'episodes', (r) => String(r.group)), [], (l, s) => void drill({ [param]: l, careType: careOf(s), counted: 'ready' }, `${dayTitle} ${l} ${s}`), careGroups(a.rows)),
    table(`${id}-table`, title, [
      { key: 'group', title: dayTitle },
      { key: 'careType', title: t('field.careType'), show: careLabel },
      { key: 'episodes', title: t('reports.s.episodes'), show: (v) => num(v), drill: (r) => [{ [param]: String(r.group), careType: String(r.careType), counted: 'ready' }, what(r)] },
    ], a.rows, (r) => `${String(r.group)}|${String(r.careType)}`),
  ], csv('indicators/goal-fulfilment', { groupBy: param }));
}

const careSeries = (rows: Row[], field: string, labelOf: (r: Row) => string) =>
  rows.filter((r) => shown(r[field])).map((r) => ({ label: labelOf(r), value: Number(r[field]), name: careLabel(r.careType) }));
/** The care types present, somatic first: each keeps its colour from chart to chart. */
const careGroups = (rows: Row[]) => ['SOMATIC', 'PSYCHIATRIC'].filter((c) => rows.some((r) => r.careType === c)).map(careLabel);
const careOf = (series: string) => codeOf(CARE_TYPE, series, lang) ?? '';
const meanCols = (first: Col, drillOf: (r: Row) => Record<string, string>, what: (r: Row) => string): Col[] => [
  first,
  { key: 'careType', title: t('field.careType'), show: careLabel },
  { key: 'episodes', title: t('reports.episodes1'), show: (v) => num(v), drill: (r) => [{ ...drillOf(r), careType: String(r.careType), counted: 'utklar' }, what(r)] },
  { key: 'days', title: t('reports.days'), show: (v) => num(v) },
  { key: 'meanDays', title: t('reports.meanDays'), show: mean },
];

/** Analys: mean days per year and per month (this year and last), days per verksamhetsområde, episodes per 1 000, per åldersgrupp. */
async function analys(): Promise<HTMLElement[]> {
  const from = filters().get('from')!;
  const to = filters().get('to')!;
  const years = Array.from({ length: year(to) - year(from) + 3 }, (_, i) => year(from) - 2 + i);
  const prev = (s: string) => `${year(s) - 1}${s.slice(4)}`;
  const [perYear, monthly, lastYear, areas, ages, per1000] = await Promise.all([
    Promise.all(years.map(async (y) => (await get('indicators/mean-days', { groupBy: 'none', ...yearOf(y) })).rows.map((r) => ({ ...r, group: String(y) })))),
    get('indicators/mean-days', { groupBy: 'month' }),
    get('indicators/mean-days', { groupBy: 'month', from: prev(from), to: prev(to) }),
    get('indicators/mean-days', { groupBy: 'businessArea' }),
    get('indicators/mean-days', { groupBy: 'ageGroup' }),
    get('indicators/per-1000'),
  ]);
  const yearRows = perYear.flat();
  const mm = (g: unknown) => String(g).slice(5);
  const series = [...new Set([...monthly.rows, ...lastYear.rows].map((r) => String(r.careType)))].sort().flatMap((c) => [
    { name: `${year(from)} ${careLabel(c)}`, points: monthly.rows.filter((r) => r.careType === c && shown(r.meanDays)).map((r) => ({ label: mm(r.group), value: Number(r.meanDays) })) },
    { name: `${year(from) - 1} ${careLabel(c)}`, points: lastYear.rows.filter((r) => r.careType === c && shown(r.meanDays)).map((r) => ({ label: mm(r.group), value: Number(r.meanDays) })) },
  ]);
  const monthRows = [...monthly.rows, ...lastYear.rows].sort((a, b) => String(a.group).localeCompare(String(b.group)) || String(a.careType).localeCompare(String(b.careType)));
  const k1000 = per1000.rows.filter((r) => shown(r.episodesPer1000Inv));
  return [...withheldNote([monthly, areas, ages, per1000]),
    section('per-year', t('reports.a.year'), [
      barChart(t('reports.a.year'), careSeries(yearRows, 'meanDays', (r) => String(r.group)), [], (l, s) => void drill({ ...yearOf(Number(l)), careType: careOf(s), counted: 'utklar' }, `${l} ${s}`), careGroups(yearRows)),
      table('per-year-table', t('reports.a.year'), meanCols({ key: 'group', title: t('reports.year') }, (r) => yearOf(Number(r.group)), (r) => `${String(r.group)} ${careLabel(r.careType)}`), yearRows, (r) => `${String(r.group)}|${String(r.careType)}`),
    ], null, t('analytics.monthly.note')),
    section('per-month', t('reports.a.month'), [
      lineChart(t('reports.a.month'), series, (l, s) => { const y = s.split(' ')[0]!; void drill({ ...monthOf(`${y}-${l}`), careType: careOf(s.slice(y.length + 1)), counted: 'utklar' }, `${y}-${l} ${s.slice(y.length + 1)}`); }),
      table('per-month-table', t('reports.a.month'), meanCols({ key: 'group', title: t('reports.month') }, (r) => monthOf(String(r.group)), (r) => `${String(r.group)} ${careLabel(r.careType)}`), monthRows, (r) => `${String(r.group)}|${String(r.careType)}`),
    ], csv('indicators/mean-days', { groupBy: 'month' }), t('analytics.monthly.note')),
    section('business-areas', t('reports.a.area'), [
      barChart(t('reports.a.area'), careSeries(areas.rows, 'days', (r) => String(r.group)), [], (l, s) => void drill({ businessArea: l, careType: careOf(s), counted: 'utklar' }, `${l} ${s}`), careGroups(areas.rows)),
      table('business-areas-table', t('reports.a.area'), meanCols({ key: 'group', title: t('reports.f.businessArea') }, (r) => ({ businessArea: String(r.group) }), (r) => `${String(r.group)} ${careLabel(r.careType)}`), areas.rows, (r) => `${String(r.group)}|${String(r.careType)}`),
    ], csv('indicators/mean-days', { groupBy: 'businessArea' })),
    section('per-1000', t('reports.a.per1000', { population: populationText(per1000) }), [
      horizontalBarChart(t('reports.a.per1000', { population: populationText(per1000) }), k1000.map((r) => ({ label: `${kommun(String(r.kommun))} ${careLabel(r.careType)}`, value: Number(r.episodesPer1000Inv) })), [],
        (l) => { const r = k1000.find((x) => `${kommun(String(x.kommun))} ${careLabel(x.careType)}` === l); if (r) void drill({ kommun: String(r.kommun), careType: String(r.careType), counted: 'utklar' }, l); }),
      table('per-1000-table', t('reports.a.per1000', { population: populationText(per1000) }), [
        { key: 'kommun', title: t('field.kommun'), show: (v) => kommun(String(v)) },
        { key: 'careType', title: t('field.careType'), show: careLabel },
        { key: 'episodes', title: t('reports.episodes1'), show: (v) => num(v), drill: (r) => [{ kommun: String(r.kommun), careType: String(r.careType), counted: 'utklar' }, `${kommun(String(r.kommun))} ${careLabel(r.careType)}`] },
        { key: 'populationTotal', title: t('reports.population'), show: (v) => num(v) },
        { key: 'episodesPer1000Inv', title: t('reports.episodesPer1000'), show: (v) => num(v, 2) },
      ], per1000.rows, (r) => `${String(r.kommun)}|${String(r.careType)}`),
    ], csv('indicators/per-1000')),
    section('age-groups', t('reports.a.age'), [
      barChart(t('reports.a.age'), careSeries(ages.rows, 'meanDays', (r) => label(AGE_GROUP, String(r.group), lang)), [], (l, s) => void drill({ ageGroup: codeOf(AGE_GROUP, l, lang) ?? l, careType: careOf(s), counted: 'utklar' }, `${l} ${s}`), careGroups(ages.rows)),
      table('age-groups-table', t('reports.a.age'), meanCols({ key: 'group', title: t('analytics.ageGroup'), show: (v) => label(AGE_GROUP, String(v), lang) }, (r) => ({ ageGroup: String(r.group) }), (r) => `${String(r.group)} ${careLabel(r.careType)}`), ages.rows, (r) => `${String(r.group)}|${String(r.careType)}`),
    ], csv('indicators/mean-days', { groupBy: 'ageGroup' })),
  ];
}

function populationText(a: Answer, denominator = 'total'): string {
  const p = a.populations?.find((x) => x.denominator === denominator);
  if (!p) return t('analytics.populationUnknown');
  if (p.year === null) return t('analytics.populationMissing', { year: p.wantedYear });
  return t(p.latestAvailable ? 'analytics.populationLatest' : 'analytics.population', { year: p.year });
}

/** Bubbeldiagram: days per 1 000 invånare against episodes per 1 000, a bubble per kommun named in its tooltip. */
async function bubblor(): Promise<HTMLElement[]> {
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

/** Inneliggande: who waits now, per home kommun, per recipient kommun, per klinik and per vårdenhet, in delay bands. */
async function inneliggande(): Promise<HTMLElement[]> {
  const by = ['municipality', 'recipientMunicipality', 'clinic', 'ward'] as const;
  const answers = await Promise.all(by.map((g) => get('waiting', { groupBy: g, status: '' })));
  const titles: Record<(typeof by)[number], MessageKey> = { municipality: 'reports.i.municipality', recipientMunicipality: 'reports.i.recipient', clinic: 'reports.i.clinic', ward: 'reports.i.ward' };
  return [...withheldNote(answers), ...by.map((g, i) => {
    const a = answers[i]!;
    const name = (r: Row) => groupName(g, r.group);
    const sel = (r: Row, band?: string) => ({ ...groupFilter(g, r.group), counted: 'waiting', ...(band ? { band } : {}) });
    return section(`waiting-${g}`, t(titles[g]), [
      barChart(t(titles[g]), a.rows.flatMap((r) => BANDS.map((b) => ({ label: name(r), value: r[`band_${b}`], name: t('reports.i.band', { band: b }) }))).filter((b) => shown(b.value) && Number(b.value) > 0).map((b) => ({ ...b, value: Number(b.value) })), [],
        (l, s) => { const r = a.rows.find((x) => name(x) === l); const b = BANDS.find((x) => t('reports.i.band', { band: x }) === s); if (r) void drill(sel(r, b), `${l}: ${s}`); }, BANDS.map((b) => t('reports.i.band', { band: b }))),
      table(`waiting-${g}-table`, t(titles[g]), [
        { key: 'group', title: t(`reports.g.${g}`), show: (v) => groupName(g, v) },
        { key: 'waiting', title: t('reports.i.waiting'), show: (v) => num(v), drill: (r) => [sel(r), `${name(r)}: ${t('reports.i.waiting')}`] },
        { key: 'paymentDays', title: t('field.paymentDays'), show: (v) => num(v) },
        ...BANDS.map((b): Col => ({ key: `band_${b}`, title: t('reports.i.band', { band: b }), show: (v) => num(v), drill: (r) => [sel(r, b), `${name(r)}: ${t('reports.i.band', { band: b })}`] })),
      ], a.rows, (r) => String(r.group)),
    ], csv('waiting', { groupBy: g, status: '' }));
  })];
}

/** Spårfärg per month (line) and for the period (pie); fast vårdkontakt the same. */
async function sparfarg(): Promise<HTMLElement[]> {
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

/** Återinläggningar: share or count; this year vs last per month; admissions vs readmissions; by discharging clinic; per kommun, vårdcentral, klinik. */
async function aterinlaggningar(): Promise<HTMLElement[]> {
  const measure = url.get('measure') === 'count' ? 'count' : 'share';
  const [monthly, byClinic, ...groups] = await Promise.all([
    get('readmissions', { groupBy: 'month' }), get('readmissions', { groupBy: 'indexClinic' }),
    ...(['municipality', 'primaryCareUnit', 'clinic'] as const).map((g) => get('readmissions', { groupBy: g })),
  ]);
  const from = filters().get('from')!;
  const y = year(from);
  const value = (r: Row, prefix = '') => {
    const [a, rd] = prefix ? [r.previousYearAdmissions, r.previousYearReadmissions] : [r.admissions, r.readmissions];
    if (measure === 'count') return shown(rd) ? Number(rd) : null;
    if (!prefix) return shown(r.share) ? Number(r.share) * 100 : null;
    return shown(a) && shown(rd) && Number(a) > 0 ? (Number(rd) / Number(a)) * 100 : null;
  };
  const toggle = el('p', { id: 'measure' }, t('reports.r.measure'), ' ', ...(['share', 'count'] as const).flatMap((m) => [m === measure ? el('strong', { 'aria-current': 'true' }, t(`reports.r.${m}`)) : el('a', { href: pageUrl({ measure: m }), 'data-measure': m }, t(`reports.r.${m}`)), ' ']));
  const mm = (g: unknown) => String(g).slice(5);
  const [adm, rdm] = [t('analytics.readmissions.admissions'), t('analytics.readmissions.readmissions')];
  const measureTitle = t(measure === 'count' ? 'reports.r.count' : 'reports.r.share');
  const titles = { municipality: 'reports.r.municipality', primaryCareUnit: 'reports.r.primaryCareUnit', clinic: 'reports.r.clinic' } as const;
  const total = byClinic.rows.reduce((s, r) => s + Number(r.readmissions ?? 0), 0);
  // Sidan 3: the de-identified rows behind the charts, every readmission of the selection.
  const rowsButton = Object.assign(button(t('reports.r.rows'), () => void drill({ counted: 'readmission' }, t('reports.r.rowsWhat'))), { id: 'readm-rows' });
  return [toggle, ...withheldNote([monthly, ...groups]),
    section('readm-years', t('reports.r.years', { measure: measureTitle }), [
      lineChart(t('reports.r.years', { measure: measureTitle }), [
        { name: String(y), points: monthly.rows.map((r) => ({ label: mm(r.group), value: value(r) })) },
        { name: String(y - 1), points: monthly.rows.map((r) => ({ label: mm(r.group), value: value(r, 'previousYear') })) },
      ], (l, s) => void drill({ ...monthOf(`${s}-${l}`), counted: 'readmission' }, `${s}-${l}: ${rdm}`)),
      table('readm-years-table', t('reports.r.years', { measure: measureTitle }), [
        { key: 'month', title: t('reports.month') },
        { key: 'thisYear', title: String(y), show: (v) => (measure === 'count' ? num(v) : pct(v === null ? null : Number(v) / 100)),
          drill: (r) => [{ ...monthOf(`${y}-${String(r.month)}`), counted: 'readmission' }, `${y}-${String(r.month)}: ${rdm}`] },
        { key: 'lastYear', title: String(y - 1), show: (v) => (measure === 'count' ? num(v) : pct(v === null ? null : Number(v) / 100)),
          drill: (r) => [{ ...monthOf(`${y - 1}-${String(r.month)}`), counted: 'readmission' }, `${y - 1}-${String(r.month)}: ${rdm}`] },
      ], monthly.rows.map((r) => ({ month: mm(r.group), thisYear: value(r), lastYear: value(r, 'previousYear') })), (r) => String(r.month)),
    ], csv('readmissions', { groupBy: 'month' })),
    section('readm-months', t('reports.r.bars'), [
      barChart(t('reports.r.bars'), monthly.rows.flatMap((r) => [{ label: mm(r.group), value: r.admissions, name: adm }, { label: mm(r.group), value: r.readmissions, name: rdm }]).filter((b) => shown(b.value)).map((b) => ({ ...b, value: Number(b.value) })), [],
        (l, s) => void drill({ ...monthOf(`${y}-${l}`), counted: s === adm ? 'admitted' : 'readmission' }, `${y}-${l}: ${s}`), [adm, rdm]),
      table('readm-months-table', t('reports.r.bars'), [
        { key: 'group', title: t('reports.month') },
        { key: 'admissions', title: adm, show: (v) => num(v), drill: (r) => [{ ...monthOf(String(r.group)), counted: 'admitted' }, `${String(r.group)}: ${adm}`] },
        { key: 'readmissions', title: rdm, show: (v) => num(v), drill: (r) => [{ ...monthOf(String(r.group)), counted: 'readmission' }, `${String(r.group)}: ${rdm}`] },
        { key: 'share', title: t('reports.r.share'), show: pct },
        { key: 'previousYearAdmissions', title: t('reports.r.prevAdmissions'), show: (v) => num(v) },
        { key: 'previousYearReadmissions', title: t('reports.r.prevReadmissions'), show: (v) => num(v) },
      ], monthly.rows, (r) => String(r.group)),
    ], csv('readmissions', { groupBy: 'month' }), t('analytics.readmissions.note')),
    section('readm-index-clinic', t('reports.r.indexClinic'), [
      el('div', { class: 'pies' },
        // Bild 3 (andel) and Bild 4 (antal): one pie each, the same slices.
        pieChart(t('reports.r.indexClinicShare'), byClinic.rows.filter((r) => shown(r.readmissions) && total > 0).map((r) => ({ label: String(r.indexClinic) || t('reports.unknown'), value: Math.round((Number(r.readmissions) / total) * 1000) / 10 })),
          (l) => void drill({ indexClinic: l, counted: 'readmission' }, `${t('reports.r.indexClinic')}: ${l}`)),
        pieChart(t('reports.r.indexClinicCount'), byClinic.rows.filter((r) => shown(r.readmissions)).map((r) => ({ label: String(r.indexClinic) || t('reports.unknown'), value: Number(r.readmissions) })),
          (l) => void drill({ indexClinic: l, counted: 'readmission' }, `${t('reports.r.indexClinic')}: ${l}`))),
      table('readm-index-clinic-table', t('reports.r.indexClinic'), [
        { key: 'indexClinic', title: t('reports.f.clinic') },
        { key: 'readmissions', title: rdm, show: (v) => num(v), drill: (r) => [{ indexClinic: String(r.indexClinic), counted: 'readmission' }, `${t('reports.r.indexClinic')}: ${String(r.indexClinic)}`] },
        { key: 'shareOfAll', title: t('reports.r.shareOfAll'), show: pct },
      ], byClinic.rows.map((r) => ({ ...r, shareOfAll: shown(r.readmissions) && total > 0 ? Number(r.readmissions) / total : null })), (r) => String(r.indexClinic)),
    ], csv('readmissions', { groupBy: 'indexClinic' })),
    ...(['municipality', 'primaryCareUnit', 'clinic'] as const).map((g, i) => {
      const a = groups[i]!;
      const name = (r: Row) => groupName(g, r.group);
      return section(`readm-${g}`, t(titles[g], { measure: measureTitle }), [
        horizontalBarChart(t(titles[g], { measure: measureTitle }), a.rows.filter((r) => value(r) !== null).map((r) => ({ label: name(r), value: value(r)! })), [],
          (l) => { const r = a.rows.find((x) => name(x) === l); if (r) void drill({ ...groupFilter(g, r.group), counted: 'readmission' }, `${l}: ${rdm}`); }),
        table(`readm-${g}-table`, t(titles[g], { measure: measureTitle }), [
          { key: 'group', title: t(`reports.g.${g}`), show: (v) => groupName(g, v) },
          { key: 'admissions', title: adm, show: (v) => num(v), drill: (r) => [{ ...groupFilter(g, r.group), counted: 'admitted' }, `${name(r)}: ${adm}`] },
          { key: 'readmissions', title: rdm, show: (v) => num(v), drill: (r) => [{ ...groupFilter(g, r.group), counted: 'readmission' }, `${name(r)}: ${rdm}`] },
          { key: 'share', title: t('reports.r.share'), show: pct },
        ], a.rows, (r) => String(r.group)),
      ], csv('readmissions', { groupBy: g }));
    }),
    section('readm-rows-section', t('reports.r.rowsTitle'), [el('p', {}, rowsButton)], `/api/v1/rows?${filters({ counted: 'readmission', format: 'csv', limit: '10000' })}`),
  ];
}

/** Väntetider.se: medelvårdtid, måluppfyllelse, vårdtid per 1 000 inv 65+, belagda vårdplatser, variation; somatic and psychiatric apart. */
async function vantetider(areas: Areas, scope: string): Promise<HTMLElement[]> {
  const both = { careType: '' };
  const from = filters().get('from')!;
  const to = filters().get('to')!;
  // Belagda vårdplatser per year (Väntetider.se: "i genomsnitt för åren …"): the period's years and the two before, up to this one.
  const thisYear = new Date().getFullYear();
  const bedYears = Array.from({ length: Math.min(year(to), thisYear) - year(from) + 3 }, (_, i) => year(from) - 2 + i).filter((y) => y <= thisYear);
  const [meanA, goal, per1000, beds, bedsByWard, variation, byKommun, bedsPerYear] = await Promise.all([
    get('indicators/mean-days', { groupBy: 'none', ...both }), get('indicators/goal-fulfilment', { groupBy: 'none', ...both }), get('indicators/per-1000', both),
    get('indicators/occupied-beds', { groupBy: 'none', ...both }), get('indicators/occupied-beds', { groupBy: 'ward', ...both }), get('indicators/variation', both),
    get('indicators/mean-days', { groupBy: 'municipality', ...both }),
    Promise.all(bedYears.map(async (y) => (await get('indicators/occupied-beds', { groupBy: 'none', ...both, ...yearOf(y) })).rows.map((r) => ({ ...r, group: String(y) })))),
  ]);
  const bedYearRows = bedsPerYear.flat();
  const cares = ['SOMATIC', 'PSYCHIATRIC'];
  // Per 1 000 inv 65+ over the län's kommuner (its residents' days ÷ its 65+ population), as Väntetider.se counts a region.
  const lan = scope.startsWith('region:') ? scope.slice(7) : undefined;
  const lanKommuner = new Set(areas.municipalities.filter((m) => m.county === lan).map((m) => m.code));
  const pop65 = [...lanKommuner].reduce((s, k) => s + (areas.population65.figures[k] ?? 0), 0);
  const summary = cares.map((c) => {
    const m = meanA.rows.find((r) => r.careType === c);
    const g = goal.rows.find((r) => r.careType === c);
    const b = beds.rows.find((r) => r.careType === c);
    const v = variation.rows.find((r) => r.careType === c);
    const days = per1000.rows.filter((r) => r.careType === c && lanKommuner.has(String(r.kommun))).reduce((s, r) => s + Number(r.days ?? 0), 0);
    return {
      careType: c, episodes: m?.episodes ?? 0, meanDays: m?.meanDays ?? null, goalEpisodes: g?.episodes ?? 0, goalShare: g?.share ?? null,
      daysPer1000Inv65: lan && pop65 > 0 ? (days / pop65) * 1000 : null, occupiedBeds: b?.occupiedBeds ?? 0, per100Beds: b?.per100Beds ?? null,
      overcrowded: b?.overcrowded ?? null, outlying: b?.outlying ?? null, min: v?.min ?? null, max: v?.max ?? null, stdDev: v?.stdDev ?? null,
    } as Row;
  });
  const names = (list: unknown) => ((list as string[] | undefined) ?? []).map((k) => kommunName(k) ?? k).join(', ');
  return [...withheldNote([meanA, goal, per1000]),
    section('vt-summary', t('reports.v.summary'), [
      barChart(t('reports.v.meanChart'), summary.filter((r) => shown(r.meanDays)).map((r) => ({ label: careLabel(r.careType), value: Number(r.meanDays) })), [],
        (l) => void drill({ careType: careOf(l), counted: 'utklar' }, `${t('reports.meanDays')} ${l}`)),
      table('vt-summary-table', t('reports.v.summary'), [
        { key: 'careType', title: t('field.careType'), show: careLabel },
        { key: 'episodes', title: t('reports.episodes1'), show: (v) => num(v), drill: (r) => [{ careType: String(r.careType), counted: 'utklar' }, `${careLabel(r.careType)}: ${t('reports.episodes1')}`] },
        { key: 'meanDays', title: t('reports.v.mean'), show: mean },
        { key: 'goalEpisodes', title: t('reports.v.goalEpisodes'), show: (v) => num(v), drill: (r) => [{ careType: String(r.careType), counted: 'ready' }, `${careLabel(r.careType)}: ${t('reports.v.goalEpisodes')}`] },
        { key: 'goalShare', title: t('reports.v.goal'), show: pct },
        { key: 'daysPer1000Inv65', title: t('reports.v.per1000', { population: populationText(per1000, '65+') }), show: (v) => num(v, 2) },
        { key: 'occupiedBeds', title: t('reports.v.beds'), show: (v) => num(v, 2) },
        { key: 'per100Beds', title: t('reports.v.per100'), show: (v) => num(v, 2) },
        { key: 'overcrowded', title: t('reports.v.overcrowded'), show: (v) => num(v, 2) },
        { key: 'outlying', title: t('reports.v.outlying'), show: (v) => num(v, 2) },
      ], summary, (r) => String(r.careType)),
    ], null, lan ? t('reports.v.note', { county: county(lan) }) : t('reports.v.noteNoCounty')),
    section('vt-variation', t('reports.v.variation'), [
      ...cares.filter((c) => variation.rows.some((r) => r.careType === c)).map((c) => {
        const v = variation.rows.find((r) => r.careType === c)!;
        const bars = byKommun.rows.filter((r) => r.careType === c && shown(r.meanDays)).sort((x, y) => Number(x.meanDays) - Number(y.meanDays));
        return horizontalBarChart(`${t('reports.v.variationChart')} (${careLabel(c)})`, bars.map((r) => ({ label: kommun(String(r.group)), value: Number(r.meanDays) })),
          [{ name: t('analytics.municipalities.min'), value: Number(v.min) }, { name: t('analytics.municipalities.max'), value: Number(v.max) }, { name: t('analytics.municipalities.stdDev'), value: Number(v.stdDev) }],
          (l) => { const r = bars.find((x) => kommun(String(x.group)) === l); if (r) void drill({ kommun: String(r.group), careType: c, counted: 'utklar' }, `${l} ${careLabel(c)}`); });
      }),
      table('vt-kommun-means-table', t('reports.v.variationChart'), meanCols({ key: 'group', title: t('field.kommun'), show: (v) => kommun(String(v)) }, (r) => ({ kommun: String(r.group) }), (r) => `${kommun(String(r.group))} ${careLabel(r.careType)}`),
        byKommun.rows, (r) => `${String(r.group)}|${String(r.careType)}`),
      table('vt-variation-table', t('reports.v.variation'), [
        { key: 'careType', title: t('field.careType'), show: careLabel },
        { key: 'municipalities', title: t('reports.v.kommuner'), show: (v) => num(v) },
        { key: 'min', title: t('analytics.municipalities.min'), show: mean },
        { key: 'max', title: t('analytics.municipalities.max'), show: mean },
        { key: 'stdDev', title: t('analytics.municipalities.stdDev'), show: (v) => num(v, 2) },
        { key: 'lowest20', title: t('reports.v.lowest'), show: names },
        { key: 'highest20', title: t('reports.v.highest'), show: names },
      ], variation.rows, (r) => String(r.careType)),
    ], csv('indicators/variation', both)),
    section('vt-per1000', t('reports.v.per1000Kommun', { population: populationText(per1000, '65+') }), [
      horizontalBarChart(t('reports.v.per1000Kommun', { population: populationText(per1000, '65+') }), per1000.rows.filter((r) => shown(r.daysPer1000Inv65)).map((r) => ({ label: `${kommun(String(r.kommun))} ${careLabel(r.careType)}`, value: Number(r.daysPer1000Inv65) })), [],
        (l) => { const r = per1000.rows.find((x) => `${kommun(String(x.kommun))} ${careLabel(x.careType)}` === l); if (r) void drill({ kommun: String(r.kommun), careType: String(r.careType), counted: 'utklar' }, l); }),
      table('vt-per1000-table', t('reports.v.per1000Kommun', { population: populationText(per1000, '65+') }), [
        { key: 'kommun', title: t('field.kommun'), show: (v) => kommun(String(v)) },
        { key: 'careType', title: t('field.careType'), show: careLabel },
        { key: 'days', title: t('reports.days'), show: (v) => num(v) },
        { key: 'population65', title: t('reports.population65'), show: (v) => num(v) },
        { key: 'daysPer1000Inv65', title: t('reports.v.per1000', { population: '' }).trim(), show: (v) => num(v, 2) },
      ], per1000.rows, (r) => `${String(r.kommun)}|${String(r.careType)}`),
    ], csv('indicators/per-1000', both), apiNote(per1000)),
    section('vt-beds-years', t('reports.v.bedsYears'), [
      barChart(t('reports.v.bedsYears'), careSeries(bedYearRows, 'occupiedBeds', (r) => String(r.group)), [], (l, s) => void drill({ ...yearOf(Number(l)), careType: careOf(s), counted: 'occupied' }, `${l} ${s}`), careGroups(bedYearRows)),
      table('vt-beds-years-table', t('reports.v.bedsYears'), [
        { key: 'group', title: t('reports.year') },
        { key: 'careType', title: t('field.careType'), show: careLabel },
        { key: 'bedDays', title: t('reports.v.bedDays'), show: (v) => num(v), drill: (r) => [{ ...yearOf(Number(r.group)), careType: String(r.careType), counted: 'occupied' }, `${String(r.group)} ${careLabel(r.careType)}`] },
        { key: 'days', title: t('reports.v.daysInYear'), show: (v) => num(v) },
        { key: 'occupiedBeds', title: t('reports.v.beds'), show: (v) => num(v, 2) },
        { key: 'per100Beds', title: t('reports.v.per100'), show: (v) => num(v, 2) },
      ], bedYearRows, (r) => `${String(r.group)}|${String(r.careType)}`),
    ], null, t('reports.v.bedsNote')),
    section('vt-beds', t('reports.v.bedsWard'), [
      barChart(t('reports.v.bedsWard'), careSeries(bedsByWard.rows, 'occupiedBeds', (r) => String(r.group)), [], (l, s) => void drill({ ...groupFilter('ward', l), careType: careOf(s), counted: 'occupied' }, `${l} ${s}`), careGroups(bedsByWard.rows)),
      table('vt-beds-table', t('reports.v.bedsWard'), [
        { key: 'group', title: t('reports.g.ward') },
        { key: 'careType', title: t('field.careType'), show: careLabel },
        { key: 'bedDays', title: t('reports.v.bedDays'), show: (v) => num(v), drill: (r) => [{ ...groupFilter('ward', r.group), careType: String(r.careType), counted: 'occupied' }, `${String(r.group)} ${careLabel(r.careType)}`] },
        { key: 'occupiedBeds', title: t('reports.v.beds'), show: (v) => num(v, 2) },
        { key: 'availableBeds', title: t('reports.v.available'), show: (v) => num(v, 1) },
        { key: 'per100Beds', title: t('reports.v.per100'), show: (v) => num(v, 2) },
        { key: 'overcrowded', title: t('reports.v.overcrowded'), show: (v) => num(v, 2) },
        { key: 'outlying', title: t('reports.v.outlying'), show: (v) => num(v, 2) },
      ], bedsByWard.rows, (r) => `${String(r.group)}|${String(r.careType)}`),
    ], csv('indicators/occupied-beds', { groupBy: 'ward', ...both }), apiNote(bedsByWard)),
  ];
}
const apiNote = (a: Answer) => (a.notes.length === 0 ? '' : el('span', {}, t('common.apiNotes'), el('span', { lang: 'en', translate: 'no' }, a.notes.join('; '))));

/** Delay reasons: episodes and days by reason and by responsible party, over time. */
async function orsaker(): Promise<HTMLElement[]> {
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

// ---------------------------------------------------------------------------------------------
// The page: the report's links, the listboxes, the URL

/** This page's URL with the report, the filters and `extra` ('' removes a parameter). */
function pageUrl(extra: Record<string, string> = {}): string {
  const q = filters();
  q.set('report', report());
  for (const keep of ['measure', 'rows']) if (url.get(keep)) q.set(keep, url.get(keep)!);
  for (const [k, v] of Object.entries(extra)) if (v === '') q.delete(k); else q.set(k, v);
  return withLang(`/reports.html?${q}`);
}

function select(name: string, title: string, options: [string, string][], multiple = false): HTMLLabelElement {
  const s = el('select', { name, id: `f-${name}`, ...(multiple ? { multiple: '', size: '5' } : {}) }, ...options.map(([v, text]) => el('option', { value: v }, text)));
  return el('label', { for: `f-${name}` }, el('span', {}, title), ' ', s);
}

async function listOf(groupBy: string): Promise<string[]> {
  const f = filters();
  const a = await api<Answer>(`/api/v1/overview?${new URLSearchParams({ groupBy, from: f.get('from')!, to: f.get('to')! })}`).catch(() => ({ rows: [], notes: [] }));
  return [...new Set(a.rows.map((r) => String(r.group)).filter(Boolean))].sort((x, y) => x.localeCompare(y, 'sv'));
}

async function buildFilters(areas: Areas, scope: string): Promise<void> {
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

function nav(): void {
  const current = report();
  document.querySelector('#report-nav')!.replaceChildren(el('ul', { class: 'report-nav' }, ...REPORTS.map((r) => el('li', {},
    el('a', { href: pageUrl({ report: r, measure: r === 'aterinlaggningar' ? url.get('measure') ?? '' : '' }), 'data-report': r, ...(r === current ? { 'aria-current': 'page', class: 'active' } : {}) }, t(REPORT_TITLE[r]))))));
}

async function render(areas: Areas, scope: string): Promise<void> {
  const box = document.querySelector('#report')!;
  box.replaceChildren(el('p', {}, t('common.loading')));
  document.querySelector<HTMLElement>('#drill')!.hidden = true;
  const r = report();
  document.title = `utklar – ${t(REPORT_TITLE[r])}`;
  const parts = await ({ oversikt, analys, bubblor, inneliggande, sparfarg, aterinlaggningar, orsaker, vantetider: () => vantetider(areas, scope) } as Record<Report, () => Promise<HTMLElement[]>>)[r]();
  box.replaceChildren(el('h1', { id: 'report-title' }, t(REPORT_TITLE[r])), ...parts);
  box.setAttribute('data-loaded', r);
}

async function main(): Promise<void> {
  translatePage();
  const who = await me();
  if (who.kind === 'audit') {
    location.replace(withLang(startPage(who)));
    return;
  }
  const areas = await loadAreas();
  document.body.prepend(header('reports', who));
  await buildFilters(areas, who.scope);
  nav();
  form().addEventListener('submit', (ev) => {
    ev.preventDefault();
    // The view is the URL: submitting writes the filters there (a shared link opens the same).
    location.href = pageUrl();
  });
  await render(areas, who.scope);
}

void main().catch((e) => (document.querySelector('#report')!.textContent = t('common.error', { message: (e as Error).message })));
