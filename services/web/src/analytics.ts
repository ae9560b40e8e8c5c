import { api, el, header, kommun, loadAreas, signedInFor } from './common.ts';
import { county } from './areas.ts';
import { barChart, bubbleChart, lineChart, pieChart } from './charts.ts';
import { AGE_GROUP, CARE_TYPE, TRACK_COLOUR, codeOf, label } from './codes.ts';
import { date, lang, number, t, translatePage, type MessageKey } from './i18n.ts';

/** The seed reports as pictures: each chart has its table's CSV and a click-through to the rows. */
type Rows = { rows: Record<string, unknown>[]; notes: string[] };
type Population = { denominator: string; wantedYear: number; year: number | null; latestAvailable: boolean };
const COLOURS: Record<keyof typeof TRACK_COLOUR, string> = { NONE: '#999', BLUE: '#1f6feb', GREEN: '#2e8b57', YELLOW: '#d4a017', RED: '#c0392b' };
const colourLabel = (code: string) => label(TRACK_COLOUR, code, lang);

/** What the bubble chart divides by, from the API's structured answer (its `label` is Swedish only). */
function populationText(p: Population | undefined): string {
  if (!p) return t('analytics.populationUnknown');
  if (p.year === null) return t('analytics.populationMissing', { year: p.wantedYear });
  return t(p.latestAvailable ? 'analytics.populationLatest' : 'analytics.population', { year: p.year });
}

/** The API's notes are English whatever the page's language: said so, and marked for screen readers. */
const apiNotes = (notes: string[]) => (notes.length === 0 ? '' : el('span', {}, t('common.apiNotes'), el('span', { lang: 'en', translate: 'no' }, notes.join('; '))));

function params(extra: Record<string, string> = {}): string {
  const form = document.querySelector<HTMLFormElement>('#filters')!;
  const q = new URLSearchParams();
  for (const [k, v] of new FormData(form)) if (String(v)) q.set(k, String(v));
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q.toString();
}

/** A chart's figures as a table (its text alternative): `rows` already formatted, the first cell of each the row's header. */
type Cells = { text: string; value: string }[];
const cells = (...values: (string | number | null | undefined)[]): Cells => values.map((v) => ({ text: v === null || v === undefined ? '–' : typeof v === 'number' ? number(v, 0, 2) : v, value: v === null || v === undefined ? '' : String(v) }));
interface Figures { headers: string[]; rows: Cells[] }
const figures = (headers: string[], rows: Cells[]): Figures => ({ headers, rows });

