import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../services/api/auth.ts';
import { withCheckDigit } from '../../services/contract/personnummer.ts';
import { municipalities } from '../../services/reference/municipalities.ts';
import { loadPopulation } from '../../services/reference/population.ts';
import { API_SECRET, isolatedEnv, waitFor } from '../support/env.ts';
import { PipelineProcess, runCli } from '../support/processes.ts';
import { launchBrowser, requireChromium, SHOTS, signIn } from './browser.ts';
import { swedishTexts } from './swedish-text.ts';

/**
 * March 2026, patients by home kommun, treated in region 18 unless said: Örebro 2 and 4 utklar
 * days, Kumla 6, Karlskoga discharged the day it became ready (0 days: in goal fulfilment, not in
 * the mean), Kristinehamn (Värmlands län) 3 days in Örebro, and Stockholm 5 days in region 01.
 */
const EPISODES: { id: string; kommun: string; region: string; readyDay: number; days: number }[] = [
  { id: 'R-ORE-1', kommun: '1880', region: '18', readyDay: 3, days: 2 },
  { id: 'R-ORE-2', kommun: '1880', region: '18', readyDay: 5, days: 4 },
  { id: 'R-KUM-1', kommun: '1881', region: '18', readyDay: 4, days: 6 },
  { id: 'R-KGA-1', kommun: '1883', region: '18', readyDay: 6, days: 0 },
  { id: 'R-KRI-1', kommun: '1781', region: '18', readyDay: 7, days: 3 },
  { id: 'R-STO-1', kommun: '0180', region: '01', readyDay: 8, days: 5 },
];
const at = (day: number, hour: number) => new Date(Date.parse(`2026-03-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00+01:00`)).toISOString();
const PNR = Object.fromEntries(EPISODES.map((e, i) => [e.id, withCheckDigit(`1938020${i + 1}55${i}`)]));
function events(e: (typeof EPISODES)[number]): object[] {
  const base = { source: 'e2e', personnummer: PNR[e.id], episodeId: e.id };
  const hospital = e.region === '18' ? 'USO' : 'KS';
  return [
    { ...base, type: 'admission', eventId: `${e.id}-a`, occurredAt: at(e.readyDay - 2, 8), region: e.region, hospital, clinic: 'Medicinkliniken', ward: 'Med 1', businessArea: 'Medicin', careType: 'SOMATIC', admissionType: 'ACUTE', homeMunicipality: e.kommun },
    { ...base, type: 'ready-for-discharge', eventId: `${e.id}-r`, occurredAt: at(e.readyDay, 9), recipientMunicipality: e.kommun, trackColour: 'GREEN', fastVardkontaktAppointed: true, sipNeeded: false },
    { ...base, type: 'discharge', eventId: `${e.id}-d`, occurredAt: at(e.readyDay + e.days, 14), destination: 'HOME_WITH_MUNICIPAL_CARE', clinic: 'Medicinkliniken', ward: 'Med 1' },
  ];
}

