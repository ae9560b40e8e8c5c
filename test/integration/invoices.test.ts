import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../services/api/auth.ts';
import { answer, type ApiDeps } from '../../services/api/routes.ts';
import { OREBRO_RULES } from '../../services/clock/rules.ts';
import { monthOfDay } from '../../services/facts/episode-fact.ts';
import type { SpecifiedEpisode } from '../../services/indicators/payment-basis.ts';
import type { Scope } from '../../services/model/scope.ts';
import { loadPopulation } from '../../services/reference/population.ts';
import { migrate, openClickHouse } from '../../services/sink-clickhouse/clickhouse.ts';
import { API_SECRET, configOf, isolatedEnv } from '../support/env.ts';
import { EPISODES, HYPERLINK, ep } from '../support/invoice-episodes.ts';
import { runCli } from '../support/processes.ts';

/**
 * The invoice basis on ClickHouse, through the API and the CLI: the hand-worked November 2023 of
 * test/support/invoice-episodes.ts (test/unit/invoice-basis.test.ts works its numbers), frozen,
 * then corrected late. Fixed months only: passes on any date.
 */
describe('invoices: the month\'s basis, frozen and corrected (server)', () => {
  const env = isolatedEnv('server', { LOG_LEVEL: 'warn' });
  const config = configOf(env);
  const db = config.clickhouseDatabase;
  // "Today" for the API: long after the month, as any real invoice is read.
  const NOW = Date.parse('2023-12-06T09:00:00+01:00');
  let client: Awaited<ReturnType<typeof openClickHouse>>['client'];
  let deps: ApiDeps;

  const fact = (e: SpecifiedEpisode, version = 1) => ({
    episode_id: e.episodeId, version, status: 'DISCHARGED', region: e.region, hospital: 'USO', clinic: 'Medicin', ward: 'Med 1', business_area: 'Medicin', care_type: e.careType, admission_type: 'ACUTE',
    home_municipality: e.municipality, home_county: e.region, out_of_county: 0, recipient_municipality: e.municipality, primary_care_unit: '', age_years: 82, age_group: '75-84',
    admitted_day: e.readyStartDays[0]! - 2, admitted_month: monthOfDay(e.readyStartDays[0]! - 2), discharged_day: e.dischargedDay, discharged_month: monthOfDay(e.dischargedDay), destination: 'HOME',
    ready_start_days: e.readyStartDays, ready_end_days: e.readyEndDays, payment_days: e.paymentDayList, open_payment_from_day: -1, track_colour: e.trackColour, fast_vardkontakt: e.fastVardkontakt ? 1 : 0,
    liability: e.liability, readmission_of: '', readmission_source: '', readmission_index_clinic: '', discharge_clinic: 'Medicin', delay_reasons: [], delay_parties: [], ingested_at: Math.floor(NOW / 1000),
  });
  const store = (rows: ReturnType<typeof fact>[]) => client.insert({ table: `${db}.episode_facts`, values: rows, format: 'JSONEachRow' });

  const token = (scope: Scope) => `Bearer ${mintToken(scope, API_SECRET, { subject: 'invoices-test', ttlSeconds: 3600, now: NOW })}`;
  const R18: Scope = { kind: 'region', region: '18' };
  const M1881: Scope = { kind: 'municipality', municipality: '1881' };
  const get = async (route: string, params: Record<string, string>, scope: Scope = R18) => answer(deps, route, new URLSearchParams(params), token(scope));
  const body = async (route: string, params: Record<string, string>, scope: Scope = R18) => {
    const r = await get(route, params, scope);
    expect(r.status, r.body).toBe(200);
    return JSON.parse(r.body) as Record<string, unknown> & { rows: Record<string, unknown>[]; specification: Record<string, unknown>[] };
  };
  const withoutAsOf = (text: string) => { const { asOf, ...rest } = JSON.parse(text) as Record<string, unknown>; return rest; };
  const cli = (...args: string[]) => runCli(['invoice', ...args], env);

  beforeAll(async () => {
    client = (await openClickHouse(config)).client;
    await migrate(client, db);
    await store(EPISODES.map((e) => fact(e)));
    deps = { client, db, rules: OREBRO_RULES, agreements: config.agreements, population: loadPopulation(), secret: API_SECRET, now: () => NOW };
  }, 60_000);

  afterAll(async () => {
    await client?.command({ query: `DROP DATABASE IF EXISTS ${db}` }).catch(() => undefined);
    await client?.close();
  });

  it('the live basis: the hand-worked lines and specification, preliminary', async () => {
    const b = await body('invoices', { month: '2023-11' });
    expect(b).toMatchObject({ endpoint: 'invoices', scope: 'region:18', status: 'preliminary', frozen: null, month: '2023-11', region: '18' });
    expect(b.rows.map((r) => [r.kommun, r.careType, r.episodes, r.paymentDays, r.exceeded, r.billableDays, r.amountSek])).toEqual([
      ['1880', 'PSYCHIATRIC', 1, 4, true, 4, 42_000],
      ['1880', 'SOMATIC', 3, 10, true, 8, 84_000],
      ['1881', 'SOMATIC', 2, 6, false, 0, 0],
    ]);
    expect(b.specification.map((s) => [s.episodeId, s.billableDays, s.amountSek])).toEqual([
      ['P1', 4, 42_000], ['A1', 5, 52_500], ['A2', 3, 31_500], ['A3', 0, 0], ['A4', 0, 0], ['K1', 0, 0], [HYPERLINK, 0, 0],
    ]);
    // The same numbers as the payment endpoint, which reads the same way.
    const payment = await body('payment', { month: '2023-11' });
    expect(payment.rows.map((r) => [r.kommun, r.careType, r.billableDays, r.amountSek])).toEqual(b.rows.map((r) => [r.kommun, r.careType, r.billableDays, r.amountSek]));
  });

  it('CSV: BOM, Swedish headers, semicolons, decimal comma, the injected cell neutralised; the CLI writes the same', async () => {
    const r = await get('invoices', { month: '2023-11', format: 'csv', table: 'specification', decimal: 'comma' });
    expect(r.contentType).toBe('text/csv; charset=utf-8');
    expect(r.body.startsWith('\uFEFFMånad;Vårdtillfälle (pseudonym);Region;Avtal;Betalningsansvarig kommun;Vårdtyp;')).toBe(true);
    expect(r.body).toContain(`;"'=HYPERLINK(""http://example.invalid/x"",""klicka"")";`);
    expect(r.body).not.toMatch(/(^|;)"?=/m);
    const lines = await get('invoices', { month: '2023-11', format: 'csv', decimal: 'comma' });
    expect(lines.body).toContain(`;${String(10 / 3).replace('.', ',')};3;ja;`);
    const out = await cli('--month', '2023-11', '--region', '18', '--format', 'csv', '--table', 'specification', '--decimal', 'comma');
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toBe(r.body);
  }, 60_000);

  it('scope: a municipality its own lines as the liable one, a region only its own, nobody else', async () => {
    const kumla = await body('invoices', { month: '2023-11' }, M1881);
    expect(kumla.rows.map((r) => r.kommun)).toEqual(['1881']);
    expect(kumla.specification.map((s) => s.episodeId)).toEqual(['K1', HYPERLINK]);
    expect((await get('invoices', { month: '2023-11', region: '18' }, { kind: 'region', region: '03' })).status).toBe(403);
    expect((await get('invoices', { month: '2023-11' }, { kind: 'unit', hospital: 'USO', ward: 'Med 1' })).status).toBe(403);
    expect((await get('invoices', { month: '2023-11' }, { kind: 'nation' })).status).toBe(403);
    expect((await get('invoices', { month: '2023-11', ward: 'Med 1' })).status).toBe(400);
    const uppsala = await body('invoices', { month: '2023-11' }, { kind: 'region', region: '03' });
    expect(uppsala.rows.map((r) => [r.kommun, r.billableDays, r.amountSek])).toEqual([['0380', 2, 21_000]]);
  });

  it('freezing: stored with who and when, the frozen basis byte-identical after a late correction, which the corrections show; a second freeze refused', async () => {
    const before = { json: (await get('invoices', { month: '2023-11' })).body, spec: (await get('invoices', { month: '2023-11', format: 'csv', table: 'specification' })).body };
    expect((await body('invoices/corrections', { month: '2023-11' })).frozen).toBeNull();

    const frozen = await cli('--freeze', '--month', '2023-11', '--region', '18', '--by', 'ekonomi@region18');
    expect(frozen.code, frozen.stderr).toBe(0);
    const told = JSON.parse(frozen.stdout) as { frozen: { frozenBy: string; contentHash: string; agreements: string[] } };
    expect(told.frozen).toMatchObject({ frozenBy: 'ekonomi@region18', agreements: ['orebro.json#2018-01-01'] });
    expect(told.frozen.contentHash).toMatch(/^[0-9a-f]{64}$/);

    const at = await get('invoices', { month: '2023-11' });
    const atFreeze = JSON.parse(at.body) as Record<string, unknown>;
    expect(atFreeze).toMatchObject({ status: 'frozen', frozen: told.frozen });
    // Frozen from the same facts: the same basis as the live one was.
    expect({ ...withoutAsOf(at.body), status: 'preliminary', frozen: null }).toEqual(withoutAsOf(before.json));
    const frozenSpec = (await get('invoices', { month: '2023-11', format: 'csv', table: 'specification' })).body;
    expect(frozenSpec).toBe(before.spec);
    const kumlaAtFreeze = (await get('invoices', { month: '2023-11', format: 'csv', table: 'specification' }, M1881)).body;

    // Late: K1 had 5 payment days (Kumla's average 4,0 now exceeds 3,0), N1 arrives, A2 is cancelled.
    await store([fact(ep('K1', '18', '1881', '2023-11-12', 5), 2), fact(ep('N1', '18', '1880', '2023-11-28', 6)), { ...fact(EPISODES.find((e) => e.episodeId === 'A2')!, 2), status: 'CANCELLED' }]);
    const live = await body('payment', { month: '2023-11' });
    expect(live.rows.find((r) => r.kommun === '1881')).toMatchObject({ billableDays: 8, amountSek: 84_000 });

    const after = await get('invoices', { month: '2023-11' });
    expect(withoutAsOf(after.body)).toEqual(withoutAsOf(at.body));
    expect(JSON.stringify(withoutAsOf(after.body))).toBe(JSON.stringify(withoutAsOf(at.body)));
    expect((await get('invoices', { month: '2023-11', format: 'csv', table: 'specification' })).body).toBe(frozenSpec);
    expect((await get('invoices', { month: '2023-11', format: 'csv', table: 'specification' }, M1881)).body).toBe(kumlaAtFreeze);
    const cliFrozen = await cli('--month', '2023-11', '--region', '18', '--format', 'csv', '--table', 'specification');
    expect(cliFrozen.stdout).toBe(frozenSpec);

    const c = await body('invoices/corrections', { month: '2023-11' });
    expect(c.frozen).toMatchObject({ contentHash: told.frozen.contentHash });
    expect((c.episodes as Record<string, unknown>[]).map((e) => [e.change, e.episodeId, e.billableDaysDelta, e.amountSekDelta])).toEqual([
      ['changed', HYPERLINK, 3, 31_500],
      ['removed', 'A2', -3, -31_500],
      ['changed', 'K1', 5, 52_500],
      ['added', 'N1', 6, 63_000],
    ]);
    expect(c.rows).toEqual([
      { kommun: '1880', careType: 'SOMATIC', billableDaysFrozen: 8, billableDaysLive: 11, billableDaysDelta: 3, amountSekDelta: 31_500 },
      { kommun: '1881', careType: 'SOMATIC', billableDaysFrozen: 0, billableDaysLive: 8, billableDaysDelta: 8, amountSekDelta: 84_000 },
    ]);
    const kumla = await body('invoices/corrections', { month: '2023-11' }, M1881);
    expect((kumla.episodes as Record<string, unknown>[]).map((e) => e.episodeId)).toEqual([HYPERLINK, 'K1']);
    const csv = (await get('invoices/corrections', { month: '2023-11', format: 'csv' })).body;
    expect(csv.startsWith('\uFEFFMånad;Ändring;Vårdtillfälle (pseudonym);')).toBe(true);
    expect(csv).toContain(';borttagen;A2;1880;Somatisk vård;3;;3;;-3;31500;;-31500;');

    const again = await cli('--freeze', '--month', '2023-11', '--region', '18', '--by', 'someone-else');
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('CONFLICT');
    expect(again.stderr).toContain('ekonomi@region18');
    expect((await get('invoices', { month: '2023-11' })).body).toContain('"frozenBy":"ekonomi@region18"');
    const stored = await (await client.query({ query: `SELECT count() AS n FROM ${db}.invoice_freezes`, format: 'JSONEachRow' })).json<{ n: string }>();
    expect(Number(stored[0]!.n)).toBe(1);
  }, 120_000);

  it('a month with no episodes: an empty basis, never an error', async () => {
    const b = await body('invoices', { month: '2023-06' });
    expect(b).toMatchObject({ status: 'preliminary', rows: [], specification: [] });
  });
});