function section({ id, table: f }: { id: string; table: Figures }, title: string, chart: SVGElement, csv: string, note: string | HTMLElement): HTMLElement {
  const table = el('table', { id: `${id}-table`, class: 'figures' }, el('caption', {}, title),
    el('thead', {}, el('tr', {}, ...f.headers.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, ...f.rows.map((r) => el('tr', {}, ...r.map((c, i) => el(i === 0 ? 'th' : 'td', { ...(i === 0 ? { scope: 'row' } : { class: 'num' }), 'data-value': c.value }, c.text))))));
  return el('section', { id, class: 'card' }, el('h2', {}, title), chart, table, el('p', { class: 'note' }, note, ' ', el('a', { href: csv, download: `${id}.csv` }, t('common.downloadCsv'))));
}

/** The drill-down's columns, and how each value reads in the page's language. */
const DRILL: [string, MessageKey, (v: unknown) => string][] = [
  ['episodeId', 'field.episodeId', String],
  ['kommun', 'field.kommun', (v) => kommun(String(v))],
  ['hospital', 'field.hospital', String],
  ['ward', 'field.ward', String],
  ['careType', 'field.careType', (v) => label(CARE_TYPE, String(v), lang)],
  ['ageGroup', 'field.ageGroup', (v) => label(AGE_GROUP, String(v), lang)],
  ['admitted', 'field.admitted', (v) => day(v)],
  ['discharged', 'field.discharged', (v) => day(v)],
  ['utklarDays', 'field.utklarDays', (v) => number(Number(v))],
  ['paymentDays', 'field.paymentDays', (v) => number(Number(v))],
  ['trackColour', 'field.trackColour', (v) => colourLabel(String(v))],
];
const day = (v: unknown) => (/^\d{4}-\d{2}-\d{2}$/.test(String(v)) ? date(String(v)) : String(v ?? ''));

const PAGE = 200;
/** The rows a chart element counts (rows?counted=), a page of 200 at a time, with their CSV. */
async function drill(filter: Record<string, string>, what: string, offset = 0): Promise<void> {
  const q = params({ ...filter, limit: String(PAGE + 1), offset: String(offset) });
  const r = await api<Rows>(`/api/v1/rows?${q}`);
  const more = r.rows.length > PAGE;
  r.rows = r.rows.slice(0, PAGE);
  const box = document.querySelector('#drill')!;
  const page = (label: MessageKey, at: number, id: string) => {
    const b = el('button', { type: 'button', id }, t(label));
    b.addEventListener('click', () => void drill(filter, what, at));
    return b;
  };
  box.replaceChildren(
    el('h2', {}, t('analytics.drill.title', { what, count: `${number(offset + r.rows.length)}${more ? '+' : ''}` })),
    el('a', { href: `/api/v1/rows?${params({ ...filter, format: 'csv', limit: '10000' })}` }, t('common.downloadCsv')),
    ...(offset > 0 ? [' ', page('reports.drill.previous', Math.max(0, offset - PAGE), 'drill-prev')] : []),
    ...(more ? [' ', page('reports.drill.next', offset + PAGE, 'drill-next')] : []),
    el('table', { id: 'drill-rows' }, el('thead', {}, el('tr', {}, ...DRILL.map(([c, title]) => el('th', { 'data-field': c }, t(title))))),
      el('tbody', {}, ...r.rows.map((row) => el('tr', {}, ...DRILL.map(([c, , show]) => el('td', { 'data-field': c }, row[c] === undefined || row[c] === null ? '' : show(row[c])))))))
  );
  box.scrollIntoView();
}

const year = (d: string) => Number(d.slice(0, 4));
/** A value withheld as a small cell (null, services/api/small-cells.ts) is left out of a chart rather than drawn as 0. */
const shown = (field: string) => (r: Record<string, unknown>) => r[field] !== null && r[field] !== undefined;

async function load(): Promise<void> {
  const main = document.querySelector('#charts')!;
  main.replaceChildren(el('p', {}, t('common.loading')));
  const form = document.querySelector<HTMLFormElement>('#filters')!;
  const from = (form.elements.namedItem('from') as HTMLInputElement).value;
  const to = (form.elements.namedItem('to') as HTMLInputElement).value;
  const prev = (s: string) => `${year(s) - 1}${s.slice(4)}`;
  const [monthly, lastYear, byKommun, variation, colours, readm, bubbles] = await Promise.all([
    api<Rows>(`/api/v1/indicators/mean-days?${params({ groupBy: 'month' })}`),
    api<Rows>(`/api/v1/indicators/mean-days?${params({ groupBy: 'month', from: prev(from), to: prev(to) })}`),
    api<Rows>(`/api/v1/indicators/mean-days?${params({ groupBy: 'municipality' })}`),
    api<Rows>(`/api/v1/indicators/variation?${params()}`),
    api<Rows>(`/api/v1/track-colours?${params()}`),
    api<Rows>(`/api/v1/readmissions?${params({ groupBy: 'month' })}`),
    api<Rows>(`/api/v1/indicators/per-1000?${params()}`),
  ]);
  const careType = (form.elements.namedItem('careType') as HTMLSelectElement).value || 'SOMATIC';
  const mine = (r: Rows) => r.rows.filter((x) => x.careType === careType);
  const month = (g: unknown) => String(g).slice(5);
  const v = variation.rows.find((x) => x.careType === careType);
  const period = colours.rows.find((x) => x.month === 'period');
  const population = populationText((bubbles as Rows & { populations?: Population[] }).populations?.find((p) => p.denominator === 'total'));
  const share = period?.fastVardkontaktShare === null || period === undefined ? '–' : t('common.percent', { value: number(Number(period.fastVardkontaktShare) * 100, 1) });
  const [admissions, readmissions] = [t('analytics.readmissions.admissions'), t('analytics.readmissions.readmissions')];
  // Small cells withheld for this scope (a municipality's): said once, above the charts.
  const withheld = [monthly, lastYear, byKommun, colours, readm, bubbles].some((r) => r.rows.some((x) => Array.isArray(x.suppressed)));
  const months = [...new Set([...mine(monthly), ...mine(lastYear)].map((r) => month(r.group)))].sort();
  const meanOf = (rows: Record<string, unknown>[], m: string) => { const r = rows.find((x) => month(x.group) === m); return r && shown('meanDays')(r) ? Number(r.meanDays) : null; };
  main.replaceChildren(
    ...(withheld ? [el('p', { class: 'note', id: 'withheld' }, t('analytics.withheld'))] : []),
    section({ table: figures([t('reports.month'), String(year(from)), String(year(from) - 1)], months.map((m) => cells(m, meanOf(mine(monthly), m), meanOf(mine(lastYear), m)))), id: 'monthly' }, t('analytics.monthly.title', { careType: label(CARE_TYPE, careType, lang) }),
      lineChart(t('analytics.monthly.chart'), [
        { name: String(year(from)), points: mine(monthly).filter(shown('meanDays')).map((r) => ({ label: month(r.group), value: Number(r.meanDays) })) },
        { name: String(year(from) - 1), points: mine(lastYear).filter(shown('meanDays')).map((r) => ({ label: month(r.group), value: Number(r.meanDays) })) },
      ], (label, series) => void drill({ counted: 'utklar', from: `${series}-${label}`, to: `${series}-${label}` }, t('analytics.monthly.drill', { month: `${series}-${label}` }))),
      `/api/v1/indicators/mean-days?${params({ groupBy: 'month', format: 'csv' })}`, t('analytics.monthly.note')),
    section({ table: figures([t('field.kommun'), t('reports.episodes1'), t('reports.days'), t('reports.meanDays')], mine(byKommun).map((r) => cells(kommun(String(r.group)), r.episodes as number, r.days as number, r.meanDays as number))), id: 'municipalities' }, t('analytics.municipalities.title'),
      barChart(t('analytics.municipalities.chart'), mine(byKommun).filter(shown('meanDays')).map((r) => ({ label: kommun(String(r.group)), value: Number(r.meanDays) })),
        v ? [{ name: t('analytics.municipalities.min'), value: Number(v.min) }, { name: t('analytics.municipalities.max'), value: Number(v.max) }, { name: t('analytics.municipalities.stdDev'), value: Number(v.stdDev) }] : [],
        (label) => void drill({ kommun: label.match(/\((\d{4})\)/)?.[1] ?? label, counted: 'utklar' }, label)),
      `/api/v1/indicators/mean-days?${params({ groupBy: 'municipality', format: 'csv' })}`, v ? t('analytics.municipalities.note', { lowest: (v.lowest20 as string[]).join(', '), highest: (v.highest20 as string[]).join(', ') }) : ''),
    section({ table: figures([t('field.trackColour'), t('reports.s.episodes')], (Object.keys(COLOURS) as (keyof typeof COLOURS)[]).map((c) => cells(colourLabel(c), period?.[`colour_${c}`] as number ?? 0))), id: 'colours' }, t('analytics.colours.title'),
      pieChart(t('analytics.colours.chart'), (Object.keys(COLOURS) as (keyof typeof COLOURS)[]).filter((c) => period?.[`colour_${c}`]).map((c) => ({ label: colourLabel(c), value: Number(period![`colour_${c}`]), colour: COLOURS[c] })),
        (label) => void drill({ trackColour: codeOf(TRACK_COLOUR, label, lang) ?? 'NONE', counted: 'ready' }, t('analytics.colours.drill', { colour: label }))),
      `/api/v1/track-colours?${params({ format: 'csv' })}`, t('analytics.colours.note', { share })),
    section({ table: figures([t('reports.month'), admissions, readmissions, t('reports.r.share')], readm.rows.map((r) => cells(String(r.group), r.admissions as number, r.readmissions as number, r.share === null ? null : t('common.percent', { value: number(Number(r.share) * 100, 1, 1) })))), id: 'readmissions' }, t('analytics.readmissions.title'),
      barChart(t('analytics.readmissions.chart'), readm.rows.flatMap((r) => [{ label: month(r.group), value: r.admissions, name: admissions }, { label: month(r.group), value: r.readmissions, name: readmissions }].filter((b) => b.value !== null).map((b) => ({ ...b, value: Number(b.value) }))), [],
        (label, series) => void drill({ from: `${year(from)}-${label}`, to: `${year(from)}-${label}`, counted: series === readmissions ? 'readmission' : 'admitted' }, t('analytics.readmissions.drill', { month: `${year(from)}-${label}` })), [admissions, readmissions]),
      `/api/v1/readmissions?${params({ format: 'csv' })}`, t('analytics.readmissions.note')),
    // Region Örebro's bubble chart: per 1 000 invånare (total population), the year used on the chart.
    section({ table: figures([t('field.kommun'), t('analytics.bubbles.x'), t('analytics.bubbles.y')], mine(bubbles).map((r) => cells(kommun(String(r.kommun)), r.episodesPer1000Inv as number, r.daysPer1000Inv as number))), id: 'bubbles' }, t('analytics.bubbles.title', { population }),
      bubbleChart(t('analytics.bubbles.chart'), mine(bubbles).filter((r) => r.daysPer1000Inv !== null).map((r) => ({ label: String(r.name ?? r.kommun), x: Number(r.episodesPer1000Inv), y: Number(r.daysPer1000Inv), size: Number(r.days) })),
        t('analytics.bubbles.x'), t('analytics.bubbles.y'), (label) => void drill({ kommun: String(bubbles.rows.find((r) => r.name === label)?.kommun ?? ''), counted: 'utklar' }, label), population),
      `/api/v1/indicators/per-1000?${params({ format: 'csv' })}`, apiNotes(bubbles.notes)),
  );
}

async function main(): Promise<void> {
  translatePage();
  const form = document.querySelector<HTMLFormElement>('#filters')!;
  for (const o of (form.elements.namedItem('careType') as HTMLSelectElement).options) o.textContent = label(CARE_TYPE, o.value, lang);
  const who = await signedInFor(['audit']);
  if (!who) return;
  const areas = await loadAreas();
  document.body.prepend(header('analytics', who));
  (form.elements.namedItem('lan') as HTMLSelectElement).append(...areas.counties.map((c) => el('option', { value: c.code }, county(c.code))), el('option', { value: 'utom' }, t('analytics.outsideCounty')));
  const y = new Date().getFullYear();
  (form.elements.namedItem('from') as HTMLInputElement).value ||= `${y}-01`;
  (form.elements.namedItem('to') as HTMLInputElement).value ||= `${y}-12`;
  const q = new URLSearchParams(location.search);
  for (const [k, v] of q) {
    const f = form.elements.namedItem(k) as HTMLInputElement | null;
    if (f) f.value = v;
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void load();
  });
  await load();
}

void main().catch((e) => (document.querySelector('#charts')!.textContent = t('common.error', { message: (e as Error).message })));
