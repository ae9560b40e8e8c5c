import type { ClickHouseClient } from '@clickhouse/client';
import { Cluster } from 'ioredis';
import type { Kafka } from 'kafkajs';
import { subjectFor, topics, type Config } from '../core/config.ts';
import { logger } from '../core/log.ts';
import { connectRedis, type RedisLike } from '../core/redis.ts';
import { EventCodec } from '../kafka/codec.ts';
import { createKafka } from '../kafka/client.ts';
import { DeadLetters } from '../kafka/dead-letter.ts';
import { EventConsumer } from '../kafka/event-consumer.ts';
import { ensureTopics } from '../kafka/topics.ts';
import { ClockStore } from '../store/clock-store.ts';
import { LAW_DEFAULTS, OREBRO_RULES, type RegionRules } from '../clock/rules.ts';
import { OutboxPublisher } from '../outbox/outbox-publisher.ts';
import { OutboxProgress } from '../kafka/outbox-progress.ts';
import { deadLetterHeaders } from '../clock/dead-letter-entry.ts';
import { RegisteredSchema } from '../kafka/registered-schema.ts';
import { openClickHouse, type ClickHouseMode } from '../sink-clickhouse/clickhouse.ts';
import { ClickHousePreparation } from '../sink-clickhouse/prepare.ts';
import { RowBuffer } from '../sink-clickhouse/row-buffer.ts';
import { toEventRow } from '../sink-clickhouse/event-rows.ts';
import { episodeFact } from '../facts/episode-fact.ts';
import type { StateChanged } from '../clock/changelog.ts';
import { loadPopulation, type PopulationTable } from '../reference/population.ts';
import { loadCapacity } from '../reference/capacity.ts';
import { AlertingService } from '../alerting/alerting-service.ts';
import { Periodic } from '../core/periodic.ts';
import { DEFAULT_SNAPSHOT_POLICY, SnapshotBuilder } from '../snapshot/snapshot-builder.ts';
import { consumerLag, messageCount } from '../kafka/lag.ts';
import type { Admin } from 'kafkajs';
import { Heartbeats } from './heartbeats.ts';
import { createMetrics, type Metrics } from './metrics.ts';

const log = logger('pipeline');

/**
 * The consuming side in one process. One consumer group reads the events topic once: each
 * partition's batch is decoded once, applied to the clocks in Redis, and its event rows go to
 * ClickHouse from the same decoded events; the clocks' changes leave through the outbox to the
 * changelog and, as episode facts, to ClickHouse. A batch's offset is committed once its rows
 * are stored.
 */
export class Pipeline {
  readonly kafka: Kafka;
  readonly metrics: Metrics;
  readonly redis: RedisLike;
  clickhouse!: ClickHouseClient;
  clickhouseMode!: ClickHouseMode;
  readonly #codec: EventCodec;
  readonly #deadLetters: DeadLetters;
  readonly #consumers: EventConsumer[] = [];
  /** Extra Redis connections (the clock's reads, the outbox), closed with the pipeline. */
  readonly #sides: RedisLike[] = [];
  readonly rules: RegionRules;
  clocks!: ClockStore;
  /** ClickHouse inserts of the event rows and episode facts, gathered. */
  rows!: RowBuffer;
  population!: PopulationTable;
  #started = false;
  #outbox: OutboxPublisher | undefined;
  #progress: OutboxProgress | undefined;
  /** The services on a period of their own: timers, eviction, lag measurement. */
  readonly #rounds: Periodic[] = [];
  #alerting: AlertingService | undefined;
  readonly #admin: Admin;
  readonly heartbeats: Heartbeats;

  constructor(readonly config: Config) {
    this.kafka = createKafka(config, `${config.namespace}-pipeline`);
    this.metrics = createMetrics();
    this.redis = connectRedis(config);
    // ioredis reconnects by itself; a restart of Redis is logged once per error kind, not as an
    // unhandled error event on every attempt.
    quietErrors(this.redis);
    this.#codec = new EventCodec(config.registryUrl);
    this.#deadLetters = new DeadLetters(this.kafka, config.namespace);
    this.rules = config.rules === 'law' ? LAW_DEFAULTS : OREBRO_RULES;
    this.#admin = this.kafka.admin();
    this.heartbeats = new Heartbeats(this.redis, config.namespace);
  }

