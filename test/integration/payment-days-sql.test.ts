import { afterAll, describe, expect, it } from 'vitest';
import { stateChanged } from '../../services/clock/changelog.ts';
import { episodeClock } from '../../services/clock/episode-clock.ts';
import { foldEpisode } from '../../services/clock/episode-state.ts';
import { LAW_DEFAULTS, OREBRO_RULES } from '../../services/clock/rules.ts';
import { stockholmDay } from '../../services/core/stockholm-time.ts';
import { episodeFact } from '../../services/facts/episode-fact.ts';
import { paymentDays, utklarDays } from '../../services/indicators/sql.ts';
import { migrate, openClickHouse } from '../../services/sink-clickhouse/clickhouse.ts';
import { Rng } from '../../services/simulator/rng.ts';
import { configOf, isolatedEnv } from '../support/env.ts';
import { simulatedEpisodes } from '../support/simulated-episodes.ts';

/**
 * The payment-day and follow-up-day rules are written once, in the clock's domain core
 * (clock/day-count.ts); the indicators count them in SQL over the fact rows' Stockholm-day form.
 * For every simulated episode (withdrawn and renewed notices, notices on either side of noon,
 * open and closed periods) and for random instants up to a year on, spring and autumn DST days
 * included, the SQL's count equals the domain's, on the ClickHouse server and on chDB.
 */
describe.each(['server', 'embedded'] as const)('the indicators\' day-count SQL equals the clock\'s rule (ClickHouse %s)', (mode) => {
  const env = isolatedEnv(mode, { LOG_LEVEL: 'warn' });
  const config = configOf(env);
  const from = Date.parse('2026-02-20T00:00:00+01:00');
  const until = Date.parse('2026-04-10T00:00:00+02:00'); // across the spring DST switch
  const states = [...simulatedEpisodes({ seed: 9, admissionsPerDay: 90, from, until }).values()].map((list) => foldEpisode(list)).filter((s) => s.readyPeriods.length > 0);
  let client: Awaited<ReturnType<typeof openClickHouse>>['client'] | undefined;

  afterAll(async () => {
    await client?.command({ query: `DROP DATABASE IF EXISTS ${config.clickhouseDatabase}` }).catch(() => undefined);
    await client?.close();
  });

  it.each([['Örebro (12:00 rule, threshold)', OREBRO_RULES], ['the law\'s defaults (free days)', LAW_DEFAULTS]] as const)('for %s', async (_name, rules) => {
    client ??= (await openClickHouse(config)).client;
    await migrate(client, config.clickhouseDatabase);
    await client.command({ query: `TRUNCATE TABLE ${config.clickhouseDatabase}.episode_facts` });
    await client.insert({
      table: `${config.clickhouseDatabase}.episode_facts`,
      values: states.map((s) => ({ ...episodeFact(stateChanged({ state: s, readmission: null }, 1, s.episodeId), rules), ingested_at: 0 })),
      format: 'JSONEachRow',
    });
    const rng = new Rng(rules === OREBRO_RULES ? 21 : 22);
    const instants = [
      until, until + 11 * 3_600_000 + 59 * 60_000, until + 12 * 3_600_000,
      Date.parse('2026-10-25T01:30:00+02:00'), Date.parse('2026-10-25T23:59:59+01:00'), // the autumn DST day
      Date.parse('2027-03-28T03:30:00+02:00'), // the next spring DST day
      ...Array.from({ length: 6 }, () => until + Math.floor(rng.next() * 365 * 86_400_000)),
    ];
    let open = 0;
    let renewed = 0;
    for (const at of instants) {
      const today = stockholmDay(at);
      const rows = await (await client.query({
        query: `SELECT episode_id, toString(${paymentDays(today)}) AS p, toString(${utklarDays(today)}) AS u FROM ${config.clickhouseDatabase}.episode_facts FINAL`,
        format: 'JSONEachRow',
      })).json<{ episode_id: string; p: string; u: string }>();
      const sql = new Map(rows.map((r) => [r.episode_id, [Number(r.u), Number(r.p)]]));
      expect(sql.size).toBe(states.length);
      for (const s of states) {
        const clock = episodeClock(s, at, rules);
        expect([s.episodeId, ...sql.get(s.episodeId)!]).toEqual([s.episodeId, clock.utklarDays, clock.paymentDays]);
        if (at === until) {
          if (s.readyPeriods.some((p) => p.end === null)) open++;
          if (s.readyPeriods.length > 1) renewed++;
        }
      }
    }
    // The data has what the rule is about: open periods counting on, withdrawn and renewed notices.
    expect(states.length).toBeGreaterThan(500);
    expect(open).toBeGreaterThan(20);
    expect(renewed).toBeGreaterThan(20);
  }, 120_000);
});
