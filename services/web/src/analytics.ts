import { api, el, header, kommun, me } from './common.ts';
import { barChart, bubbleChart, lineChart, pieChart } from './charts.ts';

/** The seed reports as pictures: each chart has its table's CSV and a click-through to the rows. */
type Rows = { rows: Record<string, unknown>[]; notes: string[] };
const COLOURS: Record<string, [string, string]> = { NONE: ['ingen', '#999'], BLUE: ['blå', '#1f6feb'], GREEN: ['grön', '#2e8b57'], YELLOW: ['gul', '#d4a017'], RED: ['röd', '#c0392b'] };

function params(extra: Record<string, string> = {}): string {
  const form = document.querySelector<HTMLFormElement>('#filters')!;
  const q = new URLSearchParams();
  for (const [k, v] of new FormData(form)) if (String(v)) q.set(k, String(v));
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q.toString();
}

function section(id: string, title: string, chart: SVGElement, csv: string, note: string): HTMLElement {
  return el('section', { id, class: 'card' }, el('h2', {}, title), chart, el('p', { class: 'note' }, note, ' ', el('a', { href: csv, download: `${id}.csv` }, 'Ladda ner CSV')));
}

async function drill(filter: Record<string, string>, what: string): Promise<void> {
  const q = params({ ...filter, limit: '200' });
  const r = await api<Rows>(`/api/v1/rows?${q}`);
  const box = document.querySelector('#drill')!;
  const cols = ['episodeId', 'kommun', 'hospital', 'ward', 'careType', 'ageGroup', 'admitted', 'discharged', 'utklarDays', 'paymentDays', 'trackColour'];
  box.replaceChildren(
    el('h2', {}, `Underlag: ${what} (${r.rows.length}${r.rows.length === 200 ? '+' : ''} rader, avidentifierade)`),
    el('a', { href: `/api/v1/rows?${params({ ...filter, format: 'csv', limit: '10000' })}` }, 'Ladda ner CSV'),
    el('table', { id: 'drill-rows' }, el('thead', {}, el('tr', {}, ...cols.map((c) => el('th', {}, c)))), el('tbody', {}, ...r.rows.map((row) => el('tr', {}, ...cols.map((c) => el('td', {}, String(row[c] ?? '')))))))
  );
  box.scrollIntoView();
}

const year = (d: string) => Number(d.slice(0, 4));

async function load(): Promise<void> {
  const main = document.querySelector('#charts')!;
  main.replaceChildren(el('p', {}, 'Hämtar…'));
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
  const population = (bubbles as Rows & { populations?: { denominator: string; label: string }[] }).populations?.find((p) => p.denominator === 'total')?.label ?? 'befolkning okänd';
  main.replaceChildren(
    section('monthly', `Medelvårdtid som utskrivningsklar per månad (${careType === 'SOMATIC' ? 'somatik' : 'psykiatri'})`,
      lineChart('medelvårdtid per månad', [
        { name: String(year(from)), points: mine(monthly).map((r) => ({ label: month(r.group), value: Number(r.meanDays) })) },
        { name: String(year(from) - 1), points: mine(lastYear).map((r) => ({ label: month(r.group), value: Number(r.meanDays) })) },
      ], (label, series) => void drill({ status: 'discharged', from: `${series}-${label}`, to: `${series}-${label}` }, `utskrivna ${series}-${label}`)),
      `/api/v1/indicators/mean-days?${params({ groupBy: 'month', format: 'csv' })}`, 'Dagar (dag 0-regeln) för vårdtillfällen utskrivna under månaden med minst en dag som utskrivningsklar.'),
    section('municipalities', 'Medelvårdtid per kommun, med regionens min, max och standardavvikelse',
      barChart('medelvårdtid per kommun', mine(byKommun).map((r) => ({ label: kommun(String(r.group)), value: Number(r.meanDays) })),
        v ? [{ name: 'min', value: Number(v.min) }, { name: 'max', value: Number(v.max) }, { name: 'std-avv', value: Number(v.stdDev) }] : [],
        (label) => void drill({ kommun: label.match(/\((\d{4})\)/)?.[1] ?? label, status: 'discharged' }, label)),
      `/api/v1/indicators/mean-days?${params({ groupBy: 'municipality', format: 'csv' })}`, v ? `20 lägsta: ${(v.lowest20 as string[]).join(', ')}. 20 högsta: ${(v.highest20 as string[]).join(', ')}.` : ''),
    section('colours', 'Spårfärg vid utskrivning, hela perioden',
      pieChart('spårfärg', Object.keys(COLOURS).filter((c) => period?.[`colour_${c}`]).map((c) => ({ label: COLOURS[c]![0], value: Number(period![`colour_${c}`]), colour: COLOURS[c]![1] })),
        (label) => void drill({ trackColour: Object.keys(COLOURS).find((c) => COLOURS[c]![0] === label) ?? 'NONE', status: 'discharged' }, `spårfärg ${label}`)),
      `/api/v1/track-colours?${params({ format: 'csv' })}`, `Andel med fast vårdkontakt bland grön, gul och röd: ${period?.fastVardkontaktShare === null || period === undefined ? '–' : `${(Number(period.fastVardkontaktShare) * 100).toFixed(1).replace('.', ',')} %`}.`),
    section('readmissions', 'Inskrivningar och återinskrivningar inom 30 dagar per månad',
      barChart('återinskrivningar', readm.rows.flatMap((r) => [{ label: month(r.group), value: Number(r.admissions), name: 'inskrivningar' }, { label: month(r.group), value: Number(r.readmissions), name: 'återinskrivningar' }]), [],
        (label) => void drill({ from: `${year(from)}-${label}`, to: `${year(from)}-${label}` }, `inskrivna ${year(from)}-${label}`), ['inskrivningar', 'återinskrivningar']),
      `/api/v1/readmissions?${params({ format: 'csv' })}`, 'Akuta återinskrivningar 1–30 dagar efter utskrivning, per inskrivningsmånad.'),
    // Region Örebro's bubble chart: per 1 000 invånare (total population), the year used on the chart.
    section('bubbles', `Dagar per 1 000 invånare mot vårdtillfällen per 1 000 invånare (${population})`,
      bubbleChart('bubbeldiagram', mine(bubbles).filter((r) => r.daysPer1000Inv !== null).map((r) => ({ label: String(r.name ?? r.kommun), x: Number(r.episodesPer1000Inv), y: Number(r.daysPer1000Inv), size: Number(r.days) })),
        'vårdtillfällen per 1 000 invånare', 'dagar per 1 000 invånare', (label) => void drill({ kommun: String(bubbles.rows.find((r) => r.name === label)?.kommun ?? ''), status: 'discharged' }, label), population),
      `/api/v1/indicators/per-1000?${params({ format: 'csv' })}`, bubbles.notes.join('; ')),
  );
}

async function main(): Promise<void> {
  const who = await me();
  document.body.prepend(header('analytics', who));
  const form = document.querySelector<HTMLFormElement>('#filters')!;
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

void main().catch((e) => (document.querySelector('#charts')!.textContent = `Fel: ${(e as Error).message}`));
