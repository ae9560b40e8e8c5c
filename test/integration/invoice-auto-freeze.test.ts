import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { Admin, Producer } from 'kafkajs';
import pino from 'pino';
import { mintToken } from '../../services/api/auth.ts';
import { answer, type ApiDeps } from '../../services/api/routes.ts';
import { OREBRO_RULES } from '../../services/clock/rules.ts';
import { topics } from '../../services/core/config.ts';
import { monthOfDay } from '../../services/facts/episode-fact.ts';
import type { SpecifiedEpisode } from '../../services/indicators/payment-basis.ts';
import { createKafka } from '../../services/kafka/client.ts';
import { AUTO_FREEZE_BY, invoiceFreezer } from '../../services/invoices/invoice-freezer.ts';
import { loadPopulation } from '../../services/reference/population.ts';
import { migrate, openClickHouse } from '../../services/sink-clickhouse/clickhouse.ts';
import { clockKeys } from '../../services/store/clock-keys.ts';
import { API_SECRET, configOf, isolatedEnv } from '../support/env.ts';
import { EPISODES } from '../support/invoice-episodes.ts';

/**
 * The automatic freeze on the real services, in virtual time: the hand-worked November 2023 of
 * test/support/invoice-episodes.ts in ClickHouse, the events topic and its group's offsets in
 * Kafka, the outboxes in Redis. November's deadline is the end of Thursday 7 December 2023, the
 * fifth working day (Friday 1st, Monday 4th – Thursday 7th). Fixed dates: passes on any day.
 */
