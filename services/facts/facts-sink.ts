import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import type { StateChanged } from '../clock/changelog.ts';
import type { RegionRules } from '../clock/rules.ts';
import { UtklarError } from '../core/errors.ts';
import type { DeadLetters } from '../kafka/dead-letter.ts';
import { decodeRegistered } from '../kafka/codec.ts';
import { episodeFact } from './episode-fact.ts';
import { watchConsumer, type ConsumerWatch } from '../kafka/consumer-watch.ts';

export interface FactsSinkOptions {
  kafka: Kafka;
  registry: SchemaRegistry;
  clickhouse: ClickHouseClient;
  database: string;
  groupId: string;
  /** The clock service's changelog (<ns>.episode-state.v1). */
  topic: string;
  rules: RegionRules;
  deadLetters: DeadLetters;
  log: Logger;
  onRows?: (n: number) => void;
  /** Messages consumed and dead-lettered per batch (the same counters as the event consumers). */
  onBatch?: (messages: number, deadLettered: number) => void;
  watch?: ConsumerWatch;
}

/**
 * Changelog → ClickHouse `episode_facts`, one INSERT per fetched batch, committed after the
 * insert. A replay or a re-sent change inserts a row with the same (episode_id, version), which
 * ReplacingMergeTree(version) and FINAL collapse: exactly-once in effect.
 */
export class EpisodeFactsSink {
  readonly #consumer: Consumer;

  constructor(private readonly o: FactsSinkOptions) {
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
        const started = performance.now();
        const rows: ReturnType<typeof episodeFact>[] = [];
        const bad: { message: KafkaMessage; error: UtklarError }[] = [];
        for (const message of batch.messages) {
          if (!message.value) continue; // a compaction tombstone
          try {
            const decoded = decodeRegistered(o.registry, message.value);
            rows.push(episodeFact((decoded instanceof Promise ? await decoded : decoded) as StateChanged, o.rules));
          } catch (e) {
            const error = e instanceof UtklarError ? e : new UtklarError('UNDECODABLE_MESSAGE', `changelog message: ${(e as Error).message}`);
            if (error.retriable) throw error; // registry unreachable: retry the batch, do not dead-letter
            bad.push({ message, error });
          }
        }
        await o.deadLetters.send(bad, { topic: batch.topic, partition: batch.partition, consumer: o.groupId });
        if (rows.length > 0) {
          const ingested = Math.floor(Date.now() / 1000);
          try {
            await o.clickhouse.insert({ table: `${o.database}.episode_facts`, values: rows.map((r) => ({ ...r, ingested_at: ingested })), format: 'JSONEachRow' });
          } catch (cause) {
            throw new UtklarError('DEPENDENCY_UNAVAILABLE', `clickhouse: insert of ${rows.length} episode facts failed: ${(cause as Error).message}`, { retriable: true, cause });
          }
          o.onRows?.(rows.length);
        }
        const last = batch.messages.at(-1);
        if (last) resolveOffset(last.offset);
        await commitOffsetsIfNecessary();
        o.onBatch?.(batch.messages.length, bad.length);
        o.watch?.batch(batch.messages.length, (performance.now() - started) / 1000, Number(last?.timestamp ?? 0));
        await heartbeat();
      },
    });
  }

  async stop(): Promise<void> {
    await this.#consumer.disconnect();
  }
}
