import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../services/api/auth.ts';
import { fromEpochDay, isoDate, stockholmDay, stockholmMidnight } from '../../services/core/stockholm-time.ts';
import { withCheckDigit } from '../../services/contract/personnummer.ts';
import { API_SECRET, episodeKeyOf, isolatedEnv } from '../support/env.ts';
import { PipelineProcess, runCli } from '../support/processes.ts';
import { launchBrowser, requireChromium, SHOTS, signIn } from './browser.ts';
import { swedishTexts } from './swedish-text.ts';

const admission = (id: string, at: number, kommun: string, ward: string) => ({
  type: 'admission', eventId: `${id}-a`, occurredAt: new Date(at).toISOString(), source: 'e2e', personnummer: PNR[id]!, episodeId: id,
  region: '18', hospital: 'USO', clinic: 'Medicinkliniken', ward, businessArea: 'Medicin', careType: 'SOMATIC', admissionType: 'ACUTE', homeMunicipality: kommun,
});
const ready = (id: string, at: number, kommun: string, colour = 'GREEN') => ({
  type: 'ready-for-discharge', eventId: `${id}-r`, occurredAt: new Date(at).toISOString(), source: 'e2e', personnummer: PNR[id]!, episodeId: id,
  recipientMunicipality: kommun, trackColour: colour, fastVardkontaktAppointed: true, sipNeeded: false,
});
const simple = (type: string, id: string, at: number, extra: Record<string, unknown> = {}) => ({ type, eventId: `${id}-${type}`, occurredAt: new Date(at).toISOString(), source: 'e2e', personnummer: PNR[id]!, episodeId: id, ...extra });
// Synthetic, valid numbers (Luhn), one patient per episode.
const PNR: Record<string, string> = Object.fromEntries(['E2E-A', 'E2E-B', 'E2E-C', 'E2E-M1', 'E2E-M2', 'E2E-L'].map((id, i) => [id, withCheckDigit(`1940010${i + 1}42${i}`)]));

