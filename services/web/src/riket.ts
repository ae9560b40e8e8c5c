import { api, el, header, loadAreas, me } from './common.ts';
import { horizontalBarChart } from './charts.ts';
import { CARE_TYPE, label } from './codes.ts';
import { county } from './areas.ts';
import { lang, number, t, translatePage, withLang, type MessageKey } from './i18n.ts';
import { countyFigures, kommunFigures, type AreaFigures, type CountyFigures } from './riket-figures.ts';

/**
 * Riket (a national token): the 21 län side by side — medelvårdtid, måluppfyllelse, days per
 * 1 000 inv 65+ and the variation between each län's kommuner — and, for the län chosen, its
 * kommuner. The choice and the period live in the URL, so a view can be shared.
 */
type Rows = { rows: Record<string, unknown>[]; notes: string[] };

const form = () => document.querySelector<HTMLFormElement>('#filters')!;
const field = (name: string) => form().elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;

/** This page (or analytics) with the form's period and care type, and `lan` as given. */
function pageUrl(page: string, lan: string): string {
  const q = new URLSearchParams();
  for (const k of ['from', 'to', 'careType']) if (field(k).value) q.set(k, field(k).value);
  if (lan) q.set('lan', lan);
  return withLang(`/${page}?${q}`);
}

const period = () => new URLSearchParams({ from: field('from').value, to: field('to').value }).toString();

const dash = '–';
const decimal = (v: number | null, digits = 1) => (v === null ? dash : number(v, digits));
const share = (v: number | null) => (v === null ? dash : t('common.percent', { value: number(v * 100, 1) }));

interface Column<R> { key: string; title: MessageKey; show: (r: R) => string; value: (r: R) => number | null }
const FIGURES: Column<AreaFigures>[] = [
  { key: 'meanDays', title: 'riket.col.meanDays', show: (r) => decimal(r.meanDays), value: (r) => r.meanDays },
  { key: 'episodes', title: 'riket.col.episodes', show: (r) => number(r.episodes), value: (r) => r.episodes },
  { key: 'goalShare', title: 'riket.col.goal', show: (r) => share(r.goalShare), value: (r) => r.goalShare },
  { key: 'daysPer1000Inv65', title: 'riket.col.per1000', show: (r) => decimal(r.daysPer1000Inv65), value: (r) => r.daysPer1000Inv65 },
];
const VARIATION: Column<CountyFigures>[] = [
  { key: 'kommuner', title: 'riket.col.kommuner', show: (r) => number(r.spread?.kommuner ?? 0), value: (r) => r.spread?.kommuner ?? 0 },
  { key: 'min', title: 'riket.col.min', show: (r) => decimal(r.spread?.min ?? null), value: (r) => r.spread?.min ?? null },
  { key: 'max', title: 'riket.col.max', show: (r) => decimal(r.spread?.max ?? null), value: (r) => r.spread?.max ?? null },
  { key: 'stdDev', title: 'riket.col.stdDev', show: (r) => decimal(r.spread?.stdDev ?? null, 2), value: (r) => r.spread?.stdDev ?? null },
];

/** A table whose cells carry the unformatted value (`data-value`), as the charts' marks do. */
function table<R extends AreaFigures>(id: string, first: MessageKey, rows: R[], name: (r: R) => Node | string, columns: Column<R>[], group?: { title: MessageKey; from: number }): HTMLTableElement {
  const cell = (c: Column<R>, r: R) => el('td', { 'data-field': c.key, 'data-value': String(c.value(r) ?? ''), class: 'num' }, c.show(r));
  const heads = columns.map((c) => el('th', { scope: 'col', class: 'num', 'data-field': c.key }, t(c.title)));
  const thead = group
    ? el('thead', {},
      el('tr', {}, el('th', { colspan: String(group.from + 1) }), el('th', { colspan: String(columns.length - group.from), scope: 'colgroup' }, t(group.title))),
      el('tr', {}, el('th', { scope: 'col' }, t(first)), ...heads))
    : el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, t(first)), ...heads));
  return el('table', { id, class: 'figures' }, thead,
    el('tbody', {}, ...rows.map((r) => el('tr', { 'data-code': r.code }, el('th', { scope: 'row', 'data-field': 'name' }, name(r)), ...columns.map((c) => cell(c, r))))));
}

function populationText(p: { year: number | null; wantedYear: number; latestAvailable: boolean }): string {
  if (p.year === null) return t('riket.populationMissing', { year: p.wantedYear });
  return t(p.latestAvailable ? 'riket.populationLatest' : 'riket.population', { year: p.year });
}

