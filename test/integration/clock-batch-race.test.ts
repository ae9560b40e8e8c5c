import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ClockStore } from '../../services/clock/clock-store.ts';
import { OREBRO_RULES } from '../../services/clock/rules.ts';
import type { DecodedEvent } from '../../services/kafka/event-consumer.ts';
import { buildWorkload } from '../chaos/workload.ts';
import { configOf, isolatedEnv } from '../support/env.ts';

/**
 * ClockStore.apply plans a whole batch against one read of Redis and pipelines its Lua steps.
 * Two workers applying the same batches at the same moment (a consumer that lost its partitions
 * and has not noticed yet, next to the one that got them) must leave Redis exactly as one worker
 * applying event by event does: every step whose state changed underneath stops the rest of its
 * batch, which then goes one by one, and every effect (state, outbox message) happens once.
 */
describe('clock: pipelined batches raced by two workers', () => {
  const env = isolatedEnv('server');
  const config = configOf(env);
  const topic = 'patient-events';
  const group = 'clock';
  const redis = [new Redis(config.redisUrl), new Redis(config.redisUrl), new Redis(config.redisUrl)];
  const namespaces = [`${config.namespace}-single`, `${config.namespace}-raced`];

  afterAll(async () => {
    for (const ns of namespaces) {
      const keys = await redis[0]!.keys(`${ns}:*`);
      for (let i = 0; i < keys.length; i += 1000) await redis[0]!.del(...keys.slice(i, i + 1000));
    }
    for (const r of redis) r.disconnect();
  });

  async function dump(ns: string): Promise<{ keys: Record<string, unknown>; outbox: string[] }> {
    const r = redis[0]!;
    const keys: Record<string, unknown> = {};
    let outbox: string[] = [];
    for (const key of await r.keys(`${ns}:*`)) {
      const name = key.slice(ns.length);
      if (name === ':clock:recent') continue; // wall time of the last change
      if (name === ':clock:outbox') {
        outbox = (await r.xrange(key, '-', '+')).map(([, f]) => f.join('|')).sort();
        continue;
      }
      const type = await r.type(key);
      keys[name] = type === 'hash' ? Object.fromEntries(Object.entries(await r.hgetall(key)).sort())
        : type === 'set' ? (await r.smembers(key)).sort()
        : type === 'zset' ? await r.zrange(key, '0', '-1', 'WITHSCORES')
        : type;
    }
    return { keys, outbox };
  }

  it('ends key for key, and outbox message for message, as one worker applying event by event', async () => {
    const w = await buildWorkload({ days: 40, rate: 60, seed: 5, from: '2026-01-01T00:00:00Z', duplicateShare: 0.1, malformed: 0 }, env);
    const partitions = 3;
    const offsets = new Array<number>(partitions).fill(0);
    const byPartition: DecodedEvent[][] = Array.from({ length: partitions }, () => []);
    for (const it of w.items) {
      if (it.kind !== 'event') continue;
      const partition = createHash('sha1').update(it.event.patientKey).digest()[0]! % partitions;
      byPartition[partition]!.push({ event: it.event, schemaId: 1, partition, offset: String(offsets[partition]!++) });
    }
    expect(byPartition.every((p) => p.length > 300)).toBe(true);

    const single = new ClockStore(redis[0]!, namespaces[0]!, group, topic, OREBRO_RULES);
    let appliedOnce = 0;
    for (const events of byPartition) for (const d of events) appliedOnce += await single.apply([d]);

    const workers = [new ClockStore(redis[1]!, namespaces[1]!, group, topic, OREBRO_RULES), new ClockStore(redis[2]!, namespaces[1]!, group, topic, OREBRO_RULES)];
    let changed = 0;
    await Promise.all(byPartition.map(async (events) => {
      for (let i = 0; i < events.length; i += 150) {
        const batch = events.slice(i, i + 150);
        // The second worker starts a little into the first one's batch, on a batch shifted by a few events.
        const [a, b] = await Promise.all([workers[0]!.apply(batch), workers[1]!.apply(events.slice(Math.max(0, i - 7), i + 143))]);
        changed += a + b;
      }
    }));
    const expected = await dump(namespaces[0]!);
    const actual = await dump(namespaces[1]!);
    expect(Object.keys(actual.keys).sort()).toEqual(Object.keys(expected.keys).sort());
    for (const key of Object.keys(expected.keys)) expect(actual.keys[key], key).toEqual(expected.keys[key]);
    expect(actual.outbox.length).toBe(expected.outbox.length);
    expect(actual.outbox).toEqual(expected.outbox);
    // Between them the workers applied each event once.
    expect(changed).toBe(appliedOnce);
  }, 300_000);
});

