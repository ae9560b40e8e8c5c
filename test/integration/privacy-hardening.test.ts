import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../services/api/auth.ts';
import { WEB_DIST } from '../../services/web/build.ts';
import { fromEpochDay, stockholmDay } from '../../services/core/stockholm-time.ts';
import { API_SECRET, episodeKeyOf, isolatedEnv, waitFor } from '../support/env.ts';
import { removeTestData } from '../support/test-data.ts';
import { PipelineProcess, runCli } from '../support/processes.ts';

/**
 * Issue #19, item 6: what probing the running API found. A source system's clinic, ward and
 * business area written as spreadsheet formulas must come back inert in every CSV; every answer
 * carries the security headers; the session cookie is Secure when the pages are served over TLS.
 */

const H = 3_600_000;
const NOW = Date.now();
// The admission's Stockholm day: the period of the grouped CSVs starts there, whatever today is.
const ADMITTED = (({ year, month, day }) => `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`)(fromEpochDay(stockholmDay(NOW - 48 * H)));
/** The episode as utklar knows it: the pseudonym of the id the source sent (CSV-INJ-1). */
const EPISODE = episodeKeyOf('CSV-INJ-1');
const FORMULAS = { clinic: '=HYPERLINK("http://x","klick")', ward: '+SUM(1+1)', businessArea: '@cmd' };
const events = [
  { type: 'admission', eventId: 'csv-inj-a', occurredAt: new Date(NOW - 48 * H).toISOString(), source: 'probe', personnummer: '19400307-1232', episodeId: 'CSV-INJ-1',
    region: '18', hospital: 'USO', ...FORMULAS, careType: 'SOMATIC', admissionType: 'ACUTE', homeMunicipality: '1880', primaryCareUnit: '-VC' },
  { type: 'ready-for-discharge', eventId: 'csv-inj-r', occurredAt: new Date(NOW - 24 * H).toISOString(), source: 'probe', personnummer: '19400307-1232', episodeId: 'CSV-INJ-1',
    recipientMunicipality: '1880', trackColour: 'GREEN', fastVardkontaktAppointed: true, sipNeeded: false },
];

/** RFC 4180 as toCsv writes it: quoted cells may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && c === ',') {
      row.push(cell);
      cell = '';
    } else if (!quoted && c === '\r' && text[i + 1] === '\n') {
      rows.push([...row, cell]);
      [row, cell] = [[], ''];
      i++;
    } else {
      cell += c;
    }
  }
  return rows;
}

/** A cell a spreadsheet would evaluate: what no CSV of the API may hold (a plain negative number is data). */
const live = (cell: string) => /^[=+\-@\t\r]/.test(cell) && !/^-\d+(\.\d+)?(e[-+]?\d+)?$/i.test(cell);

