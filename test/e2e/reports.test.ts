import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../services/api/auth.ts';
import { withCheckDigit } from '../../services/contract/personnummer.ts';
import { epochDay, stockholmDay } from '../../services/core/stockholm-time.ts';
import { API_SECRET, episodeKeyOf, isolatedEnv, waitFor } from '../support/env.ts';
import { PipelineProcess, runCli } from '../support/processes.ts';
import { launchBrowser, requireChromium, SHOTS, signIn } from './browser.ts';
import { swedishTexts } from './swedish-text.ts';

/**
 * March 2026 in region 18 (fixed past dates: the test reads the same on any day after them).
 * Somatic, discharged: A1 (Örebro, 2 days, green, fast vårdkontakt, delay: home care by the
 * kommun), A2 (Örebro, 4 days, yellow, no fast vårdkontakt, delays: nursing home by the kommun and
 * a SIP meeting by the region), A3 (Kumla, 6 days, red, Kirurgkliniken), A4 (Karlskoga, 0 days:
 * in goal fulfilment, not in the mean). P1: psychiatric, Örebro, 3 days, blue. R1: A1's patient
 * again a week after A1's discharge (acute: a readmission, never ready). W1: Kumla, ready on
 * 20 March and still inpatient, its ready notice sent to Örebro (the recipient kommun).
 */
interface Ep { id: string; kommun: string; readyDay?: number; days?: number; colour?: string; fvk?: boolean; clinic?: string; ward?: string; area?: string; care?: string; admitDay?: number; recipient?: string; reasons?: [string, string][]; patient?: string }
const EPISODES: Ep[] = [
  { id: 'RP-A1', kommun: '1880', readyDay: 3, days: 2, colour: 'GREEN', fvk: true, reasons: [['AWAITING_HOME_CARE', 'MUNICIPALITY']] },
  { id: 'RP-A2', kommun: '1880', readyDay: 5, days: 4, colour: 'YELLOW', fvk: false, reasons: [['AWAITING_NURSING_HOME', 'MUNICIPALITY'], ['AWAITING_SIP', 'REGION']] },
  { id: 'RP-A3', kommun: '1881', readyDay: 4, days: 6, colour: 'RED', fvk: true, clinic: 'Kirurgkliniken', ward: 'Kir 1', area: 'Kirurgi' },
  { id: 'RP-A4', kommun: '1883', readyDay: 6, days: 0, colour: 'GREEN', fvk: true },
  { id: 'RP-P1', kommun: '1880', readyDay: 7, days: 3, colour: 'BLUE', fvk: false, clinic: 'PSY-kliniken', ward: 'PSY 1', area: 'PSY', care: 'PSYCHIATRIC' },
  { id: 'RP-R1', kommun: '1880', admitDay: 12, patient: 'RP-A1' },
  { id: 'RP-W1', kommun: '1881', readyDay: 20, clinic: 'Kirurgkliniken', ward: 'Kir 1', area: 'Kirurgi', recipient: '1880' },
];
const at = (day: number, hour: number) => new Date(Date.parse(`2026-03-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00+01:00`)).toISOString();
const PNR = Object.fromEntries(EPISODES.map((e, i) => [e.id, withCheckDigit(`1939030${i + 1}66${i}`)]));
function events(e: Ep): object[] {
  const base = { source: 'e2e', personnummer: PNR[e.patient ?? e.id], episodeId: e.id };
  const [clinic, ward] = [e.clinic ?? 'Medicinkliniken', e.ward ?? 'Med 1'];
  const admitted = e.admitDay ?? e.readyDay! - 2;
  const out: object[] = [{ ...base, type: 'admission', eventId: `${e.id}-a`, occurredAt: at(admitted, 8), region: '18', hospital: 'USO', clinic, ward, businessArea: e.area ?? 'Medicin', careType: e.care ?? 'SOMATIC', admissionType: 'ACUTE', homeMunicipality: e.kommun, primaryCareUnit: 'VC Tybble' }];
  if (e.readyDay === undefined) return [...out, { ...base, type: 'discharge', eventId: `${e.id}-d`, occurredAt: at(admitted + 2, 14), destination: 'HOME', clinic, ward }];
  out.push({ ...base, type: 'ready-for-discharge', eventId: `${e.id}-r`, occurredAt: at(e.readyDay, 9), recipientMunicipality: e.recipient ?? e.kommun, trackColour: e.colour ?? 'GREEN', fastVardkontaktAppointed: e.fvk ?? true, sipNeeded: false });
  (e.reasons ?? []).forEach(([reasonCode, responsibleParty], i) => out.push({ ...base, type: 'delay-reason', eventId: `${e.id}-why${i}`, occurredAt: at(e.readyDay!, 11 + i), reasonCode, responsibleParty }));
  if (e.days !== undefined) out.push({ ...base, type: 'discharge', eventId: `${e.id}-d`, occurredAt: at(e.readyDay + e.days, 14), destination: 'HOME_WITH_MUNICIPAL_CARE', clinic, ward });
  return out;
}

