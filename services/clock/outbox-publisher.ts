import type { RedisLike } from '../core/redis.ts';
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
 * Moves derived messages from the partitions' Redis outboxes (each written atomically with its
 * partition's state) to Kafka. An entry is deleted only after Kafka acknowledged it: a crash in
 * between re-sends it, with the same key and id (changeId / clockEventId), which a compacted
 * topic and a deduplicating reader absorb. It drains the partitions this process serves.
 */
export class OutboxPublisher {
  readonly #producer: RenewingProducer;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  published = 0;
  /** When the outbox was last found empty (a heartbeat: publishing keeps up). */
  lastDrainedAt = 0;
  /** Per partition, the last entry sent (none: read from the start, as after a restart). */
  readonly #cursors = new Map<number, string>();
  /** Sent batches whose entries are not deleted yet. */
  #waiting = 0;
  #deleting: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(
    private readonly redis: RedisLike,
    kafka: Kafka,
    /** A partition's outbox stream. */
    private readonly outboxKey: (partition: number) => string,
    /** The partitions to drain: those this process owns. */
    private readonly served: () => readonly number[],
    /** Where each kind of outbox entry goes: 'state' → changelog, 'clock' → clock events, 'dead-letter' → DLQ. */
    private readonly routes: Record<string, OutboxRoute>,
    private readonly log: Logger,
    /**
     * Rows made of the sent entries (episode facts of 'state' entries): the promise settles when
     * they are stored, and only then are the entries deleted. A crash in between sends and
     * stores them again, with the same ids and keys.
     */
    private readonly derive?: (entries: { kind: string; value: Record<string, unknown> }[]) => Promise<void>,
  ) {
    this.#producer = new RenewingProducer(kafka);
    // After a reconnect Redis may have lost its last writes (a restart): read from the start
    // again rather than past a cursor that may no longer exist. What is still there is sent again.
    redis.on('ready', () => this.#cursors.clear());
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
   * Waits while a partition's outbox holds more than `max` entries, at most `maxWaitMs`: the
   * clock calls it before each batch, so a publisher that falls behind (it shares the process,
   * or Kafka is slow) slows the clock down instead of letting the outbox, and Redis's memory,
   * grow without bound. Bounded, because the consumer must heartbeat; returns the milliseconds waited.
   */
  async room(partition: number, max = 10_000, maxWaitMs = 2_000): Promise<number> {
    const started = Date.now();
    let waited = 0;
    while ((await this.redis.xlen(this.outboxKey(partition))) > max && waited < maxWaitMs) {
      await new Promise((r) => setTimeout(r, 20));
      waited = Date.now() - started;
    }
    return waited;
  }

  /**
   * Publishes everything in the served partitions' outboxes now; returns how many messages were
   * sent. An entry is deleted once Kafka acknowledged it and the rows `derive` made of it are
   * stored (ClickHouse episode facts); reading goes on past entries still waiting for their
   * rows, so a slow insert does not hold the topics back. One send carries every partition's
   * entries, each partition's in its order.
   */
  async drain(batch = 5000): Promise<number> {
    let sent = 0;
    for (;;) {
      const served = this.served();
      // A partition no longer served may come back after another process drained it.
      for (const p of this.#cursors.keys()) if (!served.includes(p)) this.#cursors.delete(p);
      const per = Math.max(500, Math.ceil(batch / Math.max(1, served.length)));
      // One slot per partition: a command each, all at once.
      const read = await Promise.all(served.map(async (p) => {
        const cursor = this.#cursors.get(p);
        return { p, entries: await this.redis.xrange(this.outboxKey(p), cursor === undefined ? '-' : `(${cursor}`, '+', 'COUNT', per) };
      }));
      const full = read.filter((r) => r.entries.length > 0);
      if (full.length === 0) {
        if (this.#waiting === 0) this.lastDrainedAt = Date.now();
        return sent;
      }
      const byTopic = new Map<string, { key: string; value: Buffer; headers: Record<string, string> }[]>();
      const derived: { kind: string; value: Record<string, unknown> }[] = [];
      for (const { entries } of full) {
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
          if (this.derive) derived.push({ kind: f.kind!, value });
        }
      }
      await this.#producer.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      const stored = this.derive ? this.derive(derived) : Promise.resolve();
      for (const { p, entries } of full) {
        this.#cursors.set(p, entries.at(-1)![0]);
        this.#remove(p, entries.map(([id]) => id), stored);
        sent += entries.length;
        this.published += entries.length;
      }
    }
  }

  /** Deletes sent entries once their derived rows are stored, in order; retried while Redis is away. */
  #remove(partition: number, ids: string[], stored: Promise<void>): void {
    this.#waiting++;
    this.#deleting = this.#deleting.then(async () => {
      await stored;
      for (let attempt = 0; ; attempt++) {
        try {
          await this.redis.xdel(this.outboxKey(partition), ...ids);
          break;
        } catch (e) {
          if (this.#stopped) return;
          if (attempt % 10 === 0) this.log.warn({ err: e }, 'outbox delete failed; retrying');
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    }).finally(() => this.#waiting--);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.race([this.#deleting, new Promise((r) => setTimeout(r, 5_000))]);
    this.#stopped = true;
    await this.#producer.disconnect();
  }
}
