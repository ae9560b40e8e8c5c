import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../services/api/auth.ts';
import { fromEpochDay, isoDate, stockholmDay, stockholmMidnight } from '../../services/core/stockholm-time.ts';
import { FORECAST_REFRESH_MS } from '../../services/web/src/forecast-table.ts';
import { API_SECRET, episodeKeyOf, isolatedEnv, waitFor } from '../support/env.ts';
import { PipelineProcess, runCli } from '../support/processes.ts';
import { launchBrowser, requireChromium, SHOTS, signIn } from './browser.ts';
import { swedishTexts } from './swedish-text.ts';
import { atHour as at, forecastStays, inEventOrder } from '../support/forecast-stays.ts';

/**
 * Issue #20 part 2's panel on the board and issue #19's access-log page. History as in
 * test/integration/forecast.test.ts, made uncertain: 25 stays of Medicinkliniken ready eleven days
 * after admission, half of them one day after their notice's estimate and half two days after, so
 * the open stays (estimate the day after tomorrow) are expected over two days with bands. Days
 * count from today's Stockholm day, so the fixture holds on any date.
 */
const NOW = Date.now();
const H = 3_600_000;
const TODAY = stockholmDay(NOW);

const iso = (d: number) => isoDate(fromEpochDay(d));
const stay = forecastStays({ birthYear: 1939, firstSerial: 300, source: 'e2e' });
const HISTORY = Array.from({ length: 26 }, (_, i) => {
  const admitted = TODAY - 60 + i;
  return stay(`FP-H${i}`, i % 2 === 0 ? '1880' : '1881', at(admitted, 9), admitted + 9 + (i % 2 === 0 ? 1 : 0) - (i % 4 === 1 ? 1 : 0), { ready: at(admitted + 11, 10), discharged: at(admitted + 13, 12) });
}).flat();
const ADMITTED = new Date(NOW - 30 * H).toISOString();
const OPEN = [
  ...[1, 2, 3].flatMap((i) => stay(`FP-O1880-${i}`, '1880', ADMITTED, TODAY + 2)),
  ...[1, 2].flatMap((i) => stay(`FP-O1881-${i}`, '1881', ADMITTED, TODAY + 2)),
  // Ready already: on the board, not in the forecast. Ready today whatever the hour (two hours ago
  // is yesterday just after midnight, and yesterday's ready notices are history the model learns from).
  ...stay('FP-R1880', '1880', ADMITTED, TODAY + 1, { ready: new Date(Math.max(stockholmMidnight(TODAY), NOW - 2 * H)).toISOString() }),
];
const ndjson = inEventOrder;

