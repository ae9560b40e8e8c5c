import { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../services/api/auth.ts';
import { rebuildKeys, type RebuildDiff, type RebuildRecord } from '../../services/rebuild/records.ts';
import { API_SECRET, configOf, isolatedEnv } from '../support/env.ts';
import { PipelineProcess } from '../support/processes.ts';
import { launchBrowser, requireChromium, signIn } from './browser.ts';
import { swedishTexts } from './swedish-text.ts';

/**
 * Issue #20's page Ändringar: the rebuilds and one rebuild's diff, as GET /api/v1/changes answers
 * them. The rebuild is a fixture in Redis (the diff of test/integration/rebuild.test.ts's
 * hand-worked threshold change, where the real rebuild is run): the page only reads the API.
 */
describe('the page Ändringar in headless Chromium', () => {
  const env = isolatedEnv('embedded', { LOG_LEVEL: 'warn' });
  const config = configOf(env);
  const keys = rebuildKeys(config.namespace);
  const token = (scope: Parameters<typeof mintToken>[0]) => mintToken(scope, API_SECRET, { subject: 'e2e', ttlSeconds: 3600 });
  const cell = (kommun: string, month: string, field: string, old: number, now: number) => ({ indicator: 'payment', field, region: '18', kommun, month, careType: 'SOMATIC', rest: 'region=18', old, new: now, difference: now - old, small: false });
  const ID = '20261206t090000ab';
  const record: RebuildRecord = {
    id: ID, status: 'ready', agreements: 'orebro.json', agreementVersions: ['law.json#2018-01-01@0123456789', 'orebro.json#2018-01-01@abcdef0123'], from: '2023-03', to: '2023-04',
    namespace: `${config.namespace}-rb-${ID}`, database: `${config.clickhouseDatabase}_rb_${ID}`, eventsNamespace: config.namespace,
    startedBy: 'Analytiker Örebro', startedAt: '2026-12-06T09:00:00Z', partitions: [], runs: 1, finishedAt: '2026-12-06T09:01:00Z',
  };
  // One published and then undone with `rebuild --rollback`: the list says so, with who and when.
  const ROLLED = '20261206t080000cd';
  const rolled: RebuildRecord = {
    ...record, id: ROLLED, status: 'rolled-back', namespace: `${config.namespace}-rb-${ROLLED}`, database: `${config.clickhouseDatabase}_rb_${ROLLED}`, startedAt: '2026-12-06T08:00:00Z',
    promotedAt: '2026-12-06T08:10:00Z', promotedBy: 'Chef Region Örebro', rolledBackAt: '2026-12-06T08:20:00Z', rolledBackBy: 'Ekonomichef Örebro', keepUntil: '2026-12-13T08:20:00Z',
  };
  const diff: RebuildDiff = {
    id: ID, from: '2023-03', to: '2023-04', agreementVersions: { old: ['orebro.json#2018-01-01@9999999999'], new: ['orebro.json#2018-01-01@abcdef0123'] }, computedAt: '2026-12-06T09:01:00Z',
    summary: [{ indicator: 'payment', cells: 40, changed: 5, municipalityMonths: 2, fields: [], line: 'payment: 5 of 40 values changed in 2 municipality-month(s); billableDays 0 → 5 (+5)' },
      { indicator: 'indicators/mean-days', cells: 30, changed: 0, municipalityMonths: 0, fields: [], line: 'indicators/mean-days: no change (30 values compared)' }],
    counts: { '18': { payment: 40, 'indicators/mean-days': 30 } },
    changes: [cell('1880', '2023-03', 'amountSek', 0, 52_500), cell('1880', '2023-03', 'billableDays', 0, 5), cell('1880', '2023-03', 'exceeded', 0, 1), cell('1880', '2023-03', 'threshold', 3, 2), cell('1881', '2023-03', 'threshold', 3, 2)],
    invoices: [{ region: '18', month: '2023-03', frozenAt: '2026-12-06T08:00:00Z', frozenBy: 'ekonomi', frozenAgreements: [], episodes: [], billableDaysDelta: 5, amountSekDelta: 52_500,
      lines: [{ kommun: '1880', careType: 'SOMATIC', billableDaysFrozen: 0, billableDaysLive: 5, billableDaysDelta: 5, amountSekDelta: 52_500 }] }],
  };
  let pipeline: PipelineProcess;
  let browser: Browser;
  let redis: Redis;

  async function open(t: string, path: string, lands = 'board.html'): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await signIn(page, pipeline.url, t, lands);
    await page.goto(`${pipeline.url}${path}`);
    return page;
  }

  beforeAll(async () => {
    requireChromium();
    redis = new Redis(config.redisUrl);
    await redis.multi().set(keys.record(ID), JSON.stringify(record)).zadd(keys.index, String(Date.parse(record.startedAt)), ID).set(keys.diff(ID), JSON.stringify(diff))
      .set(keys.record(ROLLED), JSON.stringify(rolled)).zadd(keys.index, String(Date.parse(rolled.startedAt)), ROLLED).exec();
    pipeline = new PipelineProcess(env);
    await pipeline.healthy();
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await pipeline?.stop();
    await redis?.del(keys.record(ID), keys.record(ROLLED), keys.index, keys.diff(ID));
    redis?.disconnect();
  });

  it('lists the rebuilds, and a rebuild\'s summary, changed values and frozen invoices; in Swedish and in English', async () => {
    const page = await open(token({ kind: 'region', region: '18' }), '/changes.html');
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await expect.poll(() => page.locator('#rebuilds tbody tr').count(), { timeout: 20_000 }).toBe(2);
    expect(await page.locator('header a.active').textContent()).toBe('Ändringar');
    expect(await page.locator('#active').textContent()).toBe('Rapporterna svarar från den ursprungliga datan: ingen omräkning är publicerad.');
    // Newest first.
    expect(await page.locator('#rebuilds tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')))).toEqual([ID, ROLLED]);
    expect(await page.locator(`#rebuilds tr[data-id="${ID}"] td[data-field="status"]`).textContent()).toBe('Klar, ej publicerad');
    expect((await page.locator(`#rebuilds tr[data-id="${ROLLED}"] td[data-field="status"]`).textContent())?.replace(/\s/g, ' ')).toMatch(/^Återkallad 2026-12-06 \d\d:20, Ekonomichef Örebro$/);
    expect(await page.locator(`#rebuilds tr[data-id="${ROLLED}"] td`).last().textContent()).toContain('Chef Region Örebro');
    expect(await page.locator('#rebuilds th[scope="col"]').count()).toBe(6);
    await Promise.all([page.waitForURL(`**/changes.html?rebuild=${ID}`), page.click(`#rebuilds tr[data-id="${ID}"] a`)]);
    await expect.poll(() => page.locator('#changed tbody tr').count(), { timeout: 20_000 }).toBe(5);
    // The region's own summary, recomputed over its values (GET /api/v1/changes scopes it).
    expect(await page.locator('#summary li').allTextContents()).toEqual([
      'indicators/mean-days: no change (30 values compared)',
      'payment: 5 of 40 values changed in 2 municipality-month(s); amountSek 0 → 52500 (+52500); billableDays 0 → 5 (+5); exceeded 0 → 1 (+1); threshold 6 → 4 (-2)',
    ]);
    const spaced = (xs: string[]) => xs.map((x) => x.replace(/\s/g, ' '));
    expect(spaced(await page.locator('#changed tbody tr').first().locator('td').allTextContents())).toEqual(['payment', 'amountSek (region=18)', 'Örebro (1880)', '2023-03', 'SOMATIC', '0', '52 500', '52 500']);
    expect(spaced(await page.locator('#invoices tbody td').allTextContents())).toEqual([expect.stringMatching(/^Region 18 2023-03, fryst .* av ekonomi$/), 'Örebro (1880)', 'SOMATIC', '0 → 5', '52 500 kr']);
    expect(await page.locator('#csv').getAttribute('href')).toBe(`/api/v1/changes?rebuild=${ID}&format=csv`);
    const csv = await page.evaluate(async (href) => (await fetch(href)).text(), `/api/v1/changes?rebuild=${ID}&format=csv`);
    expect(csv.split('\r\n')[1]).toBe('payment,amountSek,18,1880,2023-03,SOMATIC,region=18,0,52500,52500');

    await page.goto(`${pipeline.url}/changes.html?rebuild=${ID}&lang=en`);
    await expect.poll(() => page.locator('#changed tbody tr').count(), { timeout: 20_000 }).toBe(5);
    expect(await page.locator('header a.active').textContent()).toBe('Changes');
    expect((await page.locator('#invoices tbody td').nth(4).textContent())?.replace(/\s/g, ' ')).toBe('SEK 52,500');
    expect(await swedishTexts(page)).toEqual([]);
    await page.goto(`${pipeline.url}/changes.html?lang=en`);
    await expect.poll(() => page.locator('#rebuilds tbody tr').count(), { timeout: 20_000 }).toBe(2);
    expect((await page.locator(`#rebuilds tr[data-id="${ROLLED}"] td[data-field="status"]`).textContent())?.replace(/\s/g, ' ')).toMatch(/^Rolled back .*20.*, Ekonomichef Örebro$/);
    expect(problems).toEqual([]);
  }, 60_000);

  it('a municipality sees its own rows; a unit is told the page is not for its scope', async () => {
    const kumla = await open(token({ kind: 'municipality', municipality: '1881' }), `/changes.html?rebuild=${ID}`);
    await expect.poll(() => kumla.locator('#changed tbody tr').count(), { timeout: 20_000 }).toBe(1);
    expect(await kumla.locator('#changed tbody td').nth(2).textContent()).toBe('Kumla (1881)');
    expect(await kumla.locator('#no-invoices').count()).toBe(1);
    const unit = await open(token({ kind: 'unit', hospital: 'USO', ward: 'Med 2' }), '/changes.html');
    await expect.poll(() => unit.locator('#not-for-scope').count(), { timeout: 20_000 }).toBe(1);
    expect(await unit.locator('header a', { hasText: 'Ändringar' }).count()).toBe(0);
  }, 60_000);
});
