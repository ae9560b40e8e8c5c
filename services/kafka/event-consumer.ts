import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { UtklarError } from '../core/errors.ts';
import type { DecodedEvent } from '../model/decoded-event.ts';
import { schemaIdOf, type EventCodec } from './codec.ts';
import type { DeadLetters } from './dead-letter.ts';
import type { Counter } from 'prom-client';
import { watchConsumer, type ConsumerWatch } from './consumer-watch.ts';
import type { PartitionOwnership } from '../model/partition-ownership.ts';

export type { PartitionOwnership };

export interface EventConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topic: string;
  codec: EventCodec;
  deadLetters: DeadLetters;
  log: Logger;
  metrics: { consumed: Counter<'consumer'>; deadLettered: Counter<'consumer' | 'code'> };
  /**
   * Events handed to `handle` at a time, with a heartbeat after each slice (kafkajs sends one at
   * most once per interval). Per-event handlers want small slices; bulk inserts the whole batch.
   */
  sliceSize?: number;
  /**
   * Applies one partition's decoded batch; must be idempotent (batches replay after a crash).
   * It may hand back `stored`: effects it has started and not finished (rows waiting for a
   * ClickHouse insert). The batch's offset is then committed only once they settle, in order per
   * partition, while the next batches go on; a crash before that replays the batch.
   */
  handle: (batch: DecodedEvent[]) => Promise<void | { stored: Promise<void> }>;
  /** Liveness and batch metrics (heartbeats for `service-silent` alerts). */
  watch?: ConsumerWatch;
  /** Partitions whose batches are handled at once (default 6). */
  concurrency?: number;
}

/**
 * A consumer group that decodes each batch, dead-letters what cannot be decoded, hands the rest
 * to `handle`, and commits only after `handle` succeeded: at-least-once delivery, which the
 * idempotent handlers turn into exactly-once effects.
 */
export class EventConsumer implements PartitionOwnership {
  readonly #consumer: Consumer;
  /** Per partition: the commit that waits for the last batch's deferred effects. */
  readonly #commits = new Map<number, Promise<void>>();
  /** Per partition: deferred effects of the batch under way, until kafkajs reports it done. */
  readonly #stored = new Map<number, Promise<void>[]>();
  /**
   * The partitions of the topic this member owns, as the group last assigned them; none while a
   * rebalance is under way or the consumer is stopped. The work that follows the partitions
   * (timers, eviction, publishing the outbox) reads it.
   */
  assigned: readonly number[] = [];
  generation = 0;
  #heartbeatAt = 0;