describe('the reports pages in headless Chromium: every seed report with its listboxes, exact drill-downs, the URL', () => {
  const env = isolatedEnv('embedded', { LOG_LEVEL: 'warn' });
  const region = mintToken({ kind: 'region', region: '18' }, API_SECRET, { subject: 'e2e', ttlSeconds: 3600 });
  const kumla = mintToken({ kind: 'municipality', municipality: '1881' }, API_SECRET, { subject: 'e2e', ttlSeconds: 3600 });
  const PERIOD = 'from=2026-01&to=2026-12';
  let pipeline: PipelineProcess;
  let browser: Browser;
  const cell = (page: Page, table: string, code: string, field: string) => page.locator(`#${table} tr[data-code="${code}"] [data-field="${field}"]`);
  const value = (page: Page, table: string, code: string, field: string) => cell(page, table, code, field).getAttribute('data-value');
  const drilled = (page: Page) => page.locator('#drill-rows tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-episode')).sort());
  /** The episode ids the pages list for episodes a source sent as `ids`: their pseudonyms (the producer edge replaces the source's ids), sorted. */
  const keys = (...ids: string[]) => ids.map((id) => episodeKeyOf(id)).sort();
  /** A drill-down CSV's episode ids (its first column), sorted; the source's ids appear nowhere in it. */
  const csvEpisodes = (csv: string) => {
    expect(csv).not.toContain('RP-');
    return csv.split('\r\n').filter((l) => /^[0-9a-f]{32},/.test(l)).map((l) => l.split(',')[0]).sort();
  };

  async function open(token: string, query: string, viewport = { width: 1400, height: 1000 }): Promise<Page> {
    const page = await browser.newPage({ viewport });
    await signIn(page, pipeline.url, token, 'board.html*');
    await page.goto(`${pipeline.url}/reports.html?${query}`);
    await page.locator('#report[data-loaded]').waitFor({ timeout: 20_000 });
    return page;
  }
  async function drillFrom(page: Page, selector: string, expected: string[]): Promise<void> {
    await page.locator(selector).first().click();
    await expect.poll(() => drilled(page), { timeout: 10_000 }).toEqual(keys(...expected));
  }

  beforeAll(async () => {
    requireChromium();
    pipeline = new PipelineProcess(env);
    await pipeline.healthy();
    const r = await runCli(['produce'], env, `${EPISODES.flatMap(events).map((e) => JSON.stringify(e)).join('\n')}\n`);
    expect(r.code, r.stderr).toBe(0);
    await waitFor('every episode in the read model, the readmission linked', async () => {
      const res = await fetch(`${pipeline.url}/api/v1/readmissions?${PERIOD}&groupBy=none`, { headers: { authorization: `Bearer ${region}` } });
      const body = (await res.json()) as { rows: { admissions: number; readmissions: number }[] };
      const waiting = (await (await fetch(`${pipeline.url}/api/v1/waiting?groupBy=none`, { headers: { authorization: `Bearer ${region}` } })).json()) as { rows: { waiting: number }[] };
      return body.rows[0]?.admissions === EPISODES.length && body.rows[0]?.readmissions === 1 && waiting.rows[0]?.waiting === 1 ? true : undefined;
    }, 120_000);
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await pipeline?.stop();
  });

  it('Översikt: per kommun, each count a button listing exactly its episodes; the listboxes round-trip through the URL', async () => {
    const page = await open(region, `report=oversikt&${PERIOD}`);
    expect(await page.locator('header a.active').textContent()).toBe('Rapporter');
    expect(await page.locator('#report-nav a[aria-current="page"]').textContent()).toBe('Översikt');
    expect([await value(page, 'overview-table', '1880', 'admitted'), await value(page, 'overview-table', '1880', 'readyNotices'), await value(page, 'overview-table', '1880', 'utklarEpisodes')]).toEqual(['4', '3', '3']);
    expect([await value(page, 'overview-table', '1881', 'admitted'), await value(page, 'overview-table', '1881', 'utklarEpisodes'), await value(page, 'overview-table', '1881', 'waitingNow')]).toEqual(['2', '2', '1']);
    expect([await value(page, 'overview-table', '1883', 'readyNotices'), await value(page, 'overview-table', '1883', 'utklarEpisodes')]).toEqual(['1', '0']);
    expect(await page.locator('#overview rect[data-label="Örebro (1880)"][data-series="vårdtillfällen"]').getAttribute('data-value')).toBe('4');
    await page.screenshot({ path: path.join(SHOTS, 'reports-oversikt.png'), fullPage: true });
    // The counts' buttons: Örebro's utklar ≥ 1 day are A1, A2 and the psychiatric P1, not the readmission R1.
    await drillFrom(page, '#overview-table tr[data-code="1880"] [data-field="utklarEpisodes"] button', ['RP-A1', 'RP-A2', 'RP-P1']);
    await drillFrom(page, '#overview-table tr[data-code="1880"] [data-field="admitted"] button', ['RP-A1', 'RP-A2', 'RP-P1', 'RP-R1']);
    await drillFrom(page, '#overview-table tr[data-code="1881"] [data-field="waitingNow"] button', ['RP-W1']);
    // "Antal dagar": per number of utklar days (A4's 0 days included), a count's button lists it.
    expect([await value(page, 'per-utklar-days-table', '0|SOMATIC', 'episodes'), await value(page, 'per-utklar-days-table', '6|SOMATIC', 'episodes'), await value(page, 'per-utklar-days-table', '3|PSYCHIATRIC', 'episodes')]).toEqual(['1', '1', '1']);
    await drillFrom(page, '#per-utklar-days-table tr[data-code="0|SOMATIC"] [data-field="episodes"] button', ['RP-A4']);
    expect(await page.locator('#per-days-since p').first().textContent()).toContain('Välj Dagar sedan utskrivning');
    // The chart's bar by keyboard: focus, Enter.
    await page.locator('#overview rect[data-label="Kumla (1881)"][data-series="utskrivningsklara ≥ 1 dag"]').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => drilled(page), { timeout: 10_000 }).toEqual(keys('RP-A3', 'RP-W1'));
    expect(await page.locator('#drill-csv').getAttribute('href')).toContain('counted=admittedUtklar');
    const csv = await page.evaluate(async () => (await fetch(document.querySelector<HTMLAnchorElement>('#drill-csv')!.href)).text());
    expect(csvEpisodes(csv)).toEqual(keys('RP-A3', 'RP-W1'));

    // A selection of kommuner and more listboxes, kept in the URL: a reload (a shared link) shows the same.
    await page.selectOption('#f-kommun', ['1880', '1883']);
    await page.selectOption('#f-careType', 'SOMATIC');
    await page.selectOption('#f-clinic', 'Medicinkliniken');
    await Promise.all([page.waitForURL((u) => u.searchParams.get('kommun') === '1880,1883'), page.click('#filters button[type=submit]')]);
    const u = new URL(page.url());
    expect([u.searchParams.get('report'), u.searchParams.get('from'), u.searchParams.get('careType'), u.searchParams.get('clinic')]).toEqual(['oversikt', '2026-01', 'SOMATIC', 'Medicinkliniken']);
    await page.locator('#report[data-loaded]').waitFor();
    expect(await page.locator('#overview-table tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-code')))).toEqual(['1880', '1883']);
    expect(await value(page, 'overview-table', '1880', 'admitted')).toBe('3');
    await page.reload();
    await page.locator('#report[data-loaded]').waitFor();
    expect(await page.locator('#f-kommun').evaluate((s: HTMLSelectElement) => [...s.selectedOptions].map((o) => o.value).sort())).toEqual(['1880', '1883']);
    expect([await page.locator('#f-careType').inputValue(), await page.locator('#f-clinic').inputValue()]).toEqual(['SOMATIC', 'Medicinkliniken']);
    // Per day since the discharge, once the listbox says how many days back (A3 and the psychiatric P1 left on 10 March, A2 on 9 March).
    const since = (d: number) => stockholmDay(Date.now()) - epochDay({ year: 2026, month: 3, day: d });
    const back = await open(region, `report=oversikt&${PERIOD}&dischargedWithinDays=${since(9)}`);
    expect([await value(back, 'per-days-since-table', `${since(10)}|SOMATIC`, 'episodes'), await value(back, 'per-days-since-table', `${since(9)}|SOMATIC`, 'episodes')]).toEqual(['1', '1']);
    expect(await back.locator('#per-days-since-table tbody tr').count()).toBe(3);
    expect(await value(back, 'per-days-since-table', `${since(10)}|PSYCHIATRIC`, 'episodes')).toBe('1');
    await drillFrom(back, `#per-days-since-table tr[data-code="${since(10)}|SOMATIC"] [data-field="episodes"] button`, ['RP-A3']);
    expect(await back.locator('#f-dischargedWithinDays').inputValue()).toBe(String(since(9)));
    await back.screenshot({ path: path.join(SHOTS, 'reports-oversikt-antal-dagar.png'), fullPage: true });
    await back.close();
    // Another report keeps the selection.
    await Promise.all([page.waitForURL('**/reports.html?*report=analys*'), page.click('#report-nav a[data-report="analys"]')]);
    expect(new URL(page.url()).searchParams.get('kommun')).toBe('1880,1883');
    await page.close();
  });

  it('Analys: mean days per year and month; a point lists exactly the episodes it averages (no day-0 discharge), paged, with CSV', async () => {
    const page = await open(region, `report=analys&${PERIOD}&rows=2`);
    expect([await value(page, 'per-year-table', '2026|SOMATIC', 'meanDays'), await value(page, 'per-year-table', '2026|SOMATIC', 'episodes'), await value(page, 'per-year-table', '2026|PSYCHIATRIC', 'meanDays')]).toEqual(['4', '3', '3']);
    expect(await cell(page, 'per-year-table', '2026|SOMATIC', 'meanDays').textContent()).toBe('4,0');
    expect(await value(page, 'per-month-table', '2026-03|SOMATIC', 'meanDays')).toBe('4');
    expect([await value(page, 'business-areas-table', 'Medicin|SOMATIC', 'days'), await value(page, 'business-areas-table', 'Kirurgi|SOMATIC', 'days')]).toEqual(['6', '6']);
    expect(await page.locator('#per-month circle[data-series="2026 somatik"][data-label="03"]').getAttribute('data-value')).toBe('4');
    await page.screenshot({ path: path.join(SHOTS, 'reports-analys.png'), fullPage: true });
    // The March point (somatic): A1, A2, A3, not A4 (0 days) nor the psychiatric P1; two rows a page,
    // in the order of their episode ids (the pseudonyms').
    const march = keys('RP-A1', 'RP-A2', 'RP-A3');
    await page.locator('#per-month circle[data-series="2026 somatik"][data-label="03"]').click();
    await expect.poll(() => drilled(page), { timeout: 10_000 }).toEqual(march.slice(0, 2));
    expect(await page.locator('#drill-paging').textContent()).toContain('Rad 1–2.');
    await page.click('#drill-next');
    await expect.poll(() => drilled(page), { timeout: 10_000 }).toEqual(march.slice(2));
    expect(await page.locator('#drill-next').count()).toBe(0);
    await page.screenshot({ path: path.join(SHOTS, 'reports-drilldown.png'), fullPage: true });
    const csv = await page.evaluate(async () => (await fetch(document.querySelector<HTMLAnchorElement>('#drill-csv')!.href)).text());
    expect(csvEpisodes(csv)).toEqual(march);
    await page.close();
  });

  it('Bubbeldiagram, Inneliggande (per recipient kommun, klinik, vårdenhet, delay bands), Spårfärg and fast vårdkontakt', async () => {
    const page = await open(region, `report=bubblor&${PERIOD}&careType=SOMATIC`);
    expect(await page.locator('#bubbles circle.mark title').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/^Örebro: /), expect.stringMatching(/^Kumla: /)]));
    expect(await value(page, 'bubbles-table', '1880', 'days')).toBe('6');
    await page.screenshot({ path: path.join(SHOTS, 'reports-bubblor.png'), fullPage: true });

    await page.goto(`${pipeline.url}/reports.html?report=inneliggande&${PERIOD}`);
    await page.locator('#report[data-loaded]').waitFor();
    expect([await value(page, 'waiting-recipientMunicipality-table', '1880', 'waiting'), await value(page, 'waiting-recipientMunicipality-table', '1880', 'band_21+')]).toEqual(['1', '1']);
    expect(await value(page, 'waiting-municipality-table', '1881', 'waiting')).toBe('1');
    expect(await value(page, 'waiting-clinic-table', 'Kirurgkliniken', 'waiting')).toBe('1');
    expect(await value(page, 'waiting-ward-table', 'USO/Kir 1', 'band_21+')).toBe('1');
    await page.screenshot({ path: path.join(SHOTS, 'reports-inneliggande.png'), fullPage: true });
    await drillFrom(page, '#waiting-recipientMunicipality-table tr[data-code="1880"] [data-field="band_21+"] button', ['RP-W1']);
    await drillFrom(page, '#waiting-ward-table tr[data-code="USO/Kir 1"] [data-field="waiting"] button', ['RP-W1']);

    await page.goto(`${pipeline.url}/reports.html?report=sparfarg&${PERIOD}`);
    await page.locator('#report[data-loaded]').waitFor();
    expect([await value(page, 'colours-table', 'period', 'colour_GREEN'), await value(page, 'colours-table', 'period', 'colour_YELLOW'), await value(page, 'colours-table', 'period', 'colour_BLUE')]).toEqual(['2', '1', '1']);
    expect(await page.locator('#colour-months circle[data-series="grön"][data-label="2026-03"]').getAttribute('data-value')).toBe('2');
    expect([await value(page, 'fvk-table', '2026-03', 'fvkRequired'), await value(page, 'fvk-table', '2026-03', 'fvkAppointed'), await value(page, 'fvk-table', '2026-03', 'fastVardkontaktShare')]).toEqual(['4', '3', '0.75']);
    expect(await cell(page, 'fvk-table', '2026-03', 'fastVardkontaktShare').textContent()).toBe('75,0 %');
    await page.screenshot({ path: path.join(SHOTS, 'reports-sparfarg.png'), fullPage: true });
    await drillFrom(page, '#colour-months path[data-label="grön"]', ['RP-A1', 'RP-A4']);
    await drillFrom(page, '#fvk path[data-label="ingen fast vårdkontakt"]', ['RP-A2']);
    await page.close();
  });

  it('Återinläggningar (share/count in the URL), Väntetider.se (somatic and psychiatric apart) and the delay reasons by reason and party', async () => {
    const page = await open(region, `report=aterinlaggningar&${PERIOD}`);
    expect([await value(page, 'readm-months-table', '2026-03', 'admissions'), await value(page, 'readm-months-table', '2026-03', 'readmissions')]).toEqual(['7', '1']);
    expect(await value(page, 'readm-index-clinic-table', 'Medicinkliniken', 'readmissions')).toBe('1');
    expect(await page.locator('#readm-years circle[data-series="2026"][data-label="03"]').getAttribute('data-value')).toBe(String((1 / 7) * 100));
    await drillFrom(page, '#readm-months rect[data-series="återinskrivningar"]', ['RP-R1']);
    await Promise.all([page.waitForURL((u) => u.searchParams.get('measure') === 'count'), page.click('#measure a[data-measure="count"]')]);
    await page.locator('#report[data-loaded]').waitFor();
    expect(await page.locator('#readm-years circle[data-series="2026"][data-label="03"]').getAttribute('data-value')).toBe('1');
    expect(await page.locator('#measure [aria-current]').textContent()).toBe('antal');
    expect(await value(page, 'readm-years-table', '03', 'thisYear')).toBe('1');
    // Bild 3 and 4: the discharging clinics' share and count; Sidan 3: the de-identified rows.
    expect(await page.locator('#readm-index-clinic path.mark').evaluateAll((p) => p.map((x) => x.getAttribute('data-value')))).toEqual(['100', '1']);
    await drillFrom(page, '#readm-rows', ['RP-R1']);
    await page.screenshot({ path: path.join(SHOTS, 'reports-aterinlaggningar.png'), fullPage: true });

    await page.goto(`${pipeline.url}/reports.html?report=vantetider&${PERIOD}`);
    await page.locator('#report[data-loaded]').waitFor();
    expect([await value(page, 'vt-summary-table', 'SOMATIC', 'meanDays'), await value(page, 'vt-summary-table', 'SOMATIC', 'goalShare'), await value(page, 'vt-summary-table', 'PSYCHIATRIC', 'meanDays')]).toEqual(['4', '0.25', '3']);
    expect(await cell(page, 'vt-summary-table', 'SOMATIC', 'goalShare').textContent()).toBe('25,0 %');
    expect([await value(page, 'vt-variation-table', 'SOMATIC', 'min'), await value(page, 'vt-variation-table', 'SOMATIC', 'max')]).toEqual(['3', '6']);
    expect(await cell(page, 'vt-variation-table', 'SOMATIC', 'lowest20').textContent()).toBe('Örebro, Kumla');
    // The kommuner's means with the region's min, max and std-dev; belagda vårdplatser per year.
    expect(await page.locator('#vt-variation rect.mark').evaluateAll((b) => b.map((x) => [x.getAttribute('data-label'), x.getAttribute('data-value')]))).toEqual([['Örebro (1880)', '3'], ['Kumla (1881)', '6'], ['Örebro (1880)', '3']]);
    expect(await value(page, 'vt-beds-years-table', '2026|PSYCHIATRIC', 'bedDays')).toBe('3');
    expect(await value(page, 'vt-kommun-means-table', '1881|SOMATIC', 'meanDays')).toBe('6');
    await drillFrom(page, '#vt-beds-years-table tr[data-code="2026|PSYCHIATRIC"] [data-field="bedDays"] button', ['RP-P1']);
    await page.screenshot({ path: path.join(SHOTS, 'reports-vantetider.png'), fullPage: true });
    await drillFrom(page, '#vt-summary-table tr[data-code="SOMATIC"] [data-field="goalEpisodes"] button', ['RP-A1', 'RP-A2', 'RP-A3', 'RP-A4']);
    // Belagda vårdplatser: the ward's bed-days are A3's six and W1's since 20 March.
    expect(await value(page, 'vt-beds-table', 'USO/Med 1|SOMATIC', 'bedDays')).toBe('6');
    await drillFrom(page, '#vt-beds-table tr[data-code="USO/Kir 1|SOMATIC"] [data-field="bedDays"] button', ['RP-A3', 'RP-W1']);

    await page.goto(`${pipeline.url}/reports.html?report=orsaker&${PERIOD}`);
    await page.locator('#report[data-loaded]').waitFor();
    expect([await value(page, 'reasons-table', 'AWAITING_NURSING_HOME|MUNICIPALITY', 'episodes'), await value(page, 'reasons-table', 'AWAITING_NURSING_HOME|MUNICIPALITY', 'days'), await value(page, 'reasons-table', 'AWAITING_SIP|REGION', 'days')]).toEqual(['1', '4', '4']);
    expect([await value(page, 'parties-table', 'MUNICIPALITY', 'episodes'), await value(page, 'parties-table', 'MUNICIPALITY', 'days'), await value(page, 'parties-table', 'REGION', 'episodes')]).toEqual(['2', '6', '1']);
    expect(await cell(page, 'reasons-table', 'AWAITING_HOME_CARE|MUNICIPALITY', 'reason').textContent()).toBe('väntar på hemtjänst');
    expect(await page.locator('#reasons-over-time circle[data-series="kommun"][data-label="2026-03"]').getAttribute('data-value')).toBe('2');
    await page.screenshot({ path: path.join(SHOTS, 'reports-orsaker.png'), fullPage: true });
    await drillFrom(page, '#parties path[data-label="kommun"]', ['RP-A1', 'RP-A2']);
    await drillFrom(page, '#reasons-table tr[data-code="AWAITING_SIP|REGION"] [data-field="episodes"] button', ['RP-A2']);
    await page.close();
  });

  it('in English on choice; a municipality sees only its own residents', async () => {
    const page = await open(region, `report=orsaker&${PERIOD}&lang=en`);
    expect(await page.locator('#report-title').textContent()).toBe('Reasons for delay');
    expect(await cell(page, 'reasons-table', 'AWAITING_HOME_CARE|MUNICIPALITY', 'reason').textContent()).toBe('awaiting home care');
    expect(await swedishTexts(page)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'reports-en.png'), fullPage: true });
    await page.close();
    const muni = await open(kumla, `report=oversikt&${PERIOD}`);
    expect(await muni.locator('#overview-table tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-code')))).toEqual(['1881']);
    expect(await muni.locator('#withheld').count()).toBe(1);
    expect(await muni.locator('#f-kommun option').evaluateAll((o) => o.map((x) => (x as HTMLOptionElement).value))).toEqual(['1881']);
    await muni.close();
  });
});
