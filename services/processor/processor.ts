import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { EventCodec } from '../kafka/codec.ts';
import type { DeadLetters } from '../kafka/dead-letter.ts';
import { EventConsumer } from '../kafka/event-consumer.ts';
import type { ConsumerWatch } from '../kafka/consumer-watch.ts';
import type { ClockStore } from '../store/clock-store.ts';
import type { RowBuffer } from '../sink-clickhouse/row-buffer.ts';
import { toEventRow } from '../sink-clickhouse/event-rows.ts';
import type { Metrics } from '../app/metrics.ts';
import { Pace } from './pace.ts';

export interface ProcessorOptions {
  kafka: Kafka;
  topic: string;
  groupId: string;
  codec: EventCodec;
  deadLetters: DeadLetters;
  clocks: ClockStore;
  rows: RowBuffer;
  metrics: Metrics;
  watch: ConsumerWatch;
  /** The events topic's partitions: all of a process's partitions apply at once. */
  partitions: number;
  log: Logger;
  /** Applies at most this many events per second over all partitions (0 or unset: as fast as they come). */
  maxPerSecond?: number;
}

/**
 * The events topic's one consumer group in this process: each owned partition's batch decoded
 * once, applied to the clocks (services/store, one script call a batch) and its event rows
 * offered to ClickHouse from the same decoded events; the batch's offset is committed once the
 * rows are stored. The timer worker, eviction and the outbox follow `consumer`'s partitions.
 */
export class Processor {
  readonly consumer: EventConsumer;
  /**
   * The outbox's back-pressure (outbox-service.ts), set once it exists: it follows this
   * consumer's partitions, so it is made after it.
   */
  outboxRoom: ((partition: number) => Promise<number>) | undefined;
  #conflictsCounted = 0;

  constructor(private readonly o: ProcessorOptions) {
    const { clocks, rows, metrics } = o;
    const pace = o.maxPerSecond ? new Pace(o.maxPerSecond) : undefined;
    this.consumer = new EventConsumer({
      kafka: o.kafka, topic: o.topic, groupId: o.groupId, codec: o.codec, deadLetters: o.deadLetters, metrics, log: o.log,
      sliceSize: pace?.sliceSize(1000) ?? 1000, watch: o.watch, concurrency: o.partitions,
      handle: async (batch) => {
        await pace?.take(batch.length);
        await rows.room();
        const waited = (await this.outboxRoom?.(batch[0]!.partition)) ?? 0;
        if (waited > 0) metrics.outboxWaits.inc(waited / 1000);
        metrics.clockUpdates.inc(await clocks.apply(batch));
        // Partitions apply concurrently: count what no batch has counted yet.
        metrics.clockConflicts.inc(clocks.conflicts - this.#conflictsCounted);
        this.#conflictsCounted = clocks.conflicts;
        const now = Date.now();
        return { stored: rows.offer('events', batch.map((d) => toEventRow(d, now))) };
      },
    });
    clocks.follow(this.consumer);
  }

  start(): Promise<void> {
    return this.consumer.start();
  }

  stop(): Promise<void> {
    return this.consumer.stop();
  }
}