interface ForecastRow { municipality: string; day: string; expected: number; band90Low: number; band90High: number }
const sv = (x: number, digits = 0) => new Intl.NumberFormat('sv-SE', { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(x);
const COORDINATOR = 'Samordnare USÖ';
/** The board's row of the stay a source sent as `id` (keyed by the episode's pseudonym, which the producer edge puts in its place). */
const boardRow = (page: Page, id: string) => page.locator(`tr[data-episode="${episodeKeyOf(id)}"]`);

describe('the board\'s forecast panel and the auditor\'s access-log page in headless Chromium', () => {
  const env = isolatedEnv('embedded', { LOG_LEVEL: 'warn' });
  const token = (scope: Parameters<typeof mintToken>[0], subject = 'e2e') => mintToken(scope, API_SECRET, { subject, ttlSeconds: 3600 });
  const region = token({ kind: 'region', region: '18' });
  const coordinator = token({ kind: 'region', region: '18' }, COORDINATOR);
  const kumla = token({ kind: 'municipality', municipality: '1881' });
  const uppsala = token({ kind: 'region', region: '03' });
  const audit18 = token({ kind: 'audit', region: '18' }, 'Revisor Region Örebro');
  const audit03 = token({ kind: 'audit', region: '03' }, 'Revisor Region Uppsala');
  let pipeline: PipelineProcess;
  let browser: Browser;

  const login = (page: Page, t: string, lands: string) => signIn(page, pipeline.url, t, lands);
  /** As board.test.ts: the page's clock starts at this process's "now" (`npm run test:dates` shifts Node's only). */
  async function newPage(options: Parameters<Browser['newPage']>[0] = {}): Promise<Page> {
    const page = await browser.newPage(options);
    await page.clock.install({ time: Date.now() });
    return page;
  }
  const forecastOf = async (t: string) => {
    const r = await fetch(`${pipeline.url}/api/v1/forecast?days=7`, { headers: { authorization: `Bearer ${t}` } });
    return { status: r.status, rows: ((await r.json()) as { rows?: ForecastRow[] }).rows ?? [] };
  };

  beforeAll(async () => {
    requireChromium();
    pipeline = new PipelineProcess(env);
    await pipeline.healthy();
    const r = await runCli(['produce'], env, ndjson([...HISTORY, ...OPEN]));
    expect(r.code, r.stderr).toBe(0);
    // The history in ClickHouse and the open stays in Redis: the forecast expects both kommuner's stays.
    await waitFor('the seeded stays in the forecast', async () => {
      const f = await forecastOf(region);
      const expected = (k: string) => f.rows.filter((x) => x.municipality === k).reduce((s, x) => s + x.expected, 0);
      return f.status === 200 && expected('1880') > 1 && expected('1881') > 1 ? true : undefined;
    }, 120_000);
    browser = await launchBrowser();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await pipeline?.stop();
  });

  it('the board shows the forecast per kommun and day with its 90 % band and a total row, as the API answers it; refreshed on a timer, not by the board\'s events', async () => {
    const page = await newPage({ viewport: { width: 1500, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    let asked = 0;
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/api/v1/forecast') asked++;
    });
    await login(page, region, 'board.html');
    const body = page.locator('#forecast-table tbody tr');
    await expect.poll(() => body.count(), { timeout: 20_000 }).toBe(2);
    expect(await page.locator('#forecast h2').textContent()).toBe('Prognos: blir utskrivningsklara kommande 7 dagar');
    // A table for every reader: a caption, and headers that say what they head.
    expect(await page.locator('#forecast-table caption').textContent()).toBe('Väntat antal som blir utskrivningsklara per mottagande kommun och dag, med 90 %-intervall inom parentes');
    expect(await page.locator('#forecast-table thead th').evaluateAll((ths) => ths.map((th) => th.getAttribute('scope')))).toEqual(Array(9).fill('col'));
    expect(await page.locator('#forecast-table tbody th, #forecast-table tfoot th').evaluateAll((ths) => ths.map((th) => [th.getAttribute('scope'), th.textContent]))).toEqual([['row', 'Kumla (1881)'], ['row', 'Örebro (1880)'], ['row', 'Summa']]);

    expect(asked).toBe(1);
    // Every cell is the API's row, as the page itself fetches it.
    const api = await page.evaluate(async () => (await (await fetch('/api/v1/forecast?days=7')).json()) as { rows: ForecastRow[] });
    asked = 0;
    const days = [...new Set(api.rows.map((r) => r.day))].sort();
    expect(days).toEqual(Array.from({ length: 7 }, (_, i) => iso(TODAY + 1 + i)));
    expect(await page.locator('#forecast-table thead th[data-day]').evaluateAll((ths) => ths.map((th) => th.getAttribute('data-day')))).toEqual(days);
    for (const r of api.rows) {
      const td = page.locator(`#forecast-table tr[data-code="${r.municipality}"] td[data-day="${r.day}"]`);
      expect([await td.getAttribute('data-expected'), await td.textContent()], `${r.municipality} ${r.day}`).toEqual([String(r.expected), `${sv(r.expected, 1)} (${r.band90Low}–${r.band90High})`]);
    }
    // Expected on the day after the estimate or the one after that: uncertain, with bands wider than a point.
    expect(api.rows.filter((r) => r.expected > 0 && r.band90Low < r.band90High).length).toBeGreaterThan(0);
    for (const day of days) {
      const sum = Math.round(api.rows.filter((r) => r.day === day).reduce((s, r) => s + r.expected, 0) * 100) / 100;
      expect(await page.locator(`#forecast-table tfoot td[data-day="${day}"]`).textContent(), day).toBe(sv(sum, 1));
    }
    const week = (k: string) => Math.round(api.rows.filter((r) => r.municipality === k).reduce((s, r) => s + r.expected, 0) * 100) / 100;
    expect(await page.locator('#forecast-table tr[data-code="1880"] td[data-field="sum"]').textContent()).toBe(sv(week('1880'), 1));
    // The board beside it works as ever.
    await expect.poll(() => boardRow(page, 'FP-R1880').count(), { timeout: 15_000 }).toBe(1);
    await page.screenshot({ path: path.join(SHOTS, 'board-forecast.png'), fullPage: true });
    // A wall screen holds both side by side.
    await page.setViewportSize({ width: 2400, height: 900 });
    const [board, panel] = [await page.locator('#board').boundingBox(), await page.locator('#forecast').boundingBox()];
    expect(panel!.x).toBeGreaterThanOrEqual(board!.x + board!.width);
    await page.screenshot({ path: path.join(SHOTS, 'board-forecast-wide.png') });
    await page.setViewportSize({ width: 1500, height: 900 });

    // A board event redraws the board, not the forecast; the timer does.
    expect(asked).toBe(0);
    await runCli(['produce'], env, ndjson(stay('FP-R1881', '1881', ADMITTED, TODAY + 1, { ready: new Date(Date.now() - 60_000).toISOString() })));
    await expect.poll(() => boardRow(page, 'FP-R1881').count(), { timeout: 15_000 }).toBe(1);
    expect(asked).toBe(0);
    await page.clock.runFor(FORECAST_REFRESH_MS);
    await expect.poll(() => asked, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => body.count(), { timeout: 15_000 }).toBe(2);

    // In English, nothing Swedish but the kommuner's names.
    await page.click('#lang-en');
    await page.waitForURL((u) => u.searchParams.get('lang') === 'en');
    await expect.poll(() => page.locator('#forecast-table tbody tr').count(), { timeout: 20_000 }).toBe(2);
    expect(await page.locator('#forecast h2').textContent()).toBe('Forecast: becoming ready for discharge in the next 7 days');
    const first = api.rows.find((r) => r.expected > 0)!;
    expect(await page.locator(`#forecast-table tr[data-code="${first.municipality}"] td[data-day="${first.day}"]`).textContent()).toBe(`${first.expected.toFixed(1)} (${first.band90Low}–${first.band90High})`);
    expect(await swedishTexts(page)).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a municipality sees its own row only; a region without stays is told there is nothing to forecast; an error is one line and the board goes on', async () => {
    const muni = await newPage();
    await login(muni, kumla, 'board.html');
    await expect.poll(() => muni.locator('#forecast-table tbody tr').count(), { timeout: 20_000 }).toBe(1);
    expect(await muni.locator('#forecast-table tbody tr').getAttribute('data-code')).toBe('1881');
    await muni.close();

    const empty = await newPage();
    await login(empty, uppsala, 'board.html');
    expect((await forecastOf(uppsala)).rows).toEqual([]);
    await expect.poll(() => empty.locator('#forecast-empty').textContent(), { timeout: 20_000 })
      .toBe('Ingen prognos att visa: inga inneliggande patienter som ännu inte är utskrivningsklara, och ingen historik att räkna från.');
    expect(await empty.locator('#forecast-table').count()).toBe(0);
    await empty.close();

    const failing = await newPage({ viewport: { width: 1500, height: 900 } });
    await failing.route('**/api/v1/forecast*', (route) => route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: 'DEPENDENCY_UNAVAILABLE', message: 'the forecast reads the open episodes from Redis, which this process does not' }) }));
    await login(failing, region, 'board.html');
    await expect.poll(() => failing.locator('#forecast-error').textContent(), { timeout: 20_000 })
      .toBe('Prognosen kunde inte hämtas (the forecast reads the open episodes from Redis, which this process does not); tavlan fungerar som vanligt.');
    await expect.poll(() => failing.locator('#live').textContent(), { timeout: 15_000 }).toBe('live');
    await expect.poll(() => boardRow(failing, 'FP-R1880').count(), { timeout: 15_000 }).toBe(1);
    await failing.close();
  });

  it('an auditor of region 18 lands on the access log and sees the coordinator\'s requests for rows, filtered and paged through the URL, with a CSV; region 03\'s auditor does not', async () => {
    // The coordinator reads rows three times (JSON, CSV, a ward): patient-level data, logged.
    const asks = ['rows?from=2026-01&to=2026-12', 'rows?from=2026-01&to=2026-12&format=csv', 'rows?ward=Med%201&limit=10'];
    for (const q of asks) expect((await fetch(`${pipeline.url}/api/v1/${q}`, { headers: { authorization: `Bearer ${coordinator}` } })).status).toBe(200);

    const page = await newPage({ viewport: { width: 1400, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await login(page, audit18, 'access-log.html');
    // The header is drawn by the page's script once it knows the scope: wait for it, do not race it.
    await expect.poll(() => page.locator('header a').allTextContents(), { timeout: 15_000 }).toEqual(['Åtkomstlogg', 'Svenska', 'English']);
    expect(await page.locator('header .who').getAttribute('data-scope')).toBe('audit:18');
    const subjects = page.locator('#entries tbody td[data-field="subject"]');
    await expect.poll(async () => (await subjects.allTextContents()).filter((s) => s === COORDINATOR).length, { timeout: 15_000 }).toBe(3);
    // Others' board views are there too (this file's region logins).
    expect(await subjects.allTextContents()).toContain('e2e');

    // Only the coordinator: the filter goes into the URL, and what the page shows is what the API answers.
    await page.fill('input[name=subject]', COORDINATOR);
    await Promise.all([page.waitForURL((u) => u.searchParams.get('subject') === COORDINATOR), page.click('#filters button[type=submit]')]);
    await expect.poll(() => page.locator('#entries tbody tr').count(), { timeout: 15_000 }).toBe(3);
    const q = new URL(page.url()).searchParams;
    expect([q.get('from'), q.get('to')]).toEqual([iso(stockholmDay(Date.now()) - 6), iso(stockholmDay(Date.now()))]);
    const api = await page.evaluate(async (s) => (await (await fetch(`/api/v1/access-log?${new URLSearchParams({ subject: s })}`)).json()) as { rows: { at: string; subject: string; scope: string; endpoint: string; format: string; filters: Record<string, string>; episodes: number; regions: string[] }[] }, COORDINATOR);
    expect(api.rows).toHaveLength(3);
    const shown = await page.locator('#entries tbody tr').evaluateAll((trs) => trs.map((tr) => Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [td.getAttribute('data-field'), td.textContent]))));
    const stockholm = new Intl.DateTimeFormat('sv-SE', { dateStyle: 'short', timeStyle: 'medium', timeZone: 'Europe/Stockholm' });
    expect(shown).toEqual(api.rows.map((r) => ({
      at: stockholm.format(new Date(r.at)), subject: COORDINATOR, scope: 'region:18', endpoint: '/api/v1/rows', format: r.format,
      filters: Object.entries(r.filters).map(([k, v]) => `${k}=${v}`).join(', '), episodes: String(r.episodes), regions: r.regions.join(', '),
    })));
    // Newest first: the ward's request, then the CSV.
    expect(shown.map((r) => [r.format, r.filters])).toEqual([['json', 'limit=10, ward=Med 1'], ['csv', 'format=csv, from=2026-01, to=2026-12'], ['json', 'from=2026-01, to=2026-12']]);
    expect(shown[0]!.at).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    // A reload keeps the filter in the form.
    await page.reload();
    await expect.poll(() => page.locator('#entries tbody tr').count(), { timeout: 15_000 }).toBe(3);
    expect(await page.locator('input[name=subject]').inputValue()).toBe(COORDINATOR);
    await page.screenshot({ path: path.join(SHOTS, 'access-log.png'), fullPage: true });

    // The CSV link: the whole selection, the same three entries.
    const href = (await page.locator('#csv').getAttribute('href'))!;
    expect(new URL(href, pipeline.url).searchParams.get('format')).toBe('csv');
    const csv = await page.evaluate(async (h) => { const r = await fetch(h); return { status: r.status, type: r.headers.get('content-type'), text: await r.text() }; }, href);
    expect([csv.status, csv.type]).toEqual([200, 'text/csv; charset=utf-8']);
    const lines = csv.text.trim().split(/\r?\n/);
    expect(lines).toHaveLength(4);
    expect(lines.slice(1).every((l) => l.includes(COORDINATOR) && l.includes('/api/v1/rows'))).toBe(true);

    // Two a page: the older page holds the third, and leads back.
    await page.goto(`${pipeline.url}/access-log.html?${new URLSearchParams({ from: q.get('from')!, to: q.get('to')!, subject: COORDINATOR, limit: '2' })}`);
    await expect.poll(() => page.locator('#entries tbody tr').count(), { timeout: 15_000 }).toBe(2);
    expect([await page.locator('#newer').count(), await page.locator('#paging').textContent()]).toEqual([0, 'Uppslag 1–2, nyast först Äldre →']);
    await Promise.all([page.waitForURL((u) => u.searchParams.get('offset') === '2'), page.click('#older')]);
    await expect.poll(() => page.locator('#entries tbody td[data-field="filters"]').allTextContents(), { timeout: 15_000 }).toEqual(['from=2026-01, to=2026-12']);
    expect(await page.locator('#older').count()).toBe(0);
    await Promise.all([page.waitForURL((u) => !u.searchParams.has('offset')), page.click('#newer')]);
    await expect.poll(() => page.locator('#entries tbody tr').count(), { timeout: 15_000 }).toBe(2);

    // In English: the same entries, the filter kept, nothing Swedish but the data as recorded.
    await page.goto(`${pipeline.url}/access-log.html?${new URLSearchParams({ from: q.get('from')!, to: q.get('to')!, subject: COORDINATOR })}`);
    await page.click('#lang-en');
    await page.waitForURL((u) => u.searchParams.get('lang') === 'en' && u.searchParams.get('subject') === COORDINATOR);
    await expect.poll(() => page.locator('#entries tbody tr').count(), { timeout: 15_000 }).toBe(3);
    expect(await page.locator('#entries thead th').allTextContents()).toEqual(['When', 'Who', 'Scope', 'Endpoint', 'Format', 'Request filters', 'Episodes', 'Regions']);
    expect(await page.locator('#csv').textContent()).toBe('Download the selection as CSV');
    expect(await swedishTexts(page)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'access-log-en.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();

    // Region 03's auditor: its own region's entries (Uppsala's board view above), none of the coordinator's.
    const other = await newPage();
    await login(other, audit03, 'access-log.html');
    await expect.poll(() => other.locator('#entries tbody tr').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await other.locator('#entries tbody td[data-field="scope"]').allTextContents()).not.toContain('region:18');
    expect(await other.locator('#entries tbody td[data-field="subject"]').allTextContents()).not.toContain(COORDINATOR);
    await other.goto(`${pipeline.url}/access-log.html?subject=${encodeURIComponent(COORDINATOR)}`);
    await expect.poll(() => other.locator('#no-entries').textContent(), { timeout: 15_000 }).toBe('Inga uppslag i urvalet.');
    // The board, analytics, reports and invoices are not an auditor's: sent back to the log.
    await other.goto(`${pipeline.url}/board.html`);
    await other.waitForURL('**/access-log.html');
    for (const page of ['analytics.html', 'reports.html?report=vantetider', 'invoices.html']) {
      await other.goto(`${pipeline.url}/${page}`);
      await other.waitForURL('**/access-log.html');
    }
    await other.close();

    // And a region's token is no auditor's.
    const coord = await newPage();
    await login(coord, coordinator, 'board.html');
    expect(await coord.locator('header a[href^="/access-log.html"]').count()).toBe(0);
    await coord.goto(`${pipeline.url}/access-log.html`);
    await expect.poll(() => coord.locator('#needs-audit').textContent(), { timeout: 15_000 }).toBe('Åtkomstloggen kräver en granskarnyckel (audit:NN). Din nyckel gäller region:18.');
    await coord.close();
  });
});