describe('the coordinators\' board and the analytics pages in headless Chromium', () => {
  const env = isolatedEnv('embedded', { LOG_LEVEL: 'warn' });
  const region = mintToken({ kind: 'region', region: '18' }, API_SECRET, { subject: 'e2e', ttlSeconds: 3600 });
  const kumla = mintToken({ kind: 'municipality', municipality: '1881' }, API_SECRET, { subject: 'e2e', ttlSeconds: 3600 });
  let pipeline: PipelineProcess;
  let browser: Browser;
  const produce = async (...events: object[]) => {
    const r = await runCli(['produce'], env, `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
    expect(r.code, r.stderr).toBe(0);
  };
  const login = (page: Page, token: string) => signIn(page, pipeline.url, token, 'board.html');
  /**
   * A page whose clock starts at this process's "now", which `npm run test:dates` moves to another
   * date (test/dates/shift-clock.mjs shifts Node's clock only, not Chromium's): the board's
   * counters and default periods then run on the same day as the pipeline.
   */
  async function newPage(options: Parameters<Browser['newPage']>[0] = {}, time = Date.now()): Promise<Page> {
    const page = await browser.newPage(options);
    await page.clock.install({ time });
    return page;
  }
  /** The board's row of the episode a source sent as `episode`: keyed by its pseudonym (the producer edge replaces the source's id). */
  const row = (page: Page, episode: string) => page.locator(`tr[data-episode="${episodeKeyOf(episode)}"]`);
  const cell = (page: Page, episode: string, field: string) => row(page, episode).locator(`td[data-field="${field}"]`);

  beforeAll(async () => {
    requireChromium();
    pipeline = new PipelineProcess(env);
    await pipeline.healthy();
    // History for the charts: March 2026, two discharged utklar episodes of 2 and 4 days (mean 3).
    const march = (d: number, h: number) => Date.parse(`2026-03-${String(d).padStart(2, '0')}T${String(h).padStart(2, '0')}:00:00+01:00`);
    await produce(
      admission('E2E-M1', march(1, 8), '1880', 'Med 2'), ready('E2E-M1', march(3, 10), '1880', 'RED'), simple('discharge', 'E2E-M1', march(5, 10), { destination: 'NURSING_HOME', clinic: 'Medicinkliniken', ward: 'Med 2' }),
      admission('E2E-M2', march(2, 8), '1880', 'Med 2'), ready('E2E-M2', march(10, 9), '1880', 'YELLOW'), simple('discharge', 'E2E-M2', march(14, 15), { destination: 'HOME_WITH_MUNICIPAL_CARE', clinic: 'Medicinkliniken', ward: 'Med 2' }),
    );
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await pipeline?.stop();
  });

  it('shows a patient produced a moment before, counts its days past midnight, and drops it on withdrawal or discharge', async () => {
    const now = Date.now();
    const page = await newPage({ viewport: { width: 1500, height: 900 } }, now);
    await login(page, region);
    const readyAt = now - 60_000;
    await produce(admission('E2E-A', now - 3_600_000, '1880', 'Med 1'), ready('E2E-A', readyAt, '1880'), admission('E2E-B', now - 3_600_000, '1881', 'Med 3'), ready('E2E-B', readyAt, '1881', 'BLUE'));
    // Pushed by the server: no reload.
    await expect.poll(() => cell(page, 'E2E-A', 'utklarDays').textContent(), { timeout: 15_000 }).toBe('0');
    await expect.poll(() => cell(page, 'E2E-B', 'homeMunicipality').textContent()).toBe('Kumla (1881)');
    // The source's episode ids never reach the board: its answer carries their pseudonyms only.
    const board = await page.evaluate(async () => (await fetch('/api/v1/board')).text());
    expect(board).toContain(episodeKeyOf('E2E-A'));
    expect(board).not.toContain('"E2E-A"');
    // A row shows the pseudonym's first 8 digits, the whole in its title.
    expect(await cell(page, 'E2E-A', 'episodeId').textContent()).toBe(`${episodeKeyOf('E2E-A').slice(0, 8)}…`);
    expect(await cell(page, 'E2E-A', 'episodeId').getAttribute('title')).toBe(episodeKeyOf('E2E-A'));
    await page.screenshot({ path: path.join(SHOTS, 'board.png'), fullPage: true });
    // Virtual time in the page: past the next Stockholm midnight the counter reads 1.
    const midnight = stockholmMidnight(stockholmDay(now) + 1);
    await page.clock.runFor(midnight - Date.now() + 2_000);
    await expect.poll(() => cell(page, 'E2E-A', 'utklarDays').textContent(), { timeout: 10_000 }).toBe('1');
    await expect.poll(() => cell(page, 'E2E-A', 'band').textContent()).toBe('1');
    // A withdrawal removes the patient, a discharge moves the other out.
    await produce(simple('ready-withdrawn', 'E2E-A', readyAt + 30_000, { reasonCode: 'CONDITION_WORSENED' }));
    await expect.poll(() => row(page, 'E2E-A').count(), { timeout: 10_000 }).toBe(0);
    await produce(simple('discharge', 'E2E-B', readyAt + 40_000, { destination: 'HOME_WITH_MUNICIPAL_CARE', clinic: 'Medicinkliniken', ward: 'Med 3' }));
    await expect.poll(() => row(page, 'E2E-B').count(), { timeout: 10_000 }).toBe(0);
    await page.close();
  });

  it('a municipality user sees only its own residents', async () => {
    await produce(admission('E2E-C', Date.now() - 3_600_000, '1880', 'Med 1'), ready('E2E-C', Date.now() - 60_000, '1880'));
    const page = await newPage();
    await login(page, region);
    await expect.poll(() => row(page, 'E2E-C').count(), { timeout: 15_000 }).toBe(1);
    await page.close();
    const muni = await newPage();
    await login(muni, kumla);
    await expect.poll(() => muni.locator('#live').textContent(), { timeout: 15_000 }).toBe('live');
    expect(await row(muni, 'E2E-C').count()).toBe(0);
    expect(await muni.locator('.who').getAttribute('data-scope')).toBe('municipality:1881');
    const other = await muni.evaluate(async () => (await fetch('/api/v1/board?municipality=1880')).status);
    expect(other).toBe(403);
    // Its analytics: every count here is below 5, so the page says the values are withheld and
    // draws none of them as 0 (issue #19).
    // The period of this file's episodes (produced just now), whatever the date: from yesterday's month.
    const month = (t: number) => isoDate(fromEpochDay(stockholmDay(t))).slice(0, 7);
    await muni.goto(`${pipeline.url}/analytics.html?from=${month(Date.now() - 86_400_000)}&to=${month(Date.now())}`);
    await expect.poll(() => muni.locator('#withheld').count(), { timeout: 15_000 }).toBe(1);
    expect(await muni.locator('#monthly circle[data-value="0"], #municipalities rect[data-value="0"]').count()).toBe(0);
    await muni.close();
  });

  it('draws the seed reports as charts with the expected values and drills down to the rows', async () => {
    const page = await newPage({ viewport: { width: 1300, height: 1000 } });
    await login(page, region);
    await page.goto(`${pipeline.url}/analytics.html?from=2026-01&to=2026-12`);
    const march = page.locator('#monthly circle[data-series="2026"][data-label="03"]');
    await expect.poll(() => march.getAttribute('data-value'), { timeout: 15_000 }).toBe('3');
    expect(await page.locator('#colours path[data-label="röd"]').getAttribute('data-value')).toBe('1');
    expect(await page.locator('#colours path[data-label="gul"]').getAttribute('data-value')).toBe('1');
    expect(await page.locator('#municipalities rect[data-label="Örebro (1880)"]').getAttribute('data-value')).toBe('3');
    // A table behind each chart (its text alternative): March of this year and last, in the page's number format.
    expect(await page.locator('#monthly-table tbody tr').evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent)))).toEqual([['03', '3', '–']]);
    expect(await page.locator('#colours-table tbody tr', { hasText: 'röd' }).locator('td').getAttribute('data-value')).toBe('1');
    await page.screenshot({ path: path.join(SHOTS, 'analytics.png'), fullPage: true });
    await march.click();
    await expect.poll(() => page.locator('#drill-rows tbody tr').count(), { timeout: 10_000 }).toBe(2);
    await page.screenshot({ path: path.join(SHOTS, 'analytics-drilldown.png'), fullPage: true });
    // A second analytics page: one municipality, psychiatric and somatic side by side in the CSV.
    await page.goto(`${pipeline.url}/analytics.html?from=2026-01&to=2026-12&kommun=1880`);
    await expect.poll(() => page.locator('#municipalities rect').count(), { timeout: 15_000 }).toBe(1);
    await page.screenshot({ path: path.join(SHOTS, 'analytics-orebro.png'), fullPage: true });
    const csv = await page.evaluate(async () => (await fetch('/api/v1/indicators/mean-days?from=2026-03&to=2026-03&format=csv')).text());
    // Every CSV export withholds counts of 1–4 and what is computed from them (issue #19); the
    // region's own JSON answer has the numbers.
    expect(csv.split('\r\n')[1]).toBe('1880,SOMATIC,<5,<5,<5');
    const exact = await page.evaluate(async () => (await (await fetch('/api/v1/indicators/mean-days?from=2026-03&to=2026-03')).json()) as { rows: Record<string, unknown>[] });
    expect(exact.rows.map((r) => [r.group, r.careType, r.episodes, r.days, r.meanDays])).toEqual([['1880', 'SOMATIC', 2, 6, 3]]);
    await page.close();
  });

  it('speaks Swedish by default and English when chosen: the choice in the URL, kept across reloads and pages; delay reasons and numbers in the page\'s language', async () => {
    const now = Date.now();
    // A known delay reason and one no code list knows, which shows as sent.
    await produce(admission('E2E-L', now - 3_600_000, '1880', 'Med 4'), ready('E2E-L', now - 120_000, '1880'),
      simple('delay-reason', 'E2E-L', now - 60_000, { eventId: 'E2E-L-d1', reasonCode: 'AWAITING_HOME_CARE', responsibleParty: 'MUNICIPALITY' }),
      simple('delay-reason', 'E2E-L', now - 30_000, { eventId: 'E2E-L-d2', reasonCode: 'WAITING_FOR_TRANSPORT', responsibleParty: 'REGION' }));
    const page = await newPage({ viewport: { width: 1500, height: 900 } }, now);
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    const reasons = cell(page, 'E2E-L', 'delayReasons');

    // Swedish by default, and the check below finds Swedish where there is some.
    await page.goto(`${pipeline.url}/login.html`);
    expect(await page.locator('html').getAttribute('lang')).toBe('sv');
    expect(await page.locator('#login').textContent()).toBe('Logga in');
    expect(await swedishTexts(page)).not.toEqual([]);

    // Chosen on the login page: kept through the login's redirect (which knows no language).
    await page.click('#lang-en');
    await page.waitForURL('**/login.html?lang=en');
    expect([await page.title(), await page.locator('html').getAttribute('lang'), await page.locator('#login').textContent()]).toEqual(['utklar – sign in', 'en', 'Sign in']);
    expect(await swedishTexts(page)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'login-en.png') });
    await page.fill('#token', region);
    await Promise.all([page.waitForURL('**/board.html?lang=en'), page.click('#login')]);

    await expect.poll(() => reasons.textContent(), { timeout: 15_000 }).toBe('awaiting home care (municipality); WAITING_FOR_TRANSPORT (region)');
    expect(await page.title()).toBe('utklar – board');
    expect(await page.locator('th[data-sort="delayReasons"]').textContent()).toBe('Reason for delay');
    expect(await page.locator('header a.active').textContent()).toBe('Board');
    expect(await cell(page, 'E2E-L', 'trackColour').textContent()).toBe('green');
    expect(await cell(page, 'E2E-L', 'careType').textContent()).toBe('somatic');
    expect(await page.locator('#filter').getAttribute('placeholder')).toBe('ward, municipality, reason…');
    expect(await swedishTexts(page)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'board-en.png'), fullPage: true });

    // A reload keeps it; so do the links between pages.
    await page.reload();
    await expect.poll(() => reasons.textContent(), { timeout: 15_000 }).toBe('awaiting home care (municipality); WAITING_FOR_TRANSPORT (region)');
    await page.click('header a:has-text("Analytics")');
    await page.waitForURL('**/analytics.html?lang=en');
    await page.fill('input[name=from]', '2026-01');
    await page.fill('input[name=to]', '2026-12');
    await page.click('#filters button[type=submit]');
    const march = page.locator('#monthly circle[data-series="2026"][data-label="03"]');
    await expect.poll(() => march.getAttribute('data-value'), { timeout: 15_000 }).toBe('3');
    expect(await page.locator('#monthly h2').textContent()).toBe('Mean days ready for discharge per month (somatic)');
    expect(await page.locator('#colours path[data-label="red"]').getAttribute('data-value')).toBe('1');
    expect(await page.locator('#colours svg').getAttribute('aria-label')).toBe('track colour');
    // The axes in English number format: 3 × 1.1 / 4 = 0.825 is the first tick above zero.
    const ticks = await page.locator('#monthly svg > text').allTextContents();
    expect(ticks).toContain('0.83');
    expect(ticks.filter((x) => /\d,\d/.test(x))).toEqual([]);
    expect(await swedishTexts(page)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'analytics-en.png'), fullPage: true });
    await march.click();
    await expect.poll(() => page.locator('#drill-rows tbody tr').count(), { timeout: 10_000 }).toBe(2);
    expect(await page.locator('#drill h2').textContent()).toBe('Rows: discharged 2026-03 (2 rows, de-identified)');
    expect(await page.locator('#drill-rows tbody td[data-field="trackColour"]').allTextContents()).toEqual(expect.arrayContaining(['red', 'yellow']));
    expect(await swedishTexts(page)).toEqual([]);

    // A page opened without the parameter is English still (remembered), and says so in its URL.
    await page.goto(`${pipeline.url}/board.html`);
    await page.waitForURL('**/board.html?lang=en');
    await expect.poll(() => reasons.textContent(), { timeout: 15_000 }).toBe('awaiting home care (municipality); WAITING_FOR_TRANSPORT (region)');

    // Back to Swedish: the reason's Swedish label, the Swedish number format.
    await page.click('#lang-sv');
    await page.waitForURL('**/board.html?lang=sv');
    await expect.poll(() => reasons.textContent(), { timeout: 15_000 }).toBe('väntar på hemtjänst (kommun); WAITING_FOR_TRANSPORT (region)');
    expect([await page.locator('html').getAttribute('lang'), await page.locator('th[data-sort="delayReasons"]').textContent()]).toEqual(['sv', 'Orsak till dröjsmål']);
    await page.goto(`${pipeline.url}/analytics.html?from=2026-01&to=2026-12`);
    await expect.poll(() => page.locator('#monthly circle[data-series="2026"][data-label="03"]').getAttribute('data-value'), { timeout: 15_000 }).toBe('3');
    expect(page.url()).not.toContain('lang=');
    expect(await page.locator('#monthly h2').textContent()).toBe('Medelvårdtid som utskrivningsklar per månad (somatik)');
    expect(await page.locator('#monthly svg > text').allTextContents()).toContain('0,83');
    expect(problems).toEqual([]);
    await page.close();
  });
});