  async start(): Promise<void> {
    const { config, metrics } = this;
    const t = topics(config.namespace);
    const partitions = await ensureTopics(this.kafka, config.namespace, config.eventPartitions);
    if (partitions !== config.eventPartitions) log.warn({ partitions, setting: config.eventPartitions }, 'the events topic exists with another partition count; it keeps it (repartitioning would reorder patients)');
    await this.#codec.register(t.patientEvents);
    // /health may already have made the lazy client connect.
    if (this.redis.status === 'wait') await this.redis.connect();
    ({ client: this.clickhouse, mode: this.clickhouseMode } = await openClickHouse(config));
    this.population = loadPopulation(config.populationDir);
    const capacity = loadCapacity(config.capacityDir);
    const preparation = new ClickHousePreparation(this.clickhouse, config.clickhouseDatabase, { population: this.population, capacity }, log);
    // A clock process must come back after a crash while ClickHouse is down: its rows wait in
    // the buffer, which prepares the tables (and retries) before its first insert.
    const prepared = preparation.prepare();
    if (this.clickhouseMode === 'embedded') await prepared;
    else await prepared.catch((e) => log.warn({ err: e }, 'ClickHouse not prepared yet; rows wait in the buffer and the API answers once it is'));
    await this.#deadLetters.connect();
    await this.#admin.connect();

    this.clocks = new ClockStore(this.redis, config.namespace, `${config.groupPrefix}.clock`, t.patientEvents, this.rules, { reads: this.#side('clock-reads'), partitions });
    if (config.consumers.includes('clock')) await this.clocks.refuseOldLayout(config.namespace);
    this.rows = new RowBuffer(this.clickhouse, config.clickhouseDatabase, logger('clickhouse-rows'), {
      ready: () => preparation.prepare(),
      onRows: (table, n) => (table === 'events' ? metrics.rowsWritten : metrics.factsWritten).inc(n),
    });
    const rows = this.rows;
    const common = { kafka: this.kafka, topic: t.patientEvents, codec: this.#codec, deadLetters: this.#deadLetters, metrics };
    let clock: EventConsumer | undefined;
    for (const name of config.consumers) {
      const consumer = new EventConsumer({
        ...common, groupId: `${config.groupPrefix}.${name}`, log: logger(name), sliceSize: 1000, watch: this.heartbeats.consumer(name, metrics), concurrency: partitions,
        handle: async (batch) => {
          await rows.room();
          const waited = (await this.#outbox?.room(batch[0]!.partition)) ?? 0;
          if (waited > 0) metrics.outboxWaits.inc(waited / 1000);
          metrics.clockUpdates.inc(await this.clocks.apply(batch));
          // Partitions apply concurrently: count what no batch has counted yet.
          metrics.clockConflicts.inc(this.clocks.conflicts - this.#conflictsCounted);
          this.#conflictsCounted = this.clocks.conflicts;
          const now = Date.now();
          return { stored: rows.offer('events', batch.map((d) => toEventRow(d, now))) };
        },
      });
      this.#consumers.push(consumer);
      // Timers, eviction and the outbox follow the partitions this process owns, so N processes
      // in the group share them as they share the events (a timers-only process serves all).
      if (name === 'clock') {
        clock = consumer;
        this.clocks.follow(consumer);
      }
    }
    if (clock) {
      const registry = this.#codec.registry;
      // Its own connection: on the clock's, each drain would wait behind the clock's write pipelines.
      const keys = this.clocks.keys;
      this.#progress = new OutboxProgress(this.kafka, t.clockOutboxProgress, logger('outbox-progress'));
      await this.#progress.start();
      this.#outbox = new OutboxPublisher(this.#side('outbox'), this.kafka, (p) => keys.of(p).outbox, clock, (p) => `${config.groupPrefix}.clock.outbox.p${p}`, this.#progress, {
        state: { topic: t.episodeState, schema: new RegisteredSchema(registry, 'episode-state.avsc', subjectFor(t.episodeState)), id: (v) => String(v.changeId) },
        clock: { topic: t.clockEvents, schema: new RegisteredSchema(registry, 'clock-event.avsc', subjectFor(t.clockEvents)), id: (v) => String(v.clockEventId) },
        'dead-letter': { topic: t.deadLetter, id: (v) => String(v.deadLetterId), headers: deadLetterHeaders },
      }, logger('outbox'), (entries) => {
        const ingested = Math.floor(Date.now() / 1000);
        const facts = entries.filter((e) => e.kind === 'state').map((e) => ({ ...episodeFact(e.value as unknown as StateChanged, this.rules), ingested_at: ingested }));
        return rows.offer('episode_facts', facts);
      });
      await this.#outbox.start();
      const outbox = this.#outbox;
      this.heartbeats.pull('outbox', () => outbox.lastDrainedAt);
    }
    for (const c of this.#consumers) await c.start();
    const clocks = this.clocks;
    if (config.consumers.includes('clock')) {
      this.#rounds.push(new Periodic('eviction sweep', config.evictEveryMs, async () => void metrics.evicted.inc(await clocks.evictSettled(Date.now())), log));
    }
    // The clock's process runs the timer worker unless it runs in a process of its own; its
    // announcements go through the outbox, which the clock's process publishes. A time budget per
    // round: catching up a replayed year of day boundaries must not starve the consumers.
    if (config.consumers.includes('clock') || config.timersOnly) {
      this.#rounds.push(new Periodic('timer', config.timersEveryMs, async () => {
        metrics.timersFired.inc(await clocks.fireForAWhile(Math.max(100, config.timersEveryMs / 4)));
        this.heartbeats.beat('timers');
      }, log));
    }
    // The indicators' read model follows the facts (services/snapshot/): built by partition 0's owner.
    if (clock && config.snapshotEveryMs > 0) {
      const builder = new SnapshotBuilder(this.clickhouse, config.clickhouseDatabase, logger('episode-snapshot'), clock, { ...DEFAULT_SNAPSHOT_POLICY, maxDelta: config.snapshotMaxDelta });
      this.#rounds.push(new Periodic('episode snapshot', config.snapshotEveryMs, async () => {
        await preparation.prepare();
        await builder.round();
      }, log));
    }
    // Kafka away (a broker restart) fails every measurement: not worth a warning each time.
    this.#rounds.push(new Periodic('lag measurement', 5_000, () => this.#measure().catch((e) => log.debug({ err: e }, 'lag measurement failed')), log));
    for (const round of this.#rounds) round.start();
    if (config.alertRules && config.alertsEveryMs > 0) {
      this.#alerting = await AlertingService.start({
        config, redis: this.redis, clocks: this.clocks.read, admin: this.#admin, clickhouse: this.clickhouse, kafka: this.kafka,
        registry: this.#codec.registry, rules: this.rules, population: this.population, capacity, metrics,
      });
      const alerting = this.#alerting;
      this.heartbeats.pull('alerting', () => alerting.lastRoundAt);
    }
    this.heartbeats.start();
    this.#started = true;
    log.info({ clickhouse: this.clickhouseMode, topic: t.patientEvents }, 'pipeline started');
  }

  #outboxCounted = 0;
  #conflictsCounted = 0;

  /** Lag of this process's consumer groups and the dead-letter count, for /metrics. */
  async #measure(): Promise<void> {
    const t = topics(this.config.namespace);
    if (this.#outbox) {
      this.metrics.outboxPublished.inc(this.#outbox.published - this.#outboxCounted);
      this.#outboxCounted = this.#outbox.published;
    }
    for (const name of this.config.consumers) {
      const lag = await consumerLag(this.#admin, `${this.config.groupPrefix}.${name}`, t.patientEvents);
      this.metrics.lag.set({ consumer: name }, lag);
    }
    this.metrics.rowsPending.set(this.rows?.pending ?? 0);
    this.metrics.deadLetterMessages.set(await messageCount(this.#admin, t.deadLetter));
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
    // The clocks keep working while ClickHouse is away, their rows waiting in the buffer: the
    // process is unwell only once the buffer is full and the consumer stands still.
    if (this.rows?.blocked) checks.rows = `${this.rows.pending} rows waiting for ClickHouse; the consumer waits`;
    for (const round of this.#rounds) if (round.health() !== 'ok') checks[round.name] = round.health();
    if (this.#alerting && this.#alerting.health() !== 'ok') checks.alerting = this.#alerting.health();
    // A failed round (timers, eviction, alerting) is retried by the next: reported, not unwell.
    const essential = new Set(['consumers', 'redis', 'rows']);
    return { ok: Object.entries(checks).every(([k, v]) => v === 'ok' || !essential.has(k)), checks };
  }

  async stop(): Promise<void> {
    await Promise.all(this.#rounds.map((r) => r.stop()));
    this.heartbeats.stop();
    await this.#alerting?.stop();
    await this.#admin.disconnect().catch(() => undefined);
    void this.rows?.flushNow();
    await this.#outbox?.stop().catch(() => undefined);
    await this.#progress?.stop();
    for (const c of this.#consumers) await c.stop().catch(() => undefined);
    await this.rows?.stop().catch(() => undefined);
    await this.#deadLetters.disconnect().catch(() => undefined);
    await this.clickhouse?.close().catch(() => undefined);
    this.redis.disconnect();
    for (const r of this.#sides) r.disconnect();
  }

  /** Another connection to the same Redis, closed with the pipeline. */
  #side(name: string): RedisLike {
    const r = this.redis instanceof Cluster ? this.redis.duplicate(undefined, { redisOptions: { connectionName: name, maxRetriesPerRequest: 5 } }) : this.redis.duplicate({ connectionName: name });
    quietErrors(r);
    this.#sides.push(r);
    return r;
  }
}

/** Logs a Redis connection's errors once per kind while ioredis reconnects by itself. */
function quietErrors(redis: RedisLike): void {
  let last = '';
  redis.on('error', (e: Error) => {
    if (e.message !== last) log.warn({ err: e.message }, 'redis connection error; reconnecting');
    last = e.message;
  });
  redis.on('ready', () => (last = ''));
}
