import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RenewingProducer } from '../../services/kafka/renewing-producer.ts';
import { configOf, isolatedEnv, waitFor } from '../support/env.ts';
import { logEndOffset, stableOffset as stableOf } from '../support/log-end.ts';

/**
 * A transactional send that fails half way (a broker restart between the records and the commit)
 * leaves its transaction open on the coordinator, and every read_committed reader of the topic
 * stops there. The producer that replaces the failed one keeps its transactional id, so its
 * InitProducerId aborts that transaction at once: far inside kafkajs's 60 s transaction timeout,
 * which is what ended it when each renewal took a new id (the chaos suite waited it out).
 */
describe('RenewingProducer: a failed transaction does not hold readers up', () => {
  const config = configOf(isolatedEnv('server'));
  const kafka = new Kafka({ clientId: 'renewing-test', brokers: config.kafkaBrokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const topic = `${config.namespace}.renewing`;
  // Well inside the transaction timeout (kafkajs's default, 60 s): only an abort gets there in time.
  const PROMPT_MS = 20_000;
  const stableOffset = () => stableOf(admin, topic);
  const halfSent = (value: string) => async (p: Producer) => {
    const tx = await p.transaction();
    await tx.send({ topic, messages: [{ key: 'k', value }] });
    throw new Error('connection lost before the commit');
  };
  const committed = (value: string) => async (p: Producer) => {
    const tx = await p.transaction();
    await tx.send({ topic, messages: [{ key: 'k', value }] });
    await tx.commit();
  };
  const readCommitted = async (until: (values: string[]) => boolean): Promise<string[]> => {
    const consumer = kafka.consumer({ groupId: `${config.namespace}.reader-${randomUUID()}`, readUncommitted: false });
    const values: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void values.push(String(message.value)) });
    try {
      await waitFor('the committed records', async () => (until(values) ? true : undefined), PROMPT_MS);
      return values;
    } finally {
      await consumer.disconnect();
    }
  };

  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: 1 }] });
  });
  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('keeps one transactional id per instance, and a fresh one per instance', () => {
    const a = new RenewingProducer(kafka, 'p');
    const b = new RenewingProducer(kafka, 'p');
    expect(a.transactionalId).toMatch(/^p-[0-9a-f-]{36}$/);
    expect(b.transactionalId).not.toBe(a.transactionalId);
    expect(new RenewingProducer(kafka).transactionalId).toBeUndefined();
  });

  it('the resend after a half-sent transaction is readable at once; the half-sent records never are', async () => {
    const producer = new RenewingProducer(kafka, `${config.namespace}-producer`);
    try {
      await expect(producer.run(halfSent('lost-1'))).rejects.toThrow('connection lost');
      const t0 = Date.now();
      await producer.run(committed('resent-1'));
      // Log: the half-sent record, its abort marker, the resent record, its commit marker.
      await waitFor('the stable offset at the log end', async () => ((await stableOffset()) === 4 && (await logEndOffset(kafka, topic)) === 4 ? true : undefined), PROMPT_MS);
      expect(Date.now() - t0).toBeLessThan(PROMPT_MS);
      expect(await readCommitted((v) => v.includes('resent-1'))).toEqual(['resent-1']);
    } finally {
      await producer.disconnect();
    }
  });

  it('with no send after the failure, the open transaction is still aborted promptly', async () => {
    const producer = new RenewingProducer(kafka, `${config.namespace}-producer`);
    try {
      const before = await logEndOffset(kafka, topic);
      await expect(producer.run(halfSent('lost-2'))).rejects.toThrow('connection lost');
      // The record is on the log (its transaction may already be aborted: the successor starts at once).
      expect(await logEndOffset(kafka, topic)).toBeGreaterThanOrEqual(before + 1);
      // Nothing is sent: the successor, initialised at once, aborts it (one marker after the record),
      // where the old code left the stable offset at `before` for the 60 s transaction timeout.
      await waitFor('the half-sent transaction aborted', async () => ((await stableOffset()) === before + 2 && (await logEndOffset(kafka, topic)) === before + 2 ? true : undefined), PROMPT_MS);
      await producer.run(committed('after-2'));
      expect(await readCommitted((v) => v.includes('after-2'))).toEqual(['resent-1', 'after-2']);
    } finally {
      await producer.disconnect();
    }
  });
});
