import { api, el, header, kommun, loadAreas, signedInFor, type Me } from './common.ts';
import { forecastPanel } from './forecast-panel.ts';
import { regionKommuner } from './areas.ts';
import { AGE_GROUP, CARE_TYPE, REASON, RESPONSIBLE_PARTY, SIP, TRACK_COLOUR, label } from './codes.ts';
import { date, dateTime, lang, number, t, translatePage, type MessageKey } from './i18n.ts';
import { band, isoDay, stockholmDay } from './stockholm.ts';
import { paymentDaysOn, utklarDaysOn } from '../../facts/day-counts.ts';

/** The coordinators' live board: pushed by the server (SSE), counted on by the page itself. */
interface Episode {
  episodeId: string; hospital: string; ward: string; clinic: string; homeMunicipality: string; careType: string; ageGroup: string;
  readySince: number; readyStartDays: number[]; readyEndDays: number[]; paymentDays: number; openPaymentFromDay: number;
  trackColour: string; fastVardkontakt: boolean; sip: string; delayReasons: { reasonCode: string; responsibleParty: string }[];
  readmission: boolean; readmissionOf: string | null; problems: string[];
}

const utklarDays = utklarDaysOn;
const paymentDays = paymentDaysOn;
const since = (ms: number, now: number) => {
  const m = Math.max(0, Math.floor((now - ms) / 60_000));
  return t('board.since', { days: Math.floor(m / 1440), hours: Math.floor((m % 1440) / 60), minutes: m % 60 });
};
const delayReason = (r: Episode['delayReasons'][number]) => t('board.delayReason', { reason: label(REASON, r.reasonCode, lang), party: label(RESPONSIBLE_PARTY, r.responsibleParty, lang) });

/**
 * An episode's pseudonym (32 hex digits, docs/ndjson-contract.md) as a row shows it: its first 8,
 * the whole in the cell's title. Whole, it made the id the board's widest column. Nobody reads a
 * patient out of it either way; it tells rows apart and is what an operator quotes.
 */
const shortEpisode = (id: string): string => (/^[0-9a-f]{32}$/.test(id) ? `${id.slice(0, 8)}…` : id);

type Column = {
  key: string; title: MessageKey; value: (e: Episode, today: number, now: number) => string | number; sort?: (e: Episode, today: number) => number | string;
  /** The cell's title (shown on hover) where its text is shortened. */
  hint?: (e: Episode) => string;
};
const COLUMNS: Column[] = [
  { key: 'episodeId', title: 'field.episodeId', value: (e) => shortEpisode(e.episodeId), hint: (e) => e.episodeId },
  { key: 'ward', title: 'field.ward', value: (e) => `${e.hospital} ${e.ward}` },
  { key: 'homeMunicipality', title: 'field.kommun', value: (e) => kommun(e.homeMunicipality) },
  { key: 'careType', title: 'field.careType', value: (e) => label(CARE_TYPE, e.careType, lang) },
  { key: 'ageGroup', title: 'field.ageGroup', value: (e) => label(AGE_GROUP, e.ageGroup, lang) },
  { key: 'readySince', title: 'board.col.readySince', value: (e) => dateTime(e.readySince), sort: (e) => e.readySince },
  { key: 'waited', title: 'board.col.waited', value: (e, _t, now) => since(e.readySince, now), sort: (e) => e.readySince },
  { key: 'utklarDays', title: 'field.utklarDays', value: (e, t) => utklarDays(e, t), sort: (e, t) => utklarDays(e, t) },
  { key: 'paymentDays', title: 'field.paymentDays', value: (e, t) => paymentDays(e, t), sort: (e, t) => paymentDays(e, t) },
  { key: 'band', title: 'board.col.band', value: (e, t) => band(utklarDays(e, t)), sort: (e, t) => utklarDays(e, t) },
  { key: 'trackColour', title: 'field.trackColour', value: (e) => label(TRACK_COLOUR, e.trackColour, lang) },
  { key: 'fastVardkontakt', title: 'board.col.fastVardkontakt', value: (e) => t(e.fastVardkontakt ? 'common.yes' : 'common.no') },
  { key: 'sip', title: 'board.col.sip', value: (e) => label(SIP, e.sip, lang) },
  { key: 'delayReasons', title: 'board.col.delayReasons', value: (e) => e.delayReasons.map(delayReason).join('; ') || '–' },
  { key: 'alerts', title: 'board.col.alerts', value: (e, t) => alerts(e, t).join(' ') || '–', sort: (e, t) => -alerts(e, t).length },
];

function alerts(e: Episode, today: number): string[] {
  const a: string[] = [];
  if (utklarDays(e, today) >= 7) a.push(t('board.alert.days7'));
  if (e.sip === 'unmet') a.push(t('board.alert.sip'));
  if (['GREEN', 'YELLOW', 'RED'].includes(e.trackColour) && !e.fastVardkontakt) a.push(t('board.alert.noContact'));
  if (e.readmission) a.push(t('board.alert.readmitted'));
  if (e.problems.length > 0) a.push(t('board.alert.dataQuality'));
  return a;
}

