import type { ClickHouseClient } from '@clickhouse/client';
import { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import { topics, type Config } from '../core/config.ts';
import { logger } from '../core/log.ts';
import { EventCodec } from '../kafka/codec.ts';
import { createKafka } from '../kafka/client.ts';
import { DeadLetters } from '../kafka/dead-letter.ts';
import { EventConsumer } from '../kafka/event-consumer.ts';
import { ensureTopics } from '../kafka/topics.ts';
import { EpisodeStore } from '../episode-store/episode-store.ts';
import { ClockStore } from '../clock/clock-store.ts';
import { LAW_DEFAULTS, OREBRO_RULES, type RegionRules } from '../clock/rules.ts';
import { migrate, openClickHouse, type ClickHouseMode } from '../sink-clickhouse/clickhouse.ts';
import { ClickHouseEventSink } from '../sink-clickhouse/sink.ts';
import { createMetrics, type Metrics } from './metrics.ts';

const log = logger('pipeline');

/**
 * The consuming side in one process: Kafka → ClickHouse `events` and Kafka → Redis episode
 * records, as two consumer groups so either can lag or replay without the other.
 */
export class Pipeline {
  readonly kafka: Kafka;
  readonly metrics: Metrics;
  readonly redis: Redis;
  clickhouse!: ClickHouseClient;
  clickhouseMode!: ClickHouseMode;
  readonly #codec: EventCodec;
  readonly #deadLetters: DeadLetters;
  readonly #consumers: EventConsumer[] = [];
  readonly rules: RegionRules;
  clocks!: ClockStore;
  #started = false;

  constructor(readonly config: Config) {
    this.kafka = createKafka(config, `${config.namespace}-pipeline`);
    this.metrics = createMetrics();
    this.redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 5 });
    this.#codec = new EventCodec(config.registryUrl);
    this.#deadLetters = new DeadLetters(this.kafka, config.namespace);
    this.rules = config.rules === 'law' ? LAW_DEFAULTS : OREBRO_RULES;
  }

  async start(): Promise<void> {
    const { config, metrics } = this;
    const t = topics(config.namespace);
    await ensureTopics(this.kafka, config.namespace);
    await this.#codec.register(t.patientEvents);
    // /health may already have made the lazy client connect.
    if (this.redis.status === 'wait') await this.redis.connect();
    ({ client: this.clickhouse, mode: this.clickhouseMode } = await openClickHouse(config));
    await migrate(this.clickhouse, config.clickhouseDatabase);
    await this.#deadLetters.connect();

    const sink = new ClickHouseEventSink(this.clickhouse, config.clickhouseDatabase);
    const sinkGroup = `${config.namespace}.sink-clickhouse`;
    const storeGroup = `${config.namespace}.episode-store`;
    const store = new EpisodeStore(this.redis, config.namespace, storeGroup, t.patientEvents);
    const clockGroup = `${config.namespace}.clock`;
    this.clocks = new ClockStore(this.redis, config.namespace, clockGroup, t.patientEvents, this.rules);
    const common = { kafka: this.kafka, topic: t.patientEvents, codec: this.#codec, deadLetters: this.#deadLetters, metrics };
    this.#consumers.push(
      new EventConsumer({
        ...common,
        groupId: sinkGroup,
        log: logger('sink-clickhouse'),
        handle: async (batch) => {
          await sink.write(batch);
          metrics.rowsWritten.inc(batch.length);
        },
      }),
      new EventConsumer({
        ...common,
        groupId: storeGroup,
        log: logger('episode-store'),
        handle: async (batch) => metrics.episodeUpdates.inc(await store.apply(batch)),
      }),
      new EventConsumer({
        ...common,
        groupId: clockGroup,
        log: logger('clock'),
        handle: async (batch) => metrics.clockUpdates.inc(await this.clocks.apply(batch)),
      }),
    );
    for (const c of this.#consumers) await c.start();
    this.#started = true;
    log.info({ clickhouse: this.clickhouseMode, topic: t.patientEvents }, 'pipeline started');
  }

  async health(): Promise<{ ok: boolean; checks: Record<string, string> }> {
    const checks: Record<string, string> = {};
    checks.consumers = this.#started ? 'ok' : 'starting';
    try {
      checks.redis = (await this.redis.ping()) === 'PONG' ? 'ok' : 'unexpected reply';
    } catch (e) {
      checks.redis = (e as Error).message;
    }
    try {
      checks.clickhouse = (await this.clickhouse.ping()).success ? 'ok' : 'ping failed';
    } catch (e) {
      checks.clickhouse = (e as Error).message;
    }
    return { ok: Object.values(checks).every((v) => v === 'ok'), checks };
  }

  async stop(): Promise<void> {
    for (const c of this.#consumers) await c.stop().catch(() => undefined);
    await this.#deadLetters.disconnect().catch(() => undefined);
    await this.clickhouse?.close().catch(() => undefined);
    this.redis.disconnect();
  }
}
