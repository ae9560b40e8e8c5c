import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pseudonymiser } from '../../services/contract/pseudonymise.ts';
import { subjectFor, topics } from '../../services/core/config.ts';
import { openClickHouse } from '../../services/sink-clickhouse/clickhouse.ts';
import { configOf, episodeKeyOf, isolatedEnv, PSEUDONYM_KEY, repoRoot, waitFor } from '../support/env.ts';
import { namespaceKeys, stateKeyOf } from '../support/clock-redis.ts';
import { PipelineProcess, runCli, type CliResult } from '../support/processes.ts';

const FIXTURE = path.join(repoRoot, 'test/fixtures/two-episodes.ndjson');
const keyOf = (pnr: string) => new Pseudonymiser(PSEUDONYM_KEY).patientKey(pnr);
const KEY_A = keyOf('194003071232');
const KEY_C = keyOf('195506201234');

// Every spelling of the fixture's personnummer: none may appear anywhere downstream.
const PERSONNUMMER_SPELLINGS = [
  '194003071232', '19400307-1232', '4003071232', '400307-1232',
  '193204155679', '19320415-5679', '3204155679', '320415-5679',
  '195506201234', '19550620-1234', '5506201234', '550620-1234',
];

// Every episode id the fixture's source sent (episodeId, a readmission's indexEpisodeId, on the
// bad lines too): the producer edge replaces each by its pseudonym, so none may appear downstream.
const SOURCE_EPISODE_IDS = [...new Set([...readFileSync(FIXTURE, 'utf8').matchAll(/"(?:episodeId|indexEpisodeId)"\s*:\s*"([^"]+)"/g)].map((m) => m[1]!))];
const E100 = episodeKeyOf('E-100');
const E200 = episodeKeyOf('E-200');
const E300 = episodeKeyOf('E-300');

const EXPECTED_ROWS = [
  ['ehr-1001', 'admission', '1769930100000', KEY_A, E100],
  ['ehr-1006', 'discharge', '1770372000000', KEY_A, E100],
  ['ehr-1009', 'admission', '1771621800000', KEY_A, E200],
  ['ehr-1010', 'readmission', '1771623000000', KEY_A, E200],
  ['ehr-1011', 'admission', '1774744200000', KEY_C, E300],
  ['ehr-1012', 'admission-cancelled', '1774746900000', KEY_C, E300],
  ['lc-1002', 'admission-notice', '1769950800000', KEY_A, E100],
  ['lc-1003', 'ready-for-discharge', '1770111000000', KEY_A, E100],
  ['lc-1004', 'ready-withdrawn', '1770138000000', KEY_A, E100],
  ['lc-1005', 'ready-for-discharge', '1770278400000', KEY_A, E100],
].map(([event_id, event_type, occurred_at_ms, patient_key, episode_id]) => ({ event_id, event_type, occurred_at_ms, patient_key, episode_id }));

/** E-100 as the clock keeps it (under its pseudonym): the one state per episode (the fold of its six events). */
const EXPECTED_EPISODE_E100 = {
  episodeId: E100,
  patientKey: KEY_A,
  status: 'DISCHARGED',
  admittedAt: 1769930100000,
  admission: {
    region: '18', hospital: 'USO', clinic: 'Medicinkliniken', ward: 'Med 2', businessArea: 'Medicin', careType: 'SOMATIC',
    admissionType: 'ACUTE', homeMunicipality: '1881', ageYears: 85, primaryCareUnit: 'VC Kumla',
  },
  admissionNoticeAt: [1769950800000],
  estimatedDischargeDate: 20488,
  readyPeriods: [
    { noticeEventId: 'lc-1003', start: 1770111000000, end: 1770138000000, endedBy: 'withdrawn', recipientMunicipality: '1881', trackColour: 'GREEN', fastVardkontaktAppointed: true, sipNeeded: true },
    { noticeEventId: 'lc-1005', start: 1770278400000, end: 1770372000000, endedBy: 'discharge', recipientMunicipality: '1881', trackColour: 'YELLOW', fastVardkontaktAppointed: true, sipNeeded: true },
  ],
  dischargedAt: 1770372000000,
  discharge: { destination: 'HOME_WITH_MUNICIPAL_CARE', clinic: 'Medicinkliniken', ward: 'Med 2' },
  rejected: [],
  eventIds: ['ehr-1001', 'ehr-1006', 'lc-1002', 'lc-1003', 'lc-1004', 'lc-1005'],
  lastEventAt: 1770372000000,
};

async function readTopic(kafka: Kafka, topic: string, count: number): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: `reader-${Math.random()}` });
  const got: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void got.push(message) });
  try {
    await waitFor(`${count} messages on ${topic}`, async () => (got.length >= count ? true : undefined));
  } finally {
    await consumer.disconnect();
  }
  return got;
}