async function load(): Promise<void> {
  const box = document.querySelector('#riket')!;
  box.replaceChildren(el('p', {}, t('common.loading')));
  const careType = field('careType').value || 'SOMATIC';
  const lan = field('lan').value;
  const [areas, meanByCounty, goalByCounty, meanByKommun, perThousand, goalByKommun] = await Promise.all([
    loadAreas(Number(field('from').value.slice(0, 4))),
    api<Rows>(`/api/v1/indicators/mean-days?${period()}&groupBy=county`),
    api<Rows>(`/api/v1/indicators/goal-fulfilment?${period()}&groupBy=county`),
    api<Rows>(`/api/v1/indicators/mean-days?${period()}&groupBy=municipality`),
    api<Rows>(`/api/v1/indicators/per-1000?${period()}`),
    lan ? api<Rows>(`/api/v1/indicators/goal-fulfilment?${period()}&groupBy=municipality&lan=${encodeURIComponent(lan)}`) : Promise.resolve({ rows: [], notes: [] }),
  ]);
  const counties = countyFigures(areas, careType, meanByCounty.rows, goalByCounty.rows, meanByKommun.rows, perThousand.rows);
  const go = (code: string) => (location.href = pageUrl('riket.html', code));
  const countyLink = (r: AreaFigures) => el('a', { href: pageUrl('riket.html', r.code), class: 'county-link' }, county(r.code));
  const careText = label(CARE_TYPE, careType, lang);
  const sections: HTMLElement[] = [
    el('section', { id: 'regions', class: 'card' },
      el('h2', {}, `${t('riket.heading')} (${careText})`),
      horizontalBarChart(t('riket.chart'), counties.filter((c) => c.meanDays !== null).map((c) => ({ label: county(c.code), value: c.meanDays! })), [],
        (picked) => go(counties.find((c) => county(c.code) === picked)?.code ?? '')),
      table<CountyFigures>('counties', 'riket.col.county', counties, countyLink, [...FIGURES, ...VARIATION] as Column<CountyFigures>[], { title: 'riket.variation', from: FIGURES.length }),
      el('p', { class: 'note' }, t('riket.note', { population: populationText(areas.population65) }))),
  ];
  const chosen = counties.find((c) => c.code === lan);
  if (chosen) {
    const kommuner = kommunFigures(areas, chosen.code, careType, meanByKommun.rows, goalByKommun.rows, perThousand.rows);
    const s = chosen.spread;
    sections.unshift(el('section', { id: 'county', class: 'card', 'data-county': chosen.code },
      el('h2', {}, t('riket.countyHeading', { county: county(chosen.code) })),
      el('p', {}, el('a', { href: pageUrl('riket.html', ''), id: 'all-counties' }, t('riket.back')), ' · ', el('a', { href: pageUrl('analytics.html', chosen.code), id: 'open-analytics' }, t('riket.openAnalytics'))),
      horizontalBarChart(t('riket.kommunChart', { county: county(chosen.code) }), kommuner.filter((k) => k.meanDays !== null).map((k) => ({ label: k.name, value: k.meanDays! })),
        s ? [{ name: t('analytics.municipalities.min'), value: s.min }, { name: t('analytics.municipalities.max'), value: s.max }, { name: t('analytics.municipalities.stdDev'), value: s.stdDev }] : []),
      table('kommuner', 'riket.col.kommun', kommuner, (k) => `${k.name} (${k.code})`, FIGURES),
      el('p', { class: 'note' }, t('riket.countyNote'))));
  }
  box.replaceChildren(...sections);
}

async function main(): Promise<void> {
  translatePage();
  for (const o of (field('careType') as HTMLSelectElement).options) o.textContent = label(CARE_TYPE, o.value, lang);
  const who = await me();
  document.body.prepend(header('riket', who));
  if (who.kind !== 'nation') {
    form().hidden = true;
    document.querySelector('#riket')!.replaceChildren(el('p', { id: 'needs-nation' }, t('riket.needsNation', { scope: who.scope })));
    return;
  }
  const y = new Date().getFullYear();
  const q = new URLSearchParams(location.search);
  field('from').value = q.get('from') ?? `${y}-01`;
  field('to').value = q.get('to') ?? `${y}-12`;
  field('careType').value = q.get('careType') ?? 'SOMATIC';
  field('lan').value = q.get('lan') ?? '';
  form().addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.href = pageUrl('riket.html', field('lan').value);
  });
  await load();
}

void main().catch((e) => (document.querySelector('#riket')!.textContent = t('common.error', { message: (e as Error).message })));