describe('hardening: CSV formula injection, security headers, Secure session cookie (issue #19)', () => {
  const env = isolatedEnv('server', { LOG_LEVEL: 'warn', UTKLAR_COOKIE_SECURE: '1' });
  let pipeline: PipelineProcess;
  const region = mintToken({ kind: 'region', region: '18' }, API_SECRET, { subject: '=HYPERLINK("http://evil","subject")', ttlSeconds: 3600 });
  const auditor = mintToken({ kind: 'audit', region: '18' }, API_SECRET, { subject: 'revisor', ttlSeconds: 3600 });
  const get = (p: string, token?: string, init: RequestInit = {}) => fetch(`${pipeline.url}${p}`, { ...init, redirect: 'manual', headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string> | undefined) } });

  beforeAll(async () => {
    pipeline = new PipelineProcess(env);
    await pipeline.healthy();
    const produced = await runCli(['produce'], env, `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
    expect(produced.code, `utklar produce accepts formulas as names (they are just text): ${produced.stderr}`).toBe(0);
    await waitFor('the episode in the rows', async () => {
      const r = await get('/api/v1/rows', region);
      return r.status === 200 && (await r.text()).includes(EPISODE) ? true : undefined;
    }, 90_000);
  });

  afterAll(async () => {
    await pipeline?.stop();
    await removeTestData(env);
  });

  it('rows?format=csv: the clinic, ward and business area come back prefixed with a quote, inert', async () => {
    const r = await get('/api/v1/rows?format=csv', region);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
    const [header, ...rows] = parseCsv(await r.text());
    const row = rows.find((c) => c[header!.indexOf('episodeId')] === EPISODE)!;
    expect(row, 'the episode is in the CSV').toBeDefined();
    const at = (name: string) => row[header!.indexOf(name)];
    expect(at('clinic')).toBe(`'${FORMULAS.clinic}`);
    expect(at('ward')).toBe(`'${FORMULAS.ward}`);
    expect(at('businessArea')).toBe(`'${FORMULAS.businessArea}`);
    expect(at('primaryCareUnit')).toBe("'-VC");
    expect([header!, ...rows].flat().filter(live), 'cells a spreadsheet would evaluate').toEqual([]);
    // JSON is read by programs, not spreadsheets: the names stay exactly what the source sent.
    const json = (await (await get('/api/v1/rows', region)).json()) as { rows: Record<string, unknown>[] };
    expect(json.rows.find((x) => x.episodeId === EPISODE)).toMatchObject(FORMULAS);
  });

  it('every other CSV is neutralised the same way: grouped by the injected names, and the access log\'s subjects', async () => {
    // A ward groups as HOSPITAL/WARD (USO/+SUM(1+1)), which no spreadsheet evaluates.
    for (const groupBy of ['clinic', 'businessArea']) {
      const r = await get(`/api/v1/overview?groupBy=${groupBy}&from=${ADMITTED}&format=csv`, region);
      expect(r.status).toBe(200);
      const cells = parseCsv(await r.text()).flat();
      expect(cells.filter(live), `overview by ${groupBy}`).toEqual([]);
      expect(cells, `overview by ${groupBy}`).toContain(`'${FORMULAS[groupBy as keyof typeof FORMULAS]}`);
    }
    // The region token above is named like a formula: the auditor's CSV names it inertly.
    const log = await get('/api/v1/access-log?format=csv', auditor);
    expect(log.status).toBe(200);
    const cells = parseCsv(await log.text()).flat();
    expect(cells).toContain('\'=HYPERLINK("http://evil","subject")');
    expect(cells.filter(live)).toEqual([]);
  });

  it('the built pages hold no inline script, style or event handler (the policy forbids them)', () => {
    const pages = readdirSync(WEB_DIST).filter((f) => f.endsWith('.html'));
    expect(pages.sort()).toEqual(['access-log.html', 'analytics.html', 'board.html', 'changes.html', 'invoices.html', 'login.html', 'reports.html', 'riket.html']);
    for (const page of pages) {
      const html = readFileSync(path.join(WEB_DIST, page), 'utf8');
      expect([...html.matchAll(/<script\b[^>]*>/gi)].map((m) => m[0]).filter((tag) => !/\ssrc=/.test(tag)), `${page}: inline <script>`).toEqual([]);
      expect(html, `${page}: <style>`).not.toMatch(/<style\b/i);
      expect(html, `${page}: style attribute`).not.toMatch(/\sstyle=/i);
      expect(html, `${page}: event handler attribute`).not.toMatch(/\son[a-z]+=/i);
      expect(html, `${page}: javascript: URL`).not.toMatch(/javascript:/i);
    }
    // The scripts never write a style attribute or markup with one (setAttribute('style'), innerHTML).
    for (const script of readdirSync(path.join(WEB_DIST, 'assets')).filter((f) => f.endsWith('.js'))) {
      const js = readFileSync(path.join(WEB_DIST, 'assets', script), 'utf8');
      expect(js, script).not.toMatch(/innerHTML|insertAdjacentHTML|["']style["']|\beval\(|new Function\(/);
    }
  });

  it('every answer — pages, assets, API, errors, the live board and its stream — carries the security headers', async () => {
    const asks: [string, string | undefined, number][] = [
      ['/', undefined, 200], ['/login.html', undefined, 200], ['/board.html', undefined, 200], ['/analytics.html', undefined, 200], ['/invoices.html', undefined, 200],
      ['/style.css', undefined, 200], ['/invoices.css', undefined, 200], ['/assets/board.js', undefined, 200], ['/assets/invoices.js', undefined, 200],
      ['/api/v1/rows', region, 200], ['/api/v1/rows?format=csv', region, 200], ['/api/v1/rows', undefined, 401], ['/api/v1/nope', region, 404],
      ['/api/v1/board', region, 200], ['/api/v1/me', region, 200], ['/api/v1/access-log', auditor, 200], ['/api/v1/access-log', region, 403],
      ['/board?region=18', region, 200], ['/board?region=18', undefined, 401], ['/api/openapi.json', undefined, 200],
      ['/health', undefined, 200], ['/metrics', undefined, 200], ['/status', undefined, 200], ['/no-such-page', undefined, 404],
    ];
    const check = (what: string, h: Headers) => {
      const csp = h.get('content-security-policy') ?? '';
      expect(csp, what).toContain("frame-ancestors 'none'");
      expect(csp, what).toContain("script-src 'self'");
      expect(csp, what).toContain("default-src 'self'");
      expect(csp, `${what}: nothing inline`).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(h.get('x-content-type-options'), what).toBe('nosniff');
      expect(h.get('x-frame-options'), what).toBe('DENY');
      expect(h.get('referrer-policy'), what).toBe('no-referrer');
    };
    for (const [p, token, status] of asks) {
      const r = await get(p, token);
      expect(r.status, p).toBe(status);
      check(`${p} (${status})`, r.headers);
      await r.arrayBuffer();
    }
    const abort = new AbortController();
    const stream = await fetch(`${pipeline.url}/api/v1/board/stream`, { headers: { authorization: `Bearer ${region}` }, signal: abort.signal });
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    check('/api/v1/board/stream', stream.headers);
    abort.abort();
    const post = await get('/api/v1/events', undefined, { method: 'POST', body: '{}' });
    expect(post.status).toBe(401);
    check('POST /api/v1/events (401)', post.headers);
  });

  it('with UTKLAR_COOKIE_SECURE=1 the session cookie is Secure (as well as HttpOnly and SameSite=Strict), on login and logout', async () => {
    const login = await get('/login', undefined, { method: 'POST', body: new URLSearchParams({ token: region }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/board.html');
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^utklar_token=/);
    expect(cookie.split(';').map((s) => s.trim())).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Secure']));
    const logout = await get('/logout', undefined, { method: 'POST' });
    expect(logout.status).toBe(204);
    expect((logout.headers.get('set-cookie') ?? '').split(';').map((s) => s.trim())).toEqual(expect.arrayContaining(['Max-Age=0', 'Secure']));
  });
});
