import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { UtklarError } from '../core/errors.ts';
import type { PatientEvent } from '../contract/event.ts';
import { schemaIdOf, type EventCodec } from './codec.ts';
import type { DeadLetters } from './dead-letter.ts';
import type { Counter } from 'prom-client';
import { watchConsumer, type ConsumerWatch } from './consumer-watch.ts';

export interface DecodedEvent {
  event: PatientEvent;
  schemaId: number;
  partition: number;
  offset: string;
}

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
  /** Applies one partition's decoded batch; must be idempotent (batches replay after a crash). */
  handle: (batch: DecodedEvent[]) => Promise<void>;
  /** Liveness and batch metrics (heartbeats for `service-silent` alerts). */
  watch?: ConsumerWatch;
}

/**
 * A consumer group that decodes each batch, dead-letters what cannot be decoded, hands the rest
 * to `handle`, and commits only after `handle` succeeded: at-least-once delivery, which the
 * idempotent handlers turn into exactly-once effects.
 */
export class EventConsumer {
  readonly #consumer: Consumer;

  constructor(private readonly o: EventConsumerOptions) {
    // A 10 s session (kafkajs: 30 s) so a crashed member's partitions move on quickly.
    this.#consumer = o.kafka.consumer({ groupId: o.groupId, allowAutoTopicCreation: false, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  }

  async start(): Promise<void> {
    const { o } = this;
    if (o.watch) watchConsumer(this.#consumer, o.watch);
    await this.#consumer.connect();
    await this.#consumer.subscribe({ topic: o.topic, fromBeginning: true });
    await this.#consumer.run({
      // Partitions are independent (a patient's events share one, and every guard is per
      // partition), so their batches overlap their Redis/ClickHouse round trips.
      partitionsConsumedConcurrently: 6,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary }) => {
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
        for (let i = 0; i < good.length; i += slice) {
          await o.handle(good.slice(i, i + slice));
          await heartbeat();
        }
        o.metrics.consumed.inc({ consumer: o.groupId }, batch.messages.length);
        const last = batch.messages.at(-1);
        if (last) resolveOffset(last.offset);
        await commitOffsetsIfNecessary();
        o.watch?.batch(batch.messages.length, (performance.now() - started) / 1000, Number(last?.timestamp ?? 0));
        await heartbeat();
      },
    });
  }

  async stop(): Promise<void> {
    await this.#consumer.disconnect();
  }
}
