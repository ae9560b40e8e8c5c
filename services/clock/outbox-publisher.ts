import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { RegisteredSchema } from '../kafka/registered-schema.ts';
import { RenewingProducer } from '../kafka/renewing-producer.ts';

export interface OutboxRoute {
  topic: string;
  /** Avro via the registry; without one the entry's JSON is sent as it is. */
  schema?: RegisteredSchema;
  id: (value: Record<string, unknown>) => string;
  headers?: (value: Record<string, unknown>) => Record<string, string>;
}

/**
 * Moves derived messages from the Redis outbox (written atomically with the state) to Kafka.
 * An entry is deleted only after Kafka acknowledged it: a crash in between re-sends it, with the
 * same key and id (changeId / clockEventId), which a compacted topic and a deduplicating reader absorb.
 */
export class OutboxPublisher {
  readonly #producer: RenewingProducer;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  published = 0;
  /** When the outbox was last found empty (a heartbeat: publishing keeps up). */
  lastDrainedAt = 0;

  constructor(
    private readonly redis: Redis,
    kafka: Kafka,
    private readonly outboxKey: string,
    /** Where each kind of outbox entry goes: 'state' → changelog, 'clock' → clock events, 'dead-letter' → DLQ. */
    private readonly routes: Record<string, OutboxRoute>,
    private readonly log: Logger,
  ) {
    this.#producer = new RenewingProducer(kafka);
  }

  async start(everyMs = 50): Promise<void> {
    for (const route of Object.values(this.routes)) await route.schema?.register();
    await this.#producer.connect();
    this.#timer = setInterval(() => {
      if (this.#busy) return;
      this.#busy = true;
      this.drain()
        .catch((e) => this.log.warn({ err: e }, 'outbox publish failed; retrying'))
        .finally(() => (this.#busy = false));
    }, everyMs);
  }

  /**
   * Waits while the outbox holds more than `max` entries, at most `maxWaitMs`: the clock calls it
   * before each batch, so a publisher that falls behind (it shares the process, or Kafka is slow)
   * slows the clock down instead of letting the outbox, and Redis's memory, grow without bound.
   * Bounded, because the consumer must heartbeat; returns the milliseconds waited.
   */
  async room(max = 10_000, maxWaitMs = 2_000): Promise<number> {
    const started = Date.now();
    let waited = 0;
    while ((await this.redis.xlen(this.outboxKey)) > max && waited < maxWaitMs) {
      await new Promise((r) => setTimeout(r, 20));
      waited = Date.now() - started;
    }
    return waited;
  }

  /** Publishes everything in the outbox now; returns how many messages were sent. */
  async drain(batch = 2000): Promise<number> {
    let sent = 0;
    for (;;) {
      const entries = await this.redis.xrange(this.outboxKey, '-', '+', 'COUNT', batch);
      if (entries.length === 0) {
        this.lastDrainedAt = Date.now();
        return sent;
      }
      const byTopic = new Map<string, { key: string; value: Buffer; headers: Record<string, string> }[]>();
      for (const [, fields] of entries) {
        const f: Record<string, string> = {};
        for (let i = 0; i < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
        const route = this.routes[f.kind!];
        if (!route) throw new Error(`outbox entry of unknown kind '${f.kind}'`);
        const value = JSON.parse(f.value!) as Record<string, unknown>;
        const list = byTopic.get(route.topic) ?? [];
        const encoded = route.schema ? route.schema.encodeNow(value) : Buffer.from(f.value!);
        list.push({ key: f.key!, value: encoded, headers: { 'message-id': route.id(value), ...route.headers?.(value) } });
        byTopic.set(route.topic, list);
      }
      await this.#producer.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      await this.redis.xdel(this.outboxKey, ...entries.map(([id]) => id));
      sent += entries.length;
      this.published += entries.length;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#producer.disconnect();
  }
}
