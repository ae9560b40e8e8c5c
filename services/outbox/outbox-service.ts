import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { subjectFor, topics } from '../core/config.ts';
import type { RedisLike } from '../core/redis.ts';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { deadLetterHeaders } from '../clock/dead-letter-entry.ts';
import type { StateChanged } from '../clock/changelog.ts';
import type { RegionRules } from '../clock/rules.ts';
import { episodeFact } from '../facts/episode-fact.ts';
import { OutboxProgress } from '../kafka/outbox-progress.ts';
import { RegisteredSchema } from '../kafka/registered-schema.ts';
import type { PartitionOwnership } from '../model/partition-ownership.ts';
import type { RowBuffer } from '../sink-clickhouse/row-buffer.ts';
import { OutboxPublisher } from './outbox-publisher.ts';

export interface OutboxServiceOptions {
  kafka: Kafka;
  namespace: string;
  /** Consumer groups' prefix: a partition's transactional id is `<prefix>.clock.outbox.p<P>`. */
  groupPrefix: string;
  /** Its own connection: on the clock's, each drain would wait behind the clock's write pipelines. */
  redis: RedisLike;
  outboxKey: (partition: number) => string;
  /** The clock's consumer: the partitions whose outboxes this process publishes. */
  ownership: PartitionOwnership;
  registry: SchemaRegistry;
  rows: RowBuffer;
  rules: RegionRules;
  log: Logger;
  progressLog: Logger;
}

/**
 * The derived topics of the partitions this process owns: their Redis outboxes published in
 * Kafka transactions of each partition's own producer (outbox-publisher.ts), with the marker of
 * how far each got (outbox-progress.ts), and each new state's episode fact stored in ClickHouse
 * before its entry leaves the outbox.
 */
export class OutboxService {
  readonly #progress: OutboxProgress;
  readonly #publisher: OutboxPublisher;

  constructor(o: OutboxServiceOptions) {
    const t = topics(o.namespace);
    this.#progress = new OutboxProgress(o.kafka, t.clockOutboxProgress, o.progressLog);
    this.#publisher = new OutboxPublisher(o.redis, o.kafka, o.outboxKey, o.ownership, (p) => `${o.groupPrefix}.clock.outbox.p${p}`, this.#progress, {
      state: { topic: t.episodeState, schema: new RegisteredSchema(o.registry, 'episode-state.avsc', subjectFor(t.episodeState)), id: (v) => String(v.changeId) },
      clock: { topic: t.clockEvents, schema: new RegisteredSchema(o.registry, 'clock-event.avsc', subjectFor(t.clockEvents)), id: (v) => String(v.clockEventId) },
      'dead-letter': { topic: t.deadLetter, id: (v) => String(v.deadLetterId), headers: deadLetterHeaders },
    }, o.log, (entries) => {
      // No ingested_at: the server stamps each fact as it stores it (see RowBuffer).
      const facts = entries.filter((e) => e.kind === 'state').map((e) => episodeFact(e.value as unknown as StateChanged, o.rules));
      return o.rows.offer('episode_facts', facts);
    });
  }

  async start(): Promise<void> {
    await this.#progress.start();
    await this.#publisher.start();
  }

  /** Waits while a partition's outbox is full (see OutboxPublisher.room); the milliseconds waited. */
  room(partition: number): Promise<number> {
    return this.#publisher.room(partition);
  }

  /** Messages this process sent to Kafka. */
  get published(): number {
    return this.#publisher.published;
  }

  /** When the outbox was last found drained (a heartbeat). */
  get lastDrainedAt(): number {
    return this.#publisher.lastDrainedAt;
  }

  async stop(): Promise<void> {
    await this.#publisher.stop().catch(() => undefined);
    await this.#progress.stop();
  }
}
