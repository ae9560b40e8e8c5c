import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { OutboxProgress } from '../../services/kafka/outbox-progress.ts';
import type { PartitionOwnership } from '../../services/model/partition-ownership.ts';
import { OUTBOX_HIGH_WATER, OutboxPublisher } from '../../services/outbox/outbox-publisher.ts';
import { configOf, isolatedEnv } from '../support/env.ts';

/**
 * The clock waits before a batch while the partition's outbox (a real Redis stream) holds more
 * than OUTBOX_HIGH_WATER entries, and goes on once the publisher's deletions bring it back under
 * (a live change then queues behind about one transaction, not a replay's backlog); never longer
 * than the bound its consumer's heartbeat allows. Only room() is exercised: nothing is published,
 * so the Kafka client, the ownership and the progress reader are never used.
 */
describe('outbox room: the clock waits for a full outbox', () => {
  const config = configOf(isolatedEnv('server'));
  const redis = new Redis(config.redisUrl);
  const key = (p: number) => `{${config.namespace}:p${p}}:clock:outbox`;
  const kafka = new Kafka({ clientId: 'outbox-room-test', brokers: config.kafkaBrokers, logLevel: logLevel.NOTHING });
  const publisher = new OutboxPublisher(redis, kafka, key, {} as PartitionOwnership, (p) => `unused-${p}`, {} as OutboxProgress, {}, pino({ level: 'silent' }));
  const fill = async (p: number, n: number): Promise<string[]> => {
    const add = redis.pipeline();
    for (let i = 0; i < n; i++) add.xadd(key(p), '*', 'kind', 'state', 'value', '{}');
    return ((await add.exec()) ?? []).map(([, id]) => String(id));
  };

  afterAll(async () => {
    await redis.del(key(0), key(1), key(2));
    redis.disconnect();
  });

  it('does not wait while the outbox is at the high-water mark or below', async () => {
    await fill(0, OUTBOX_HIGH_WATER);
    expect(await publisher.room(0)).toBe(0);
  });

  it('waits while it is above, and goes on once entries are deleted', async () => {
    const ids = await fill(1, OUTBOX_HIGH_WATER + 500);
    const started = Date.now();
    setTimeout(() => void redis.xdel(key(1), ...ids.slice(0, 500)), 400);
    const waited = await publisher.room(1);
    expect(waited).toBeGreaterThanOrEqual(350);
    expect(waited).toBeLessThan(1_900);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(await redis.xlen(key(1))).toBe(OUTBOX_HIGH_WATER);
  });

  it('waits no longer than its bound when nothing is deleted', async () => {
    await fill(2, OUTBOX_HIGH_WATER + 1);
    const waited = await publisher.room(2, OUTBOX_HIGH_WATER, 600);
    expect(waited).toBeGreaterThanOrEqual(600);
    expect(waited).toBeLessThan(1_500);
  });
});