describe('invoices: frozen automatically after the first working week of the next month (server)', () => {
  const env = isolatedEnv('server', { LOG_LEVEL: 'warn' });
  const config = configOf(env);
  const db = config.clickhouseDatabase;
  const t = topics(config.namespace);
  const groupId = `${config.groupPrefix}.clock`;
  const DEADLINE = Date.parse('2023-12-08T00:00:00+01:00');
  let now = DEADLINE - 1_000;
  let client: Awaited<ReturnType<typeof openClickHouse>>['client'];
  let admin: Admin;
  let producer: Producer;
  let redis: Redis;
  let deps: ApiDeps;
  let freezer: ReturnType<typeof invoiceFreezer>;
  const outboxKey = clockKeys(config.namespace).of(1).outbox;

  const fact = (e: SpecifiedEpisode) => ({
    episode_id: e.episodeId, version: 1, status: 'DISCHARGED', region: e.region, hospital: 'USO', clinic: 'Medicin', ward: 'Med 1', business_area: 'Medicin', care_type: e.careType, admission_type: 'ACUTE',
    home_municipality: e.municipality, home_county: e.region, out_of_county: 0, recipient_municipality: e.municipality, primary_care_unit: '', age_years: 82, age_group: '75-84',
    admitted_day: e.readyStartDays[0]! - 2, admitted_month: monthOfDay(e.readyStartDays[0]! - 2), discharged_day: e.dischargedDay, discharged_month: monthOfDay(e.dischargedDay), destination: 'HOME',
    ready_start_days: e.readyStartDays, ready_end_days: e.readyEndDays, payment_days: e.paymentDayList, open_payment_from_day: -1, track_colour: e.trackColour, fast_vardkontakt: e.fastVardkontakt ? 1 : 0,
    liability: e.liability, readmission_of: '', readmission_source: '', readmission_index_clinic: '', discharge_clinic: 'Medicin', delay_reasons: [], delay_parties: [], ingested_at: Math.floor(DEADLINE / 1000),
  });
  const freezes = async () => (await (await client.query({ query: `SELECT region, month, frozen_by FROM ${db}.invoice_freezes ORDER BY region`, format: 'JSONEachRow' })).json<Record<string, unknown>>());
  const invoice = async (region: string) => {
    const token = `Bearer ${mintToken({ kind: 'region', region }, API_SECRET, { subject: 'auto-freeze-test', ttlSeconds: 3600, now: Date.now() })}`;
    const r = await answer(deps, 'invoices', new URLSearchParams({ month: '2023-11' }), token);
    expect(r.status, r.body).toBe(200);
    return JSON.parse(r.body) as { status: string; frozen: { frozenBy: string } | null; rows: unknown[]; specification: unknown[] };
  };

  beforeAll(async () => {
    client = (await openClickHouse(config)).client;
    await migrate(client, db);
    await client.insert({ table: `${db}.episode_facts`, values: EPISODES.map(fact), format: 'JSONEachRow' });
    const kafka = createKafka(config, 'auto-freeze-test');
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: t.patientEvents, numPartitions: 2 }], waitForLeaders: true });
    producer = kafka.producer();
    await producer.connect();
    redis = new Redis(config.redisUrl);
    deps = { client, db, rules: OREBRO_RULES, agreements: config.agreements, population: loadPopulation(), secret: API_SECRET, now: () => Date.now() };
    freezer = invoiceFreezer({
      workingDay: 5, from: null, client, db, admin, groupId, topic: t.patientEvents, redis, outboxKeys: [0, 1].map((p) => clockKeys(config.namespace).of(p).outbox),
      ownership: { assigned: [0, 1], generation: 1, confirmedSince: () => true }, rules: OREBRO_RULES, agreements: config.agreements, population: loadPopulation(),
      log: pino({ level: 'silent' }), now: () => now,
    });
  }, 120_000);

  afterAll(async () => {
    await redis?.del(outboxKey);
    await producer?.disconnect();
    await admin?.deleteTopics({ topics: [t.patientEvents] }).catch(() => undefined);
    await admin?.disconnect();
    redis?.disconnect();
    await client?.command({ query: `DROP DATABASE IF EXISTS ${db}` }).catch(() => undefined);
    await client?.close();
  });

  it('not before the deadline: a second before it, November stays preliminary', async () => {
    await freezer.round();
    now = DEADLINE - 1;
    await freezer.round();
    expect(await freezes()).toEqual([]);
  });

  it('not while an event sent before the deadline is unread, nor while an outbox holds a change', async () => {
    now = DEADLINE + 5 * 60_000;
    // Sent at 23:00 on the deadline day, and no offset committed for it: the basis would miss it.
    await producer.send({ topic: t.patientEvents, messages: [{ partition: 0, value: 'late event', timestamp: String(DEADLINE - 3_600_000) }] });
    for (let i = 0; i < 3; i++, now += 60_000) await freezer.round();
    expect(await freezes()).toEqual([]);

    await admin.setOffsets({ groupId, topic: t.patientEvents, partitions: [{ partition: 0, offset: '1' }] });
    await redis.xadd(outboxKey, '*', 'k', 'a change not yet published');
    for (let i = 0; i < 3; i++, now += 60_000) await freezer.round();
    expect(await freezes()).toEqual([]);
    expect((await invoice('18')).status).toBe('preliminary');
  }, 60_000);

  it('once caught up for the settling time, every region with invoice material is frozen, signed by utklar', async () => {
    await redis.del(outboxKey);
    const live18 = await invoice('18');
    await freezer.round(); // caught up from now on: in-flight rows get their time to land
    expect(await freezes()).toEqual([]);
    now += 30_000;
    await freezer.round();
    expect(await freezes()).toEqual([
      { region: '03', month: 202311, frozen_by: AUTO_FREEZE_BY },
      { region: '18', month: 202311, frozen_by: AUTO_FREEZE_BY },
    ]);
    const frozen18 = await invoice('18');
    expect(frozen18).toMatchObject({ status: 'frozen', frozen: { frozenBy: AUTO_FREEZE_BY } });
    expect(frozen18.rows).toEqual(live18.rows);
    expect(frozen18.specification).toEqual(live18.specification);
    expect(freezer.freezer.frozen.map((f) => `${f.region} ${f.month}`)).toEqual(['03 2023-11', '18 2023-11']);
  }, 60_000);

  it('freezes once: later rounds, and a process not owning partition 0, leave the table as it is', async () => {
    for (let i = 0; i < 3; i++, now += 60_000) await freezer.round();
    const other = invoiceFreezer({
      workingDay: 5, from: null, client, db, admin, groupId, topic: t.patientEvents, redis, outboxKeys: [outboxKey],
      ownership: { assigned: [1], generation: 1, confirmedSince: () => true }, rules: OREBRO_RULES, agreements: config.agreements, population: loadPopulation(),
      log: pino({ level: 'silent' }), now: () => now,
    });
    await other.round();
    expect(await freezes()).toHaveLength(2);
  });
});
