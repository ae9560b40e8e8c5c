import { api, el, kommun } from './common.ts';
import { kommunName } from './areas.ts';
import { date, dateTime, number, t, weekday } from './i18n.ts';
import { cellText, FORECAST_REFRESH_MS, forecastGrid, totalText, type ForecastRow } from './forecast-table.ts';

/**
 * The board's forecast panel (issue #20 part 2): who is expected to become utskrivningsklar in the
 * next seven days, per recipient municipality and day, from GET /api/v1/forecast (scoped by the
 * token like every answer). It refreshes on a timer of its own, not with the board's events: the
 * forecast moves by the day, and each answer reads the model's 90-day window from ClickHouse.
 */
const byName = (a: string, b: string) => (kommunName(a) ?? a).localeCompare(kommunName(b) ?? b, 'sv') || a.localeCompare(b);

function table(rows: ForecastRow[]): HTMLTableElement {
  const g = forecastGrid(rows, byName);
  const num = (text: string, attrs: Record<string, string>) => el('td', { class: 'num', ...attrs }, text);
  return el('table', { id: 'forecast-table', class: 'figures' },
    el('caption', {}, t('forecast.caption')),
    el('thead', {}, el('tr', {},
      el('th', { scope: 'col' }, t('forecast.col.kommun')),
      ...g.days.map((d) => el('th', { scope: 'col', class: 'num', 'data-day': d }, weekday(d), el('br'), date(d))),
      el('th', { scope: 'col', class: 'num' }, t('forecast.col.sum')))),
    el('tbody', {}, ...g.municipalities.map((m) => el('tr', { 'data-code': m.code },
      el('th', { scope: 'row' }, kommun(m.code)),
      ...m.cells.map((c, i) => (c
        ? num(cellText(c, number), { 'data-day': g.days[i]!, 'data-expected': String(c.expected), 'data-band90': `${c.band90Low}-${c.band90High}`, class: c.expected === 0 ? 'num zero' : 'num' })
        : num('–', { 'data-day': g.days[i]! }))),
      num(totalText(m.expected, number), { 'data-field': 'sum', 'data-expected': String(m.expected) })))),
    el('tfoot', {}, el('tr', { 'data-code': 'total' },
      el('th', { scope: 'row' }, t('forecast.total')),
      ...g.dayTotals.map((x, i) => num(totalText(x, number), { 'data-day': g.days[i]!, 'data-expected': String(x) })),
      num(totalText(g.total, number), { 'data-field': 'sum', 'data-expected': String(g.total) }))));
}

/** Draws the panel into `box` now and every FORECAST_REFRESH_MS; `query()` is the board's current selection. */
export function forecastPanel(box: HTMLElement, query: () => string): { reload: () => Promise<void> } {
  let asked = 0;
  const reload = async () => {
    const mine = ++asked;
    const q = query();
    try {
      const r = await api<{ rows: ForecastRow[] }>(`/api/v1/forecast?days=7${q ? `&${q}` : ''}`);
      // A slower earlier answer must not overwrite the one for the selection chosen since.
      if (mine !== asked) return;
      box.replaceChildren(...(r.rows.length === 0
        ? [el('p', { id: 'forecast-empty' }, t('forecast.empty'))]
        : [table(r.rows), el('p', { class: 'note' }, t('forecast.note', { at: dateTime(Date.now()) }))]));
    } catch (e) {
      if (mine !== asked) return;
      box.replaceChildren(el('p', { id: 'forecast-error', class: 'error' }, t('forecast.error', { message: (e as Error).message })));
    }
  };
  void reload();
  setInterval(() => void reload(), FORECAST_REFRESH_MS);
  return { reload };
}