describe('Riket in headless Chromium: the 21 län side by side for a national token, a län\'s kommuner, and where a token comes from', () => {
  const env = isolatedEnv('embedded', { LOG_LEVEL: 'warn' });
  const nation = mintToken({ kind: 'nation' }, API_SECRET, { subject: 'e2e', ttlSeconds: 3600 });
  const region = mintToken({ kind: 'region', region: '18' }, API_SECRET, { subject: 'e2e', ttlSeconds: 3600 });
  let pipeline: PipelineProcess;
  let browser: Browser;
  const PERIOD = 'from=2026-01&to=2026-12';
  const value = (page: Page, table: string, code: string, field: string) => page.locator(`#${table} tr[data-code="${code}"] td[data-field="${field}"]`).getAttribute('data-value');
  const shown = (page: Page, table: string, code: string, field: string) => page.locator(`#${table} tr[data-code="${code}"] td[data-field="${field}"]`).textContent();
  const login = (page: Page, token: string, lands: string) => signIn(page, pipeline.url, token, lands);

  beforeAll(async () => {
    requireChromium();
    pipeline = new PipelineProcess(env);
    await pipeline.healthy();
    const r = await runCli(['produce'], env, `${EPISODES.flatMap(events).map((e) => JSON.stringify(e)).join('\n')}\n`);
    expect(r.code, r.stderr).toBe(0);
    // Every episode in the read model before a page asks.
    await waitFor('the six episodes in the read model', async () => {
      const res = await fetch(`${pipeline.url}/api/v1/indicators/goal-fulfilment?${PERIOD}&groupBy=none`, { headers: { authorization: `Bearer ${nation}` } });
      const body = (await res.json()) as { rows: { episodes: number }[] };
      return body.rows.reduce((s, x) => s + x.episodes, 0) === EPISODES.length ? true : undefined;
    });
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await pipeline?.stop();
  });

  it('the login page says where the token comes from, in Swedish and in English', async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 800 } });
    await page.goto(`${pipeline.url}/login.html`);
    const help = page.locator('#token-help');
    expect(await help.locator('h2').textContent()).toBe('Var kommer nyckeln ifrån?');
    const sv = (await help.innerText()).replace(/\s+/g, ' ');
    expect(sv).toContain('På en utvecklingsdator skriver npm start ut adressen och en nyckel först av allt');
    expect(sv).toContain('bin/utklar token --scope …, där … är region:NN, municipality:NNNN (en kommun), unit:SJUKHUS/AVDELNING eller nation (riket)');
    expect(sv).toContain('infra/.data/api.secret');
    await page.screenshot({ path: path.join(SHOTS, 'login.png') });
    await page.click('#lang-en');
    await page.waitForURL('**/login.html?lang=en');
    expect(await help.locator('h2').textContent()).toBe('Where does the token come from?');
    const en = (await help.innerText()).replace(/\s+/g, ' ');
    expect(en).toContain('On a development machine npm start prints the address and a token before anything else');
    expect(en).toContain('Make a new token with bin/utklar token --scope …, where … is region:NN, municipality:NNNN (a municipality), unit:HOSPITAL/WARD or nation');
    expect(await swedishTexts(page)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'login-en-token-help.png') });
    await page.close();
  });

  it('a national token lands on Riket: all 21 län with their figures and the variation between their kommuner; a click shows a län\'s kommuner', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await login(page, nation, 'riket.html');
    expect(await page.locator('header a.active').textContent()).toBe('Riket');
    // The nation reads statistics, not the live board.
    expect(await page.locator('header a[href^="/board.html"]').count()).toBe(0);
    await page.goto(`${pipeline.url}/riket.html?${PERIOD}`);
    const rows = page.locator('#counties tbody tr');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(21);
    // Every län of the reference data, in code order, by name.
    const counties = [...new Map([...municipalities.values()].map((m) => [m.countyCode, m.county]))].sort(([a], [b]) => a.localeCompare(b));
    expect(await rows.locator('th[data-field="name"]').allTextContents()).toEqual(counties.map(([code, name]) => `${name} (${code})`));
    // Örebro län: 2, 4 and 6 days (mean 4), 1 of 4 discharged the day it became ready; its kommuner's means 3 (Örebro) and 6 (Kumla).
    expect(await value(page, 'counties', '18', 'meanDays')).toBe('4');
    expect(await shown(page, 'counties', '18', 'meanDays')).toBe('4,0');
    expect(await value(page, 'counties', '18', 'episodes')).toBe('3');
    expect(await value(page, 'counties', '18', 'goalShare')).toBe('0.25');
    expect(await shown(page, 'counties', '18', 'goalShare')).toBe('25,0 %');
    expect([await value(page, 'counties', '18', 'kommuner'), await value(page, 'counties', '18', 'min'), await value(page, 'counties', '18', 'max'), await value(page, 'counties', '18', 'stdDev')]).toEqual(['2', '3', '6', '1.5']);
    // Per 1 000 inv 65+ over all twelve kommuner of the län (31 Dec 2022, the latest 65+ loaded).
    const pop65 = loadPopulation();
    const orebro65 = [...municipalities.values()].filter((m) => m.countyCode === '18').reduce((s, m) => s + pop65.figure(m.code, 2022, '65+')!, 0);
    expect(Number(await value(page, 'counties', '18', 'daysPer1000Inv65'))).toBeCloseTo((12 / orebro65) * 1000, 10);
    // By home: the Kristinehamn patient treated in Örebro counts for Värmlands län, the Stockholm one for Stockholms län.
    expect([await value(page, 'counties', '17', 'meanDays'), await value(page, 'counties', '01', 'meanDays'), await value(page, 'counties', '01', 'goalShare')]).toEqual(['3', '5', '0']);
    // A län without a patient: nothing averaged, no variation.
    expect([await value(page, 'counties', '25', 'meanDays'), await shown(page, 'counties', '25', 'meanDays'), await value(page, 'counties', '25', 'kommuner')]).toEqual(['', '–', '0']);
    // The chart: a bar per län with data.
    expect(await page.locator('#regions rect.mark').evaluateAll((bars) => bars.map((b) => [b.getAttribute('data-label'), b.getAttribute('data-value')]))).toEqual([['Stockholms län (01)', '5'], ['Värmlands län (17)', '3'], ['Örebro län (18)', '4']]);
    await page.screenshot({ path: path.join(SHOTS, 'riket.png'), fullPage: true });

    // A län's kommuner: every one of the reference data's, those without a patient included.
    await Promise.all([page.waitForURL((u) => u.pathname === '/riket.html' && u.searchParams.get('lan') === '18'), page.click('#counties tr[data-code="18"] a.county-link')]);
    const kommuner = page.locator('#kommuner tbody tr');
    await expect.poll(() => kommuner.count(), { timeout: 15_000 }).toBe(12);
    expect(await page.locator('#county h2').textContent()).toBe('Örebro län (18): kommunerna');
    expect([await value(page, 'kommuner', '1880', 'meanDays'), await value(page, 'kommuner', '1880', 'episodes'), await value(page, 'kommuner', '1881', 'meanDays')]).toEqual(['3', '2', '6']);
    expect([await value(page, 'kommuner', '1883', 'meanDays'), await value(page, 'kommuner', '1883', 'goalShare'), await value(page, 'kommuner', '1882', 'daysPer1000Inv65')]).toEqual(['', '1', '0']);
    // Värmland's Kristinehamn is not one of Örebro län's kommuner.
    expect(await page.locator('#kommuner tr[data-code="1781"]').count()).toBe(0);
    expect(await page.locator('#county rect.mark').evaluateAll((bars) => bars.map((b) => b.getAttribute('data-label')))).toEqual(['Kumla', 'Örebro']);
    expect(await page.locator('#county line.ref').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-value')))).toEqual(['3', '6', '1.5']);
    expect(await page.locator('#open-analytics').getAttribute('href')).toBe('/analytics.html?from=2026-01&to=2026-12&careType=SOMATIC&lan=18');
    await page.screenshot({ path: path.join(SHOTS, 'riket-lan.png'), fullPage: true });

    // In English, nothing Swedish but the names.
    await page.click('#lang-en');
    await page.waitForURL((u) => u.searchParams.get('lang') === 'en');
    await expect.poll(() => page.locator('#kommuner tbody tr').count(), { timeout: 15_000 }).toBe(12);
    expect(await page.locator('#county h2').textContent()).toBe('Örebro län (18): the municipalities');
    expect(await shown(page, 'counties', '18', 'goalShare')).toBe('25.0%');
    expect(await swedishTexts(page)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'riket-lan-en.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a region\'s token gets no Riket, and its board offers its own län\'s kommuner and those of the patients it treats, from the reference data', async () => {
    const page = await browser.newPage();
    await login(page, region, 'board.html');
    const options = page.locator('#scope option');
    await expect.poll(() => options.count(), { timeout: 15_000 }).toBe(14);
    const names = await options.allTextContents();
    expect(names[0]).toBe('Hela regionen');
    expect(names.slice(1)).toEqual(['Askersund (1882)', 'Degerfors (1862)', 'Hallsberg (1861)', 'Hällefors (1863)', 'Karlskoga (1883)', 'Kumla (1881)', 'Laxå (1860)', 'Lekeberg (1814)', 'Lindesberg (1885)', 'Ljusnarsberg (1864)', 'Nora (1884)', 'Örebro (1880)', 'Kristinehamn (1781)']);
    await page.goto(`${pipeline.url}/riket.html`);
    await expect.poll(() => page.locator('#needs-nation').textContent(), { timeout: 10_000 }).toBe('Riket visar alla län och kräver en nationell nyckel (nation). Din nyckel gäller region:18: se Analys.');
    await page.close();
  });
});