let episodes: Episode[] = [];
let sortKey = 'utklarDays';
let sortDesc = true;
let filterText = '';
let source: EventSource | undefined;

function render(): void {
  const now = Date.now();
  const today = stockholmDay(now);
  const body = document.querySelector('#rows')!;
  const col = COLUMNS.find((c) => c.key === sortKey)!;
  const key = (e: Episode) => (col.sort ? col.sort(e, today) : String(col.value(e, today, now)));
  const shown = episodes
    .filter((e) => !filterText || COLUMNS.some((c) => String(c.value(e, today, now)).toLowerCase().includes(filterText)))
    .sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      return (x < y ? -1 : x > y ? 1 : a.episodeId.localeCompare(b.episodeId)) * (sortDesc ? -1 : 1);
    });
  body.replaceChildren(...shown.map((e) => el('tr', { 'data-episode': e.episodeId, class: `band-${band(utklarDays(e, today))}` },
    ...COLUMNS.map((c) => el('td', { 'data-field': c.key, ...(c.hint ? { title: c.hint(e) } : {}) }, String(c.value(e, today, now)))))));
  document.querySelector('#waiting')!.textContent = number(episodes.length);
  document.querySelector('#beds')!.textContent = number(episodes.filter((e) => utklarDays(e, today) >= 1).length);
  document.querySelector('#today')!.textContent = date(isoDay(today));
}

function connect(query: string): void {
  source?.close();
  const status = document.querySelector('#live')!;
  source = new EventSource(`/api/v1/board/stream?${query}`);
  source.addEventListener('board', (ev) => {
    episodes = (JSON.parse((ev as MessageEvent).data) as { episodes: Episode[] }).episodes;
    status.textContent = t('board.live');
    status.className = 'live';
    render();
  });
  source.addEventListener('error', () => {
    // EventSource reconnects by itself; say so meanwhile.
    status.textContent = t('board.reconnecting');
    status.className = 'reconnecting';
  });
}

async function paymentTotals(who: Me, municipality: string): Promise<void> {
  const d = new Date();
  const month = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
  const q = municipality ? `&kommun=${municipality}` : '';
  const r = await api<{ rows: { kommun: string; paymentDays: number; episodes: number; average: number; threshold?: number }[] }>(`/api/v1/payment?month=${month}${q}`).catch(() => ({ rows: [] }));
  const days = r.rows.reduce((s, x) => s + x.paymentDays, 0);
  const eps = r.rows.reduce((s, x) => s + x.episodes, 0);
  const threshold = r.rows[0]?.threshold;
  document.querySelector('#payment')!.textContent = t('board.paymentTotals', { days: number(days), average: eps ? number(days / eps, 1) : '–' })
    + (threshold !== undefined ? t('board.paymentThreshold', { threshold: number(threshold, 1) }) : '');
  void who;
}

async function main(): Promise<void> {
  translatePage();
  // The nation reads statistics and an auditor the access log: neither may read the board.
  const who = await signedInFor(['nation', 'audit']);
  if (!who) return;
  const areas = await loadAreas();
  document.body.prepend(header('board', who));
  const select = document.querySelector<HTMLSelectElement>('#scope')!;
  if (who.kind === 'region') {
    // Its own län's kommuner, then those of the patients from elsewhere it admitted since January last year.
    const seen = await api<{ rows: { group: string }[] }>(`/api/v1/overview?groupBy=municipality&from=${new Date().getFullYear() - 1}-01`).then((r) => r.rows.map((x) => x.group), () => []);
    select.append(el('option', { value: '' }, t('board.wholeRegion')), ...regionKommuner(areas, who.scope.split(':')[1]!, seen).map((c) => el('option', { value: `municipality=${c}` }, kommun(c))));
  } else {
    select.append(el('option', { value: '' }, who.scope));
    select.disabled = true;
  }
  // The forecast follows the kommun chosen (its recipient municipality); a municipality's token is scoped to its own by the API.
  const forecast = forecastPanel(document.querySelector<HTMLElement>('#forecast-body')!, () => select.value.replace('municipality=', 'kommun='));
  select.addEventListener('change', () => {
    connect(select.value);
    void paymentTotals(who, select.value.replace('municipality=', ''));
    void forecast.reload();
  });
  document.querySelector<HTMLInputElement>('#filter')!.addEventListener('input', (ev) => {
    filterText = (ev.target as HTMLInputElement).value.toLowerCase();
    render();
  });
  document.querySelector('#head')!.replaceChildren(...COLUMNS.map((c) => {
    const th = el('th', { 'data-sort': c.key }, t(c.title));
    th.addEventListener('click', () => {
      sortDesc = sortKey === c.key ? !sortDesc : true;
      sortKey = c.key;
      render();
    });
    return th;
  }));
  connect('');
  void paymentTotals(who, who.kind === 'municipality' ? who.scope.split(':')[1]! : '');
  setInterval(render, 1000);
}

void main().catch((e) => (document.querySelector('#live')!.textContent = t('common.error', { message: (e as Error).message })));