describe.each(['server', 'embedded'] as const)('NDJSON → Kafka → ClickHouse (%s) + Redis', (mode) => {
  // The fixture's episodes closed long ago: no eviction, so the test reads them whenever it runs.
  const env = isolatedEnv(mode, { UTKLAR_EVICT_EVERY_MS: '0' });
  const config = configOf(env);
  const stored = async (id: string) => JSON.parse((await redis.hget(await stateKeyOf(redis, config.namespace, id), 'state')) ?? 'null') as { state: Record<string, unknown>; readmission: Record<string, unknown> | null } | null;
  const t = topics(config.namespace);
  const kafka = new Kafka({ clientId: 'e2e-test', brokers: config.kafkaBrokers, logLevel: logLevel.NOTHING });
  const redis = new Redis(config.redisUrl);
  let pipeline: PipelineProcess;
  let cli: CliResult;
  let rows: Record<string, unknown>[];
  let allClickHouseText: string;
  let messages: KafkaMessage[];

  beforeAll(async () => {
    pipeline = new PipelineProcess(env);
    await pipeline.healthy();
    cli = await runCli(['produce', '--file', FIXTURE], env);
    await waitFor('episode E-100 fully applied in Redis', async () =>
      (await redis.hlen(`${await stateKeyOf(redis, config.namespace, E100)}:events`)) === 6 ? true : undefined,
    );
    await waitFor('10 events in ClickHouse', async () => {
      const s = await pipeline.status();
      return Object.values(s.clickhouse.eventsByType).reduce((a, b) => a + b, 0) === 10 ? true : undefined;
    });
    // Read Kafka before chDB is loaded into this process: once it has been opened and closed here,
    // new kafkajs connections from this process were seen to hang (never in the pipeline itself).
    messages = await readTopic(kafka, t.patientEvents, 10);
    // Embedded chDB belongs to the pipeline's process: stop it, then open the same directory here.
    if (mode === 'embedded') await pipeline.stop();
    const { client } = await openClickHouse(config);
    try {
      const db = config.clickhouseDatabase;
      rows = await (await client.query({
        query: `SELECT event_id, event_type, toString(occurred_at_ms) AS occurred_at_ms, patient_key, episode_id, payload, schema_id
                FROM ${db}.events FINAL ORDER BY event_id`,
        format: 'JSONEachRow',
      })).json();
      allClickHouseText = await (await client.query({ query: `SELECT * FROM ${db}.events`, format: 'TabSeparated' })).text();
    } finally {
      await client.close();
    }
  });

  afterAll(async () => {
    await pipeline?.stop();
    redis.disconnect();
  });

  it('the CLI sends the good lines and reports each bad one with its line number', () => {
    expect(cli.code).toBe(2);
    expect(JSON.parse(cli.stdout.trim().split('\n').at(-1)!)).toEqual({ lines: 12, sent: 10, rejected: 2 });
    expect(cli.stderr).toMatch(/INVALID_JSON line 7: not valid JSON/);
    expect(cli.stderr).toMatch(/INVALID_EVENT line 8: .*careType: expected one of SOMATIC, PSYCHIATRIC/);
    expect(cli.stderr).toMatch(/line 8: .*homeMunicipality: expected a kommunkod/);
  });

  it('writes exactly the decoded events to ClickHouse', () => {
    expect(rows.map(({ payload: _p, schema_id: _s, ...r }) => r)).toEqual(EXPECTED_ROWS);
    const admission = rows.find((r) => r.event_id === 'ehr-1001')!;
    expect(JSON.parse(admission.payload as string)).toEqual({
      region: '18', hospital: 'USO', clinic: 'Medicinkliniken', ward: 'Med 2', businessArea: 'Medicin',
      careType: 'SOMATIC', admissionType: 'ACUTE', homeMunicipality: '1881', ageYears: 85, primaryCareUnit: 'VC Kumla',
    });
    const ready = rows.find((r) => r.event_id === 'lc-1003')!;
    expect(JSON.parse(ready.payload as string)).toEqual({
      judgedAt: 1770108300000, recipientMunicipality: '1881', trackColour: 'GREEN',
      fastVardkontaktAppointed: true, sipNeeded: true, sipCalledAt: 1770206400000,
    });
    // Across the DST switch night (29 Mar 2026) and from a 10-digit personnummer: age 70.
    expect(JSON.parse(rows.find((r) => r.event_id === 'ehr-1011')!.payload as string).ageYears).toBe(70);
  });

  it('keeps the exact per-episode state in Redis', async () => {
    const e100 = await stored(E100);
    expect(e100?.state).toMatchObject(EXPECTED_EPISODE_E100);
    expect(e100?.readmission).toBeNull();
    // One applied change per event, none twice.
    expect(await redis.hget(await stateKeyOf(redis, config.namespace, E100), 'version')).toBe('6');
    const e200 = await stored(E200);
    expect(e200?.state).toMatchObject({ status: 'ADMITTED', reportedReadmission: true, admission: { hospital: 'KLS' } });
    expect(e200?.readmission).toMatchObject({ indexEpisodeId: E100, daysAfterDischarge: 14 });
    expect((await stored(E300))?.state).toMatchObject({ status: 'CANCELLED', admission: { homeMunicipality: '1781', careType: 'PSYCHIATRIC' } });
    // The skeleton's second copy of each episode (<ns>:episode:<id>) is gone.
    expect(await redis.exists(`${config.namespace}:episode:${E100}`)).toBe(0);
  });

  it('really uses the registry: Confluent magic byte and a schema id the registry resolves', async () => {
    expect(messages).toHaveLength(10);
    const ids = new Set(messages.map((m) => {
      expect(m.value![0]).toBe(0);
      return m.value!.readUInt32BE(1);
    }));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    expect(rows.every((r) => r.schema_id === id)).toBe(true);
    const schema = await (await fetch(`${config.registryUrl}/schemas/ids/${id}`)).json() as { schema: string };
    expect(JSON.parse(schema.schema).name).toBe('PatientEvent');
    const cfg = await (await fetch(`${config.registryUrl}/config/${subjectFor(t.patientEvents)}`)).json() as { compatibilityLevel: string };
    expect(cfg.compatibilityLevel).toBe('BACKWARD');
    expect(messages.map((m) => m.key!.toString())).toContain(KEY_A);
  });

  it('lets no personnummer and no source episode id reach Kafka, Redis, ClickHouse or logs', async () => {
    const kafkaText = messages.map((m) => `${m.key}|${m.value?.toString('latin1')}|${JSON.stringify(m.headers)}`).join('\n');
    const keys = await namespaceKeys(redis, config.namespace);
    const redisText = JSON.stringify(await Promise.all(keys.map(async (k) => [k, await redis.type(k) === 'hash' ? await redis.hgetall(k) : await redis.type(k)])));
    expect(keys.length).toBeGreaterThan(3);
    expect(pipeline.output.length).toBeGreaterThan(0);
    expect(SOURCE_EPISODE_IDS).toEqual(['E-100', 'E-150', 'E-200', 'E-300']);
    for (const [where, text] of [['kafka', kafkaText], ['redis', redisText], ['clickhouse', allClickHouseText], ['pipeline log', pipeline.output], ['cli output', cli.stdout + cli.stderr]] as const) {
      for (const pnr of PERSONNUMMER_SPELLINGS) expect(text.includes(pnr), `${pnr} found in ${where}`).toBe(false);
      for (const id of SOURCE_EPISODE_IDS) expect(text.includes(id), `source episode id ${id} found in ${where}`).toBe(false);
    }
  });
});
