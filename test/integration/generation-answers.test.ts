import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateChanged } from '../../services/clock/changelog.ts';
import { foldEpisode } from '../../services/clock/episode-state.ts';
import { OREBRO_RULES } from '../../services/clock/rules.ts';
import { stockholmDay } from '../../services/core/stockholm-time.ts';
import { episodeFact } from '../../services/facts/episode-fact.ts';
import { answers } from '../../services/indicators/indicators.ts';
import { contextOf, ROUTES, type ApiDeps } from '../../services/api/routes.ts';
import { COMMON_PAGES, warmPages, type Ask } from '../../services/api/warm-pages.ts';
import { loadPopulation } from '../../services/reference/population.ts';
import { migrate, openClickHouse } from '../../services/sink-clickhouse/clickhouse.ts';
import { Rng } from '../../services/simulator/rng.ts';
import { GENERATION_ANSWERS } from '../../services/snapshot/generation-answers.ts';
import { readPoint } from '../../services/snapshot/read-model.ts';
import { buildSnapshot } from '../../services/snapshot/snapshot-sql.ts';
import { configOf, isolatedEnv } from '../support/env.ts';
import { simulatedEpisodes } from '../support/simulated-episodes.ts';

const round = (v: unknown): unknown => (typeof v === 'number' ? Math.round(v * 1e9) / 1e9 : Array.isArray(v) ? v.map(round) : v);
const rounded = (rows: Record<string, unknown>[]) => rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, round(v)])));

/**
 * A generation's common pages are answered before it is recorded and their generation parts kept
 * in ClickHouse (services/snapshot/generation-answers.ts, services/api/warm-pages.ts): a process
 * whose answer cache is cold then sums nothing of the generation again, its answers are those it
 * would have computed, and the stored answers go with the generation's other partitions.
 */
describe.each(['server', 'embedded'] as const)('a generation\'s answers, kept (ClickHouse %s)', (mode) => {
  const env = isolatedEnv(mode, { LOG_LEVEL: 'warn' });
  const config = configOf(env);
  const db = config.clickhouseDatabase;
  const from = Date.parse('2026-01-05T00:00:00+01:00');
  const until = Date.parse('2026-04-10T12:00:00+02:00');
  const rng = new Rng(mode === 'server' ? 41 : 42);
  let client: ClickHouseClient;
  /** The statements the pages send, through the client they are given. */
  let sent: string[] = [];
  let deps: ApiDeps;
  /** The builder's clock: each build a second after the one before (a generation's number grows with it). */
  let clock = until;
  const now = () => (clock += 1000);

  const count = async (sql: string) => Number((await (await client.query({ query: sql, format: 'JSONEachRow' })).json<{ n: string }>())[0]!.n);
  const answerOf = async (a: Ask) => {
    const q = new URLSearchParams(a.query);
    const ctx = contextOf(deps, a.route, q, a.scope, stockholmDay(until));
    return ROUTES[a.route]!.handler(ctx, q, deps);
  };

  beforeAll(async () => {
    client = (await openClickHouse(config)).client;
    await migrate(client, db);
    const rows = [];
    for (const [id, events] of simulatedEpisodes({ seed: 23, admissionsPerDay: 20, from, until })) {
      const other = rng.next() < 0.33;
      for (let k = 1; k <= events.length; k++) {
        const f = episodeFact(stateChanged({ state: foldEpisode(events.slice(0, k)), readmission: null }, k, `${id}:${k}`), OREBRO_RULES);
        // Stamped long ago: the build finds them all, none is a change since its watermark.
        rows.push({ ...f, ...(other ? { region: '03', hospital: 'UAS' } : {}), ingested_at: 1_000_000 });
      }
    }
    await client.insert({ table: `${db}.episode_facts`, values: rows, format: 'JSONEachRow' });
    const counting = new Proxy(client, {
      get: (target, key) => {
        if (key === 'query') return (p: { query: string }) => (sent.push(p.query), target.query(p as never));
        const v = Reflect.get(target, key) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    deps = { client: counting, db, rules: OREBRO_RULES, population: loadPopulation(), secret: undefined, now: () => until };
  });

  afterAll(async () => {
    await client?.command({ query: `DROP DATABASE IF EXISTS ${db}` }).catch(() => undefined);
    await client?.close();
  });

  it('stores the common pages\' generation parts before recording the generation; a cold cache reads them and answers as computing does', async () => {
    let recordedWhileWarming = -1;
    const build = await buildSnapshot(client, db, {
      now,
      warm: async (point) => {
        recordedWhileWarming = await count(`SELECT count() AS n FROM ${db}.episode_snapshot_generations WHERE generation = ${point.generation}`);
        await warmPages(deps, point, COMMON_PAGES);
      },
    });
    expect(recordedWhileWarming, 'the pages were answered before the generation was recorded').toBe(0);
    expect((await readPoint(client, db)).generation).toBe(build.generation);
    const stored = await count(`SELECT count() AS n FROM ${db}.${GENERATION_ANSWERS} WHERE generation = ${build.generation}`);
    expect(stored, 'generation parts stored').toBeGreaterThanOrEqual(5);

    let storedPages = 0;
    for (const page of COMMON_PAGES) {
      answers.clear();
      sent = [];
      const fromStore = await answerOf(page);
      const storedSent = sent.length;
      const readStored = sent.some((q) => q.includes(GENERATION_ANSWERS));
      const summedAgain = sent.filter((q) => /episode_rollup|episode_payment_rollup|episode_admissions/.test(q));
      if (readStored) storedPages++;
      if (readStored) expect(summedAgain, `${page.route}?${page.query} for ${JSON.stringify(page.scope)}: its generation's sums were not computed again`).toEqual([]);
      // The same page with nothing stored: computed.
      await client.command({ query: `ALTER TABLE ${db}.${GENERATION_ANSWERS} DROP PARTITION ${build.generation}` });
      answers.clear();
      sent = [];
      const computed = await answerOf(page);
      if (readStored) expect(sent.length, `${page.route}: more statements when nothing is stored`).toBeGreaterThan(storedSent);
      expect(rounded(fromStore.rows), `${page.route}?${page.query} for ${JSON.stringify(page.scope)}: stored = computed`).toEqual(rounded(computed.rows));
      // Computing stored it again: the next page finds the rest as warming left them.
      await warmPages(deps, await readPoint(client, db), COMMON_PAGES);
    }
    // Who waits now too (its generation part counted by group and band, openNow).
    expect(storedPages, 'pages answered from what was stored').toBe(COMMON_PAGES.length);
  });

  it('drops a generation\'s stored answers with its other partitions', async () => {
    const first = (await readPoint(client, db)).generation;
    for (let k = 0; k < 2; k++) await buildSnapshot(client, db, { from: 'previous', now, warm: (point) => warmPages(deps, point, COMMON_PAGES).then(() => undefined) });
    expect(await count(`SELECT count() AS n FROM ${db}.${GENERATION_ANSWERS} WHERE generation = ${first}`)).toBe(0);
    expect(await count(`SELECT count() AS n FROM ${db}.${GENERATION_ANSWERS} WHERE generation = ${(await readPoint(client, db)).generation}`)).toBeGreaterThanOrEqual(5);
  });
});