  constructor(private readonly o: EventConsumerOptions) {
    // A 10 s session (kafkajs: 30 s) so a crashed member's partitions move on quickly.
    this.#consumer = o.kafka.consumer({ groupId: o.groupId, allowAutoTopicCreation: false, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  }

  async start(): Promise<void> {
    const { o } = this;
    if (o.watch) watchConsumer(this.#consumer, o.watch);
    const { GROUP_JOIN, REBALANCING, STOP, CRASH } = this.#consumer.events;
    const { HEARTBEAT } = this.#consumer.events;
    this.#consumer.on(GROUP_JOIN, ({ payload }) => {
      this.assigned = [...(payload.memberAssignment[o.topic] ?? [])].sort((a, b) => a - b);
      this.generation++;
      this.#heartbeatAt = Date.now();
      o.log.info({ partitions: this.assigned }, 'partitions assigned');
    });
    this.#consumer.on(HEARTBEAT, ({ timestamp }) => (this.#heartbeatAt = timestamp));
    for (const event of [REBALANCING, STOP, CRASH]) {
      this.#consumer.on(event, () => {
        this.assigned = [];
        this.generation++;
      });
    }
    // Every batch kafkajs is done with, also those it never hands to eachBatch (only transaction
    // markers, or only aborted messages), whose offsets must be committed too, or the group
    // never reaches the end of a transactionally written topic. lastOffset covers trailing markers.
    this.#consumer.on(this.#consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const stored = this.#stored.get(payload.partition) ?? [];
      this.#stored.delete(payload.partition);
      this.#commit(payload.topic, payload.partition, payload.lastOffset, stored);
    });
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topic: o.topic, fromBeginning: true });
    await this.#consumer.run({
      // Offsets are committed here, after each batch's effects (see `handle`), not by kafkajs.
      autoCommit: false,
      // Partitions are independent (a patient's events share one, and every guard is per
      // partition), so their batches overlap their Redis/ClickHouse round trips.
      partitionsConsumedConcurrently: o.concurrency ?? 6,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        // No early return on isStale()/!isRunning(): returning unresolved was seen to let kafkajs
        // move past the batch (the first batch after a group was recreated went missing). The
        // handlers are idempotent, so handling a stale batch once more is harmless.
        const started = performance.now();
        const good: DecodedEvent[] = [];
        const bad: { message: (typeof batch.messages)[number]; error: UtklarError }[] = [];
        for (const message of batch.messages) {
          try {
            if (!message.value) throw new UtklarError('UNDECODABLE_MESSAGE', 'message has no value');
            const decoded = o.codec.decode(message.value);
            // Awaited only for a schema id not seen before: a batch otherwise decodes in one go.
            const event = decoded instanceof Promise ? await decoded : decoded;
            good.push({ event, schemaId: schemaIdOf(message.value)!, partition: batch.partition, offset: message.offset });
          } catch (e) {
            const error = e instanceof UtklarError ? e : new UtklarError('UNDECODABLE_MESSAGE', (e as Error).message);
            if (error.retriable) throw error; // registry unreachable: retry the batch, do not dead-letter
            bad.push({ message, error });
          }
        }
        await o.deadLetters.send(bad, { topic: batch.topic, partition: batch.partition, consumer: o.groupId });
        for (const b of bad) {
          o.metrics.deadLettered.inc({ consumer: o.groupId, code: b.error.code });
          o.log.warn({ code: b.error.code, partition: batch.partition, offset: b.message.offset }, b.error.message);
        }
        // In slices, with a heartbeat after each: a long batch must not outlive the session and
        // trigger a rebalance that re-delivers it (harmless, but it doubles the work).
        const slice = o.sliceSize ?? (good.length || 1);
        const stored: Promise<void>[] = [];
        for (let i = 0; i < good.length; i += slice) {
          const r = await o.handle(good.slice(i, i + slice));
          if (r) stored.push(r.stored);
          await heartbeat();
        }
        o.metrics.consumed.inc({ consumer: o.groupId }, batch.messages.length);
        const last = batch.messages.at(-1);
        if (last) resolveOffset(last.offset);
        // Committed when kafkajs reports the batch done (END_BATCH_PROCESS, below).
        this.#stored.set(batch.partition, [...(this.#stored.get(batch.partition) ?? []), ...stored]);
        o.watch?.batch(batch.messages.length, (performance.now() - started) / 1000, Number(last?.timestamp ?? 0));
        await heartbeat();
      },
    });
  }

  /**
   * Commits `offset` + 1 once `stored` settled and the partition's earlier commits went: a later
   * offset never lands before an earlier one. A refused commit (the partition moved to another
   * member, whose generation the broker now expects) is dropped: the new owner replays from the
   * last commit, and every effect is idempotent.
   */
  #commit(topic: string, partition: number, offset: string, stored: Promise<void>[]): void {
    const next = (BigInt(offset) + 1n).toString();
    const previous = this.#commits.get(partition) ?? Promise.resolve();
    const commit = previous
      .then(() => Promise.all(stored))
      .then(() => this.#consumer.commitOffsets([{ topic, partition, offset: next }]))
      .catch((e) => this.o.log.debug({ err: e, partition, offset: next }, 'offset commit dropped; the partition replays from the last commit'));
    this.#commits.set(partition, commit);
  }

  confirmedSince(since: number): boolean {
    return this.#heartbeatAt > since;
  }

  /** Waits (at most `ms`) for the commits under way, e.g. before a clean shutdown. */
  async settle(ms = 5_000): Promise<void> {
    await Promise.race([Promise.all(this.#commits.values()), new Promise((r) => setTimeout(r, ms))]);
  }

  async stop(): Promise<void> {
    await this.settle();
    await this.#consumer.disconnect();
  }
}
