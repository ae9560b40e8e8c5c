import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgreementSet, loadAgreementSet } from '../../services/agreements/agreement-set.ts';
import { stateChanged } from '../../services/clock/changelog.ts';
import { foldEpisode } from '../../services/clock/episode-state.ts';
import { OREBRO_RULES } from '../../services/clock/rules.ts';
import { epochDay } from '../../services/core/stockholm-time.ts';
import { episodeFact } from '../../services/facts/episode-fact.ts';
import * as ind from '../../services/indicators/indicators.ts';
import { paymentBasis } from '../../services/indicators/payment-basis.ts';
import { parseFilters } from '../../services/model/filters.ts';
import type { Scope } from '../../services/model/scope.ts';
import { loadPopulation } from '../../services/reference/population.ts';
import { Rng } from '../../services/simulator/rng.ts';
import { migrate, openClickHouse } from '../../services/sink-clickhouse/clickhouse.ts';
import { buildSnapshot } from '../../services/snapshot/snapshot-sql.ts';
import { buildPaymentRollup, PAYMENT_ROLLUP } from '../../services/snapshot/payment-rollup.ts';
import { readPoint } from '../../services/snapshot/read-model.ts';
import { forgetStoredAnswers } from '../../services/snapshot/generation-answers.ts';
import { configOf, isolatedEnv } from '../support/env.ts';
import { simulatedEpisodes } from '../support/simulated-episodes.ts';

const monthOf = (year: number, month: number) => ({
  fromDay: epochDay({ year, month, day: 1 }),
  toDay: epochDay({ year: month === 12 ? year + 1 : year, month: month === 12 ? 1 : month + 1, day: 1 }) - 1,
});
const conditions = { required: ['admission-notice-in-time', 'ready-notice-sent', 'sip-called-in-time'], admissionNoticeWithinHours: 24, sipCalledWithinDays: 3, fastVardkontaktRequiredFor: ['GREEN', 'YELLOW', 'RED'] };
const noon = { hour: 12, inclusive: false };

/**
 * payment() sums the invoice month in ClickHouse (indicators/payment-sql.ts) and computes the
 * basis from the sums; the invoices compute it from every episode (paymentEpisodes, paymentBasis).
 * Both must give the same answer, to the last field, under every kind of agreement: the month's
 * average and the rolling 3 months (which cross the New Year into an agreement of another kind),
 * all days or the days above a threshold per care type, free days per care type, amounts per
 * year with a year missing, day-0 discharges, unmet conditions; for the nation, a region and a
 * liable municipality, on 18.16 and embedded chDB.
 */
