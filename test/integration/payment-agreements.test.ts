import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AgreementSet, loadAgreementSet } from '../../services/agreements/agreement-set.ts';
import { stateChanged } from '../../services/clock/changelog.ts';
import { foldEpisode } from '../../services/clock/episode-state.ts';
import { OREBRO_RULES } from '../../services/clock/rules.ts';
import { epochDay } from '../../services/core/stockholm-time.ts';
import { episodeFact } from '../../services/facts/episode-fact.ts';
import { utklarDaysOn } from '../../services/facts/day-counts.ts';
import * as ind from '../../services/indicators/indicators.ts';
import { paymentBasis, type PaymentEpisode } from '../../services/indicators/payment-basis.ts';
import { parseFilters } from '../../services/model/filters.ts';
import { loadPopulation } from '../../services/reference/population.ts';
import { migrate, openClickHouse } from '../../services/sink-clickhouse/clickhouse.ts';
import { configOf, isolatedEnv } from '../support/env.ts';
import { simulatedEpisodes } from '../support/simulated-episodes.ts';

/**
 * payment() reads what the agreement in force needs from ClickHouse: for a rolling 3-month
 * agreement the two months before the invoiced one too. Its answer over the stored facts equals the
 * invoice basis computed in TypeScript from the same facts (whose arithmetic
 * test/unit/payment-basis.test.ts works by hand).
 */
describe('the invoice basis from ClickHouse under the agreement in force (server)', () => {
  const env = isolatedEnv('server', { LOG_LEVEL: 'warn' });
  const config = configOf(env);
  const dir = mkdtempSync(path.join(tmpdir(), 'utklar-payment-it-'));
  const from = Date.parse('2025-08-01T00:00:00+02:00');
  const until = Date.parse('2025-12-05T00:00:00+01:00');
  const today = epochDay({ year: 2025, month: 12, day: 5 });
  const november = { fromDay: epochDay({ year: 2025, month: 11, day: 1 }), toDay: epochDay({ year: 2025, month: 11, day: 30 }) };
  const facts = [...simulatedEpisodes({ seed: 31, admissionsPerDay: 60, from, until }).values()]
    .map((list) => foldEpisode(list))
    .filter((s) => s.readyPeriods.length > 0)
    .map((s) => episodeFact(stateChanged({ state: s, readmission: null }, 1, s.episodeId), OREBRO_RULES));
  let client: Awaited<ReturnType<typeof openClickHouse>>['client'] | undefined;

  afterAll(async () => {
    await client?.command({ query: `DROP DATABASE IF EXISTS ${config.clickhouseDatabase}` }).catch(() => undefined);
    await client?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The facts as the invoice basis takes them: discharged, with a ready notice, not cancelled. */
  const episodes = (): PaymentEpisode[] => facts
    .filter((f) => f.discharged_day >= 0 && f.status !== 'CANCELLED' && f.status !== 'PENDING' && f.ready_start_days.length > 0)
    .map((f) => ({
      region: f.region, municipality: f.recipient_municipality, careType: f.care_type as PaymentEpisode['careType'], dischargedDay: f.discharged_day,
      utklarDays: utklarDaysOn({ readyStartDays: f.ready_start_days, readyEndDays: f.ready_end_days }, today), paymentDayList: f.payment_days, liable: f.liability !== 'not-liable',
    }));

  const answer = async (agreements: AgreementSet | undefined) => {
    client ??= (await openClickHouse(config)).client;
    const filters = parseFilters(new URLSearchParams(), { fromDay: november.fromDay, toDay: today });
    const r = await ind.payment({ client, db: config.clickhouseDatabase, filters, scope: { kind: 'region', region: '18' }, today, rules: OREBRO_RULES, agreements, population: loadPopulation(), readModel: 'episode-level' }, november);
    return { rows: r.rows, notes: r.notes };
  };

  it('the month (orebro.json) and the rolling 3 months: ClickHouse answers what the facts give', async () => {
    client ??= (await openClickHouse(config)).client;
    await migrate(client, config.clickhouseDatabase);
    await client.insert({ table: `${config.clickhouseDatabase}.episode_facts`, values: facts.map((f) => ({ ...f, ingested_at: 0 })), format: 'JSONEachRow' });

    const monthly = await answer(undefined);
    expect(monthly).toEqual(paymentBasis(episodes(), AgreementSet.of(OREBRO_RULES), november));
    expect(monthly.rows.length).toBeGreaterThan(5);
    expect(monthly.rows.every((r) => r.averageEpisodes === r.episodes)).toBe(true);

    const file = path.join(dir, 'orebro-rolling.json');
    writeFileSync(file, JSON.stringify({ region: '18', name: 'Örebro, rullande 3 månader', versions: [{
      validFrom: '2018-01-01', model: { type: 'municipal-average', threshold: 3.0, period: 'rolling-3-months', includeDayZeroDischarges: false, billable: 'all-days' },
      noon: OREBRO_RULES.noon,
      conditions: { required: OREBRO_RULES.conditions, admissionNoticeWithinHours: 24, sipCalledWithinDays: 3, fastVardkontaktRequiredFor: OREBRO_RULES.fastVardkontaktRequiredFor },
    }] }));
    const set = loadAgreementSet(file, 'orebro');
    const rolling = await answer(set);
    expect(rolling).toEqual(paymentBasis(episodes(), set, november));
    // September and October were read: the averages are over more episodes than November's.
    // (A small municipality may have had none then.)
    expect(rolling.rows.every((r) => Number(r.averageEpisodes) >= Number(r.episodes) && r.averageFrom === '2025-09-01')).toBe(true);
    const total = (k: string) => rolling.rows.reduce((s, r) => s + Number(r[k]), 0);
    expect(total('averageEpisodes')).toBeGreaterThan(2 * total('episodes'));
    // The same November lines, only the average (and what it decides) differs.
    expect(rolling.rows.map((r) => [r.kommun, r.careType, r.episodes, r.paymentDays])).toEqual(monthly.rows.map((r) => [r.kommun, r.careType, r.episodes, r.paymentDays]));
    // 2025 has no amount per day in the bundled table: billed lines say so.
    const billed = rolling.rows.filter((r) => Number(r.billableDays) > 0);
    expect(billed.length).toBeGreaterThan(0);
    for (const r of billed) expect(r).toMatchObject({ amountSek: null, missingAmountYears: [2025] });
  }, 180_000);
});
