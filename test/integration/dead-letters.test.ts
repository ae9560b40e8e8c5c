import { Redis } from 'ioredis';
import { Kafka, logLevel, Partitioners, type KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../services/core/config.ts';
import { EventCodec } from '../../services/kafka/codec.ts';
import { configOf, isolatedEnv, waitFor } from '../support/env.ts';
import { PipelineProcess, runCli } from '../support/processes.ts';

const GOOD_LINE = JSON.stringify({
  type: 'admission', eventId: 'ehr-dlq-1', occurredAt: '2026-05-04T07:00:00+02:00', source: 'ehr-test',
  personnummer: '19400307-1232', episodeId: 'E-DLQ', region: '18', hospital: 'USO', clinic: 'Medicinkliniken',
  ward: 'Med 1', businessArea: 'Medicin', careType: 'SOMATIC', admissionType: 'ACUTE', homeMunicipality: '1880',
});

describe('undecodable messages go to the dead-letter topic and the pipeline keeps going', () => {
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
    const cli = await runCli(['produce'], env, `${GOOD_LINE}\n`);
    expect(cli.code).toBe(0);

    const consumer = kafka.consumer({ groupId: `dlq-reader-${Math.random()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: t.deadLetter, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void dead.push(message) });
    // Each consumer group dead-letters on its own: 3 bad messages × 3 groups.
    await waitFor('9 dead letters', async () => (dead.length >= 9 ? true : undefined));
    await consumer.disconnect();
  });

  afterAll(async () => {
    await pipeline?.stop();
    redis.disconnect();
  });

  it('dead-letters each bad message once per consumer, with the reason and its origin', () => {
    const h = (m: KafkaMessage, name: string) => m.headers?.[name]?.toString();
    expect(dead).toHaveLength(9);
    expect(new Set(dead.map((m) => h(m, 'dlq-consumer')))).toEqual(
      new Set([`${config.namespace}.sink-clickhouse`, `${config.namespace}.episode-store`, `${config.namespace}.clock`]),
    );
    for (const m of dead) {
      expect(h(m, 'dlq-code')).toBe('UNDECODABLE_MESSAGE');
      expect(h(m, 'dlq-source-topic')).toBe(t.patientEvents);
      expect(h(m, 'dlq-source-offset')).toMatch(/^\d+$/);
    }
    const byKey = Object.fromEntries(dead.map((m) => [m.key!.toString(), h(m, 'dlq-reason')]));
    expect(byKey.k1).toMatch(/magic byte/);
    expect(byKey.k2).toMatch(/Avro decode failed/);
    expect(byKey.k3).toMatch(/Avro decode failed/);
    // The original bytes are kept for inspection and replay.
    expect(dead.find((m) => m.key!.toString() === 'k1')!.value!.toString()).toContain('JSON, not Avro');
  });

  it('still processes the good event that came after the bad ones', async () => {
    const record = await waitFor('E-DLQ in Redis', async () => {
      const r = await redis.hgetall(`${config.namespace}:episode:E-DLQ`);
      return r.status ? r : undefined;
    });
    expect(record).toMatchObject({ status: 'ADMITTED', homeMunicipality: '1880', eventsApplied: '1' });
    await waitFor('the good event in ClickHouse', async () =>
      (await pipeline.status()).clickhouse.eventsByType.admission === 1 ? true : undefined,
    );
    const metrics = await (await fetch(`${pipeline.url}/metrics`)).text();
    expect(metrics).toMatch(/utklar_events_dead_lettered_total\{consumer="[^"]+\.sink-clickhouse",code="UNDECODABLE_MESSAGE"\} 3/);
  });
});