describe.each(['server', 'embedded'] as const)('the invoice month summed in SQL equals the basis from its episodes (ClickHouse %s)', (mode) => {
  const env = isolatedEnv(mode, { LOG_LEVEL: 'warn' });
  const config = configOf(env);
  const db = config.clickhouseDatabase;
  const dir = mkdtempSync(path.join(tmpdir(), 'utklar-payment-sums-'));
  const from = Date.parse('2025-09-01T00:00:00+02:00');
  const until = Date.parse('2026-03-10T00:00:00+01:00');
  const today = epochDay({ year: 2026, month: 3, day: 10 });
  const rng = new Rng(mode === 'server' ? 41 : 42);
  let client: Awaited<ReturnType<typeof openClickHouse>>['client'];
  type Fact = ReturnType<typeof episodeFact> & { region: string; ingested_at?: number };
  const stored: Fact[] = [];

  // Region 14: the rolling 3 months, the days above a threshold per care type, through 2025; the
  // month and all days from 2026. Region 01: free days of its own, an amount for 2025 alone.
  const vgr = path.join(dir, 'region-14.json');
  writeFileSync(vgr, JSON.stringify({ region: '14', name: 'rullande till 2025', versions: [
    { validFrom: '2018-01-01', validTo: '2025-12-31', model: { type: 'municipal-average', threshold: { SOMATIC: 2.5, PSYCHIATRIC: 6 }, period: 'rolling-3-months', includeDayZeroDischarges: true, billable: 'days-above-threshold' }, noon, conditions, amountPerDayByYear: { 2025: 10000, 2026: 11000 } },
    { validFrom: '2026-01-01', model: { type: 'municipal-average', threshold: 3, period: 'month', includeDayZeroDischarges: false, billable: 'all-days' }, noon, conditions, amountPerDayByYear: { 2025: 10000, 2026: 11000 } },
  ] }));
  const region01 = path.join(dir, 'region-01.json');
  writeFileSync(region01, JSON.stringify({ region: '01', name: 'fria dagar', versions: [
    { validFrom: '2018-01-01', model: { type: 'free-days', freeDays: { SOMATIC: 1, PSYCHIATRIC: 4 } }, noon, conditions, amountPerDayByYear: { 2025: 9000 } },
  ] }));
  // Not what the loader accepts (agreements change on 1 January), but what the SQL must still get
  // right if they did not: region 18's rolling average ends mid-November, free days follow.
  const orebro = loadAgreementSet(undefined, 'orebro').agreements;
  const rolling18 = orebro.find((a) => a.region === '18')!;
  const law = orebro.find((a) => a.region === '*')!;
  const midNovember = epochDay({ year: 2025, month: 11, day: 16 });
  const midMonth = new AgreementSet([
    { ...rolling18, id: 'rolling#2018-01-01', validTo: midNovember - 1, rules: { ...rolling18.rules, payment: { model: 'municipal-average', threshold: 2, period: 'rolling-3-months', includeDayZeroDischarges: false, billable: 'days-above-threshold' }, amountPerDayByYear: { 2025: 100 } } },
    { ...rolling18, id: 'free#2025-11-16', validFrom: midNovember, rules: { ...rolling18.rules, payment: { model: 'free-days', freeDays: { SOMATIC: 2, PSYCHIATRIC: 1 } }, amountPerDayByYear: { 2025: 200, 2026: 300 } } },
    law,
  ]);
  const sets: [string, AgreementSet][] = [
    ['agreements changing mid-month', midMonth],
    ['orebro.json and the law', loadAgreementSet(undefined, 'orebro')],
    ['one set of rules for every region and day', AgreementSet.of(OREBRO_RULES)],
    ['a rolling average changing kind at New Year, free days of a region', loadAgreementSet(`${vgr},${region01}`, 'orebro')],
  ];

  beforeAll(async () => {
    client = (await openClickHouse(config)).client;
    await migrate(client, db);
    const rows = [];
    for (const [id, events] of simulatedEpisodes({ seed: 23, admissionsPerDay: 40, from, until })) {
      const region = rng.next() < 0.3 ? '14' : rng.next() < 0.4 ? '01' : '18';
      // Two versions of some: the older one must not be summed.
      const k = events.length > 2 && rng.next() < 0.3 ? [events.length - 1, events.length] : [events.length];
      for (const n of k) rows.push({ ...episodeFact(stateChanged({ state: foldEpisode(events.slice(0, n)), readmission: null }, n, `${id}:${n}`), OREBRO_RULES), region, ingested_at: 1_000_000 });
    }
    stored.push(...rows);
    await client.insert({ table: `${db}.episode_facts`, values: rows, format: 'JSONEachRow' });
  }, 180_000);

  afterAll(async () => {
    await client?.command({ query: `DROP DATABASE IF EXISTS ${db}` }).catch(() => undefined);
    await client?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const scopes: Scope[] = [{ kind: 'nation' }, { kind: 'region', region: '14' }, { kind: 'region', region: '18' }, { kind: 'municipality', municipality: '1880' }];
  const months = [monthOf(2025, 11), monthOf(2025, 12), monthOf(2026, 1), monthOf(2026, 2)];

  // Queries that read the payment rollup (a generation's part of payment(), from the test below on).
  let rollupReads = 0;
  const counting = new Proxy({} as typeof client, {
    get: (_, key) => (key === 'query'
      ? (o: { query: string }) => (/\.episode_payment_rollup WHERE generation = \d+ AND/.test(o.query) && rollupReads++, client.query(o as never))
      : (client as unknown as Record<string | symbol, unknown>)[key]),
  });

  async function compareAll(agreements: AgreementSet): Promise<{ lines: number; billed: number }> {
    let billed = 0;
    let lines = 0;
    for (const month of months) {
      for (const scope of scopes) {
        for (const careType of [null, 'PSYCHIATRIC']) {
          const q = new URLSearchParams(careType ? { careType } : {});
          const ctx: ind.Ctx = { client: counting, db, filters: parseFilters(q, { fromDay: month.fromDay, toDay: today }), scope, today, rules: OREBRO_RULES, agreements, population: loadPopulation() };
          const summed = await ind.payment(ctx, month);
          const fromEpisodes = paymentBasis(await ind.paymentEpisodes(ctx, month, agreements), agreements, month);
          expect({ rows: summed.rows, notes: summed.notes }, `${JSON.stringify(scope)} ${careType} ${month.fromDay}`).toEqual(fromEpisodes);
          lines += summed.rows.length;
          billed += summed.rows.filter((r) => Number(r.billableDays) > 0 && r.amountSek !== null).length;
        }
      }
    }
    return { lines, billed };
  }
  const bills = (agreements: AgreementSet) => agreements.agreements.some((a) => a.region === '14' || a.id.startsWith('free#'));

  it.each(sets)('%s: every month and scope', async (_name, agreements) => {
    const { lines, billed } = await compareAll(agreements);
    expect(lines).toBeGreaterThan(50);
    if (bills(agreements)) expect(billed).toBeGreaterThan(0);
  }, 180_000);

  // The rollup is built a year of discharge days a pass (one pass over five national years needed
  // more memory than the bundled server lets a query use): passes of ten days give the same rows.
  it('builds the payment rollup in passes of discharge days, the same rows as in one', async () => {
    if ((await readPoint(client, db)).generation === 0) await buildSnapshot(client, db);
    const { generation } = await readPoint(client, db);
    const all = async () => (await (await client.query({ query: `SELECT discharged_day, region, recipient_municipality, care_type, status, day_zero, liable, episode_count, paid_days, year_place, year_place_days FROM ${db}.${PAYMENT_ROLLUP} WHERE generation = ${generation} ORDER BY discharged_day, region, recipient_municipality, care_type, status, day_zero, liable`, format: 'JSONEachRow' })).json());
    const whole = await all();
    expect(whole.length).toBeGreaterThan(100);
    const days = whole.map((r) => Number((r as { discharged_day: number }).discharged_day));
    expect(Math.max(...days) - Math.min(...days)).toBeGreaterThan(100);
    await client.command({ query: `ALTER TABLE ${db}.${PAYMENT_ROLLUP} DROP PARTITION ${generation}` });
    await buildPaymentRollup(client, db, generation, 10);
    expect(await all()).toEqual(whole);
  });

  // A generation's part summed from its payment rollup (by discharge day, payment days by year and
  // place in the list), then the episodes changed since it taken back and added anew: the same
  // answers as from the episodes, under every agreement above (free days and thresholds bill from a
  // later place, agreements change mid-month).
  it('through a generation\'s payment rollup, with newer versions stored since: every set, month and scope', async () => {
    await buildSnapshot(client, db);
    const latest = new Map<string, Fact>();
    for (const f of stored) if ((latest.get(f.episode_id)?.version ?? -1) < f.version) latest.set(f.episode_id, f);
    const ready = [...latest.values()].filter((f) => f.discharged_day >= months[0]!.fromDay - 62 && f.ready_start_days.length > 0);
    const changes: Fact[] = ready.filter((_, i) => i % 9 === 0).map((f, i) => {
      const next = { ...f, version: f.version + 10, ingested_at: Math.floor(Date.now() / 1000) };
      switch (i % 5) {
        case 0: return { ...next, status: 'CANCELLED' };
        case 1: return { ...next, recipient_municipality: f.recipient_municipality === '1880' ? '1881' : '1880' };
        case 2: return { ...next, liability: f.liability === 'not-liable' ? 'liable' : 'not-liable' };
        case 3: return { ...next, payment_days: f.payment_days.slice(1) };
        default: return { ...next, region: f.region === '18' ? '14' : '18' };
      }
    });
    expect(changes.length).toBeGreaterThan(20);
    await client.insert({ table: `${db}.episode_facts`, values: changes, format: 'JSONEachRow' });
    for (const [name, agreements] of sets) {
      const before = rollupReads;
      ind.answers.clear();
      await forgetStoredAnswers(client, db);
      const { lines, billed } = await compareAll(agreements);
      expect(lines, name).toBeGreaterThan(50);
      if (bills(agreements)) expect(billed, name).toBeGreaterThan(0);
      // Every case read the rollup: no condition names a column beyond its keys.
      expect(rollupReads - before, name).toBe(months.length * scopes.length * 2);
    }
  }, 300_000);
});
