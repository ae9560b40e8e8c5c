import { Redis } from 'ioredis';
import { Kafka, logLevel, Partitioners, type KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../services/core/config.ts';
import { EventCodec } from '../../services/kafka/codec.ts';
import { configOf, episodeKeyOf, isolatedEnv, waitFor } from '../support/env.ts';
import { stateKeyOf } from '../support/clock-redis.ts';
import { PipelineProcess, runCli } from '../support/processes.ts';

const GOOD_LINE = JSON.stringify({
  type: 'admission', eventId: 'ehr-dlq-1', occurredAt: '2026-05-04T07:00:00+02:00', source: 'ehr-test',
  personnummer: '19400307-1232', episodeId: 'E-DLQ', region: '18', hospital: 'USO', clinic: 'Medicinkliniken',
  ward: 'Med 1', businessArea: 'Medicin', careType: 'SOMATIC', admissionType: 'ACUTE', homeMunicipality: '1880',
});

const base = { source: 'ehr-test', personnummer: '19400307-1232' };
// Decodable but contradicting the episode: the clock service dead-letters these (JSON, with the reason).
const INVALID_LINES = [
  { ...base, type: 'admission', eventId: 'ehr-dlq-1b', occurredAt: '2026-05-04T07:00:00+02:00', episodeId: 'E-BAD', region: '18', hospital: 'USO', clinic: 'Medicinkliniken', ward: 'Med 1', businessArea: 'Medicin', careType: 'SOMATIC', admissionType: 'ACUTE', homeMunicipality: '1880' },
  { ...base, type: 'discharge', eventId: 'ehr-dlq-2', occurredAt: '2026-05-03T10:00:00+02:00', episodeId: 'E-BAD', destination: 'HOME', clinic: 'Medicinkliniken', ward: 'Med 1' },
  { ...base, type: 'ready-withdrawn', eventId: 'lc-dlq-3', occurredAt: '2026-05-05T10:00:00+02:00', episodeId: 'E-BAD', reasonCode: 'CONDITION_WORSENED' },
  { ...base, type: 'admission', eventId: 'ehr-dlq-4', occurredAt: '2026-06-20T07:00:00+02:00', episodeId: 'E-DLQ-2', region: '18', hospital: 'USO', clinic: 'Medicinkliniken', ward: 'Med 1', businessArea: 'Medicin', careType: 'SOMATIC', admissionType: 'ACUTE', homeMunicipality: '1880' },
  // Six weeks behind the patient's partition, for an episode nobody admitted.
  { ...base, type: 'ready-for-discharge', eventId: 'lc-dlq-5', occurredAt: '2026-05-10T10:00:00+02:00', episodeId: 'E-GHOST', recipientMunicipality: '1880', trackColour: 'GREEN', fastVardkontaktAppointed: false, sipNeeded: false },
].map((e) => JSON.stringify(e));

describe('undecodable and invalid messages go to the dead-letter topic and the pipeline keeps going', () => {
  const env = isolatedEnv('server');
  const config = configOf(env);
  const t = topics(config.namespace);
  const kafka = new Kafka({ clientId: 'dlq-test', brokers: config.kafkaBrokers, logLevel: logLevel.NOTHING });
  const redis = new Redis(config.redisUrl);
  let pipeline: PipelineProcess;
  const dead: KafkaMessage[] = [];

  beforeAll(async () => {
    pipeline = new PipelineProcess(env);
    await pipeline.healthy();
    const codec = new EventCodec(config.registryUrl);
    const schemaId = await codec.register(t.patientEvents);
    const idBytes = Buffer.alloc(4);
    idBytes.writeUInt32BE(schemaId);
    const unknownId = Buffer.from([0, 0x00, 0x0f, 0x42, 0x3f]); // schema id 999999
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({
      topic: t.patientEvents,
      messages: [
        { key: 'k1', value: Buffer.from('{"type":"admission"} — JSON, not Avro') },
        { key: 'k2', value: Buffer.concat([unknownId, Buffer.from([2, 4, 6])]) },
        { key: 'k3', value: Buffer.concat([Buffer.from([0]), idBytes, Buffer.from([0x06, 0x61])]) }, // truncated Avro
      ],
    });
    await producer.disconnect();
    const cli = await runCli(['produce'], env, `${[GOOD_LINE, ...INVALID_LINES].join('\n')}\n`);
    expect(cli.code).toBe(0);

    const consumer = kafka.consumer({ groupId: `dlq-reader-${Math.random()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: t.deadLetter, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void dead.push(message) });
    // One consumer group reads the events topic: 3 undecodable messages, and 3 invalid events the clock refuses.
    await waitFor('6 dead letters', async () => (dead.length >= 6 ? true : undefined));
    // A second copy of any (a second reader, a replay that dead-letters again) would come soon after.
    await new Promise((r) => setTimeout(r, 3_000));
    await consumer.disconnect();
  });

  afterAll(async () => {
    await pipeline?.stop();
    redis.disconnect();
  });

  const h = (m: KafkaMessage, name: string) => m.headers?.[name]?.toString();

  it('dead-letters each bad message once, with the reason and its origin', () => {
    expect(dead).toHaveLength(6);
    const undecodable = dead.filter((m) => h(m, 'dlq-code') === 'UNDECODABLE_MESSAGE');
    expect(undecodable).toHaveLength(3);
    expect(new Set(dead.map((m) => h(m, 'dlq-consumer')))).toEqual(new Set([`${config.namespace}.clock`]));
    for (const m of undecodable) {
      expect(h(m, 'dlq-source-topic')).toBe(t.patientEvents);
      expect(h(m, 'dlq-source-offset')).toMatch(/^\d+$/);
    }
    const byKey = Object.fromEntries(undecodable.map((m) => [m.key!.toString(), h(m, 'dlq-reason')]));
    expect(byKey.k1).toMatch(/magic byte/);
    expect(byKey.k2).toMatch(/Avro decode failed/);
    expect(byKey.k3).toMatch(/Avro decode failed/);
    // The original bytes are kept for inspection and replay.
    expect(dead.find((m) => m.key!.toString() === 'k1')!.value!.toString()).toContain('JSON, not Avro');
  });

  it('dead-letters events that contradict their episode, once, with the reason, and leaves the state untouched', async () => {
    const invalid = dead.filter((m) => h(m, 'dlq-code') === 'INVALID_EVENT');
    expect(invalid).toHaveLength(3);
    const byEvent = Object.fromEntries(invalid.map((m) => [JSON.parse(m.value!.toString()).eventId as string, m]));
    expect(Object.keys(byEvent).sort()).toEqual(['ehr-dlq-2', 'lc-dlq-3', 'lc-dlq-5']);
    expect(h(byEvent['ehr-dlq-2']!, 'dlq-reason')).toMatch(/^discharge at 2026-05-03T08:00:00.000Z precedes the admission/);
    expect(h(byEvent['lc-dlq-3']!, 'dlq-reason')).toBe('ready-withdrawn without an open ready notice');
    expect(h(byEvent['lc-dlq-5']!, 'dlq-reason')).toMatch(/^ready-for-discharge for an unknown episode, 981 h behind/);
    for (const m of invalid) {
      expect(h(m, 'dlq-consumer')).toBe(`${config.namespace}.clock`);
      expect(h(m, 'dlq-format')).toBe('json');
      expect(h(m, 'dlq-source-offset')).toMatch(/^\d+$/);
      // Pseudonymised at the producer edge: no personnummer reaches the dead-letter topic.
      expect(m.value!.toString()).not.toMatch(/19400307|194003071232/);
      // Nor a source episode id: the event carries its episode's pseudonym.
      expect(m.value!.toString()).not.toMatch(/E-BAD|E-GHOST/);
    }
    expect(JSON.parse(byEvent['ehr-dlq-2']!.value!.toString()).episodeId).toBe(episodeKeyOf('E-BAD'));
    expect(JSON.parse(byEvent['lc-dlq-5']!.value!.toString()).episodeId).toBe(episodeKeyOf('E-GHOST'));
    const state = JSON.parse((await redis.hget(await stateKeyOf(redis, config.namespace, episodeKeyOf('E-BAD')), 'state'))!);
    expect(state.state).toMatchObject({ status: 'ADMITTED', dischargedAt: null, readyPeriods: [] });
    expect(await redis.exists(await stateKeyOf(redis, config.namespace, episodeKeyOf('E-GHOST')))).toBe(0);
  });

  it('still processes the good event that came after the bad ones', async () => {
    const stored = await waitFor('E-DLQ in Redis', async () => {
      const json = await redis.hget(await stateKeyOf(redis, config.namespace, episodeKeyOf('E-DLQ')), 'state');
      return json ? (JSON.parse(json) as { state: { status: string; admission: { homeMunicipality: string } } }) : undefined;
    });
    expect(stored.state).toMatchObject({ status: 'ADMITTED', admission: { homeMunicipality: '1880' } });
    expect(await redis.hget(await stateKeyOf(redis, config.namespace, episodeKeyOf('E-DLQ')), 'version')).toBe('1');
    expect(await redis.hlen(`${await stateKeyOf(redis, config.namespace, episodeKeyOf('E-DLQ'))}:events`)).toBe(1);
    await waitFor('the good event in ClickHouse', async () =>
      (await pipeline.status()).clickhouse.eventsByType.admission === 3 ? true : undefined,
    );
    const metrics = await (await fetch(`${pipeline.url}/metrics`)).text();
    expect(metrics).toMatch(/utklar_events_dead_lettered_total\{consumer="[^"]+\.clock",code="UNDECODABLE_MESSAGE"\} 3/);
  });
});
