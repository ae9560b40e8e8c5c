import type { ClickHouseClient } from '@clickhouse/client';
import { Cluster } from 'ioredis';
import type { Admin, Kafka } from 'kafkajs';
import { topics, type Config } from '../core/config.ts';
import { logger } from '../core/log.ts';
import { connectRedis, type RedisLike } from '../core/redis.ts';
import { Periodic } from '../core/periodic.ts';
import { EventCodec } from '../kafka/codec.ts';
import { createKafka } from '../kafka/client.ts';
import { DeadLetters } from '../kafka/dead-letter.ts';
import { ensureTopics } from '../kafka/topics.ts';
import { ClockStore } from '../store/clock-store.ts';
import { LAW_DEFAULTS, OREBRO_RULES, type RegionRules } from '../clock/rules.ts';
import { regionalRules } from '../agreements/regional-rules.ts';
import { analyticsPassword } from '../sink-clickhouse/region-databases.ts';
import { OutboxService } from '../outbox/outbox-service.ts';
import { Processor } from '../processor/processor.ts';
import { buildClient, openClickHouse, type ClickHouseMode } from '../sink-clickhouse/clickhouse.ts';
import { ClickHousePreparation } from '../sink-clickhouse/prepare.ts';
import { RowBuffer } from '../sink-clickhouse/row-buffer.ts';
import { loadPopulation, type PopulationTable } from '../reference/population.ts';
import { loadCapacity } from '../reference/capacity.ts';
import { AlertingService } from '../alerting/alerting-service.ts';
import { Heartbeats } from './heartbeats.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { housekeeping } from './rounds.ts';
import { invoiceFreezer } from '../invoices/invoice-freezer.ts';
import { AskedPages, pagesToWarm, warmPages } from '../api/warm-pages.ts';

const log = logger('pipeline');

/**
 * The consuming side in one process, composed of its services, each with a start, a stop and
 * a health of its own: the processor (the events topic's one consumer group: decode once, apply
 * to the clocks, event rows to ClickHouse), the outbox (the clocks' changes to the derived
 * topics and, as episode facts, to ClickHouse), the housekeeping rounds (timers, eviction, read
 * model, lag) and alerting. What they share (clients, the clock store, the row buffer) is made here.
 */
export class Pipeline {
  readonly kafka: Kafka;
  readonly metrics: Metrics;
  readonly redis: RedisLike;
  clickhouse!: ClickHouseClient;
  clickhouseMode!: ClickHouseMode;
  #buildClickhouse: ClickHouseClient | undefined;
  readonly #codec: EventCodec;
  readonly #deadLetters: DeadLetters;
  /** Extra Redis connections (the clock's reads, the outbox), closed with the pipeline. */
  readonly #sides: RedisLike[] = [];
  readonly rules: RegionRules;
  /** The pages this process's API was asked for lately: the builder answers them ahead for each new generation. */
  readonly asked = new AskedPages();
  clocks!: ClockStore;
  /** ClickHouse inserts of the event rows and episode facts, gathered. */
  rows!: RowBuffer;
  population!: PopulationTable;
  #started = false;
  #processor: Processor | undefined;
  #outbox: OutboxService | undefined;
  readonly #rounds: Periodic[] = [];
  #alerting: AlertingService | undefined;
  readonly #admin: Admin;
  readonly heartbeats: Heartbeats;

  /** `metrics`: a predecessor's, when a process switches sides (services/rebuild/follow.ts): /metrics counts on across the switch. */
  constructor(readonly config: Config, metrics?: Metrics) {
    this.kafka = createKafka(config, `${config.namespace}-pipeline`);
    this.metrics = metrics ?? createMetrics();
    this.redis = connectRedis(config);
    // ioredis reconnects by itself; a restart of Redis is logged once per error kind, not as an
    // unhandled error event on every attempt.
    quietErrors(this.redis);
    this.#codec = new EventCodec(config.registryUrl);
    this.#deadLetters = new DeadLetters(this.kafka, config.namespace);
    this.rules = regionalRules(config.rules === 'law' ? LAW_DEFAULTS : OREBRO_RULES, config.agreements);
    this.#admin = this.kafka.admin();
    this.heartbeats = new Heartbeats(this.redis, config.namespace);
  }

  async start(): Promise<void> {
    const { config, metrics } = this;
    const t = topics(config.namespace);
    // The events read: the namespace's own, or the live one's when this is a rebuild's shadow.
    const source = topics(config.eventsNamespace).patientEvents;
    const partitions = await ensureTopics(this.kafka, config.namespace, config.eventPartitions);
    if (partitions !== config.eventPartitions) log.warn({ partitions, setting: config.eventPartitions }, 'the events topic exists with another partition count; it keeps it (repartitioning would reorder patients)');
    await this.#codec.register(source);
    // /health may already have made the lazy client connect.
    if (this.redis.status === 'wait') await this.redis.connect();
    const opened = await openClickHouse(config);
    ({ client: this.clickhouse, mode: this.clickhouseMode } = opened);
    this.#buildClickhouse = config.snapshotEveryMs > 0 ? buildClient(config, opened) : undefined;
    this.population = loadPopulation(config.populationDir);
    const capacity = loadCapacity(config.capacityDir);
    // Read-only SQL per region needs server users: embedded chDB has none to give.
    const analytics = { regions: this.clickhouseMode === 'server' ? config.analyticsRegions : [], usersDir: config.clickhouseUsersDir, password: (r: string) => analyticsPassword(process.env, r) };
    if (this.clickhouseMode !== 'server' && config.analyticsRegions.length > 0) log.warn({ regions: config.analyticsRegions }, 'UTKLAR_ANALYTICS_REGIONS needs a ClickHouse server (CLICKHOUSE_URL); embedded chDB has no users to give');
    const preparation = new ClickHousePreparation(this.clickhouse, config.clickhouseDatabase, { population: this.population, capacity }, log, analytics);
    // A clock process must come back after a crash while ClickHouse is down: its rows wait in
    // the buffer, which prepares the tables (and retries) before its first insert.
    const prepared = preparation.prepare();
    if (this.clickhouseMode === 'embedded') await prepared;
    else await prepared.catch((e) => log.warn({ err: e }, 'ClickHouse not prepared yet; rows wait in the buffer and the API answers once it is'));
    await this.#deadLetters.connect();
    await this.#admin.connect();

    this.clocks = new ClockStore(this.redis, config.namespace, `${config.groupPrefix}.clock`, source, this.rules, { reads: this.#side('clock-reads'), partitions });
    this.rows = new RowBuffer(this.clickhouse, config.clickhouseDatabase, logger('clickhouse-rows'), {
      ready: () => preparation.prepare(),
      onRows: (table, n) => (table === 'events' ? metrics.rowsWritten : metrics.factsWritten).inc(n),
    });
    if (config.consumers.includes('clock')) {
      await this.clocks.refuseOldLayout(config.namespace);
      const processor = (this.#processor = new Processor({
        kafka: this.kafka, topic: source, groupId: `${config.groupPrefix}.clock`, codec: this.#codec, deadLetters: this.#deadLetters,
        clocks: this.clocks, rows: this.rows, metrics, watch: this.heartbeats.consumer('clock', metrics), partitions, log: logger('clock'),
        maxPerSecond: config.maxEventsPerSecond,
      }));
      const keys = this.clocks.keys;
      const outbox = (this.#outbox = new OutboxService({
        kafka: this.kafka, namespace: config.namespace, groupPrefix: config.groupPrefix, redis: this.#side('outbox'), outboxKey: (p) => keys.of(p).outbox,
        ownership: processor.consumer, registry: this.#codec.registry, rows: this.rows, rules: this.rules, log: logger('outbox'), progressLog: logger('outbox-progress'),
      }));
      processor.outboxRoom = (p) => outbox.room(p);
      await outbox.start();
      this.heartbeats.pull('outbox', () => outbox.lastDrainedAt);
      await processor.start();
    }
    let outboxCounted = 0;
    this.#rounds.push(...housekeeping({
      config, clocks: this.clocks, clock: this.#processor?.consumer, clickhouse: this.clickhouse, buildClickhouse: this.#buildClickhouse, prepared: () => preparation.prepare(), admin: this.#admin,
      metrics, heartbeats: this.heartbeats, log, snapshotLog: logger('episode-snapshot'),
      warm: config.snapshotWarmPages && this.clickhouse ? (point) => warmPages({
        client: this.clickhouse!, db: config.clickhouseDatabase, rules: this.rules, agreements: config.agreements, population: this.population, secret: config.apiSecret, now: Date.now,
      }, point, pagesToWarm(this.asked), logger('episode-snapshot')).then(() => undefined) : undefined,
      measure: () => {
        if (this.#outbox) {
          metrics.outboxPublished.inc(this.#outbox.published - outboxCounted);
          outboxCounted = this.#outbox.published;
        }
        metrics.rowsPending.set(this.rows?.pending ?? 0);
      },
    }));
    if (config.invoiceFreeze && this.#processor && this.clickhouse) {
      const { round } = invoiceFreezer({
        ...config.invoiceFreeze, client: this.clickhouse, db: config.clickhouseDatabase, admin: this.#admin, groupId: `${config.groupPrefix}.clock`, topic: source,
        redis: this.redis, outboxKeys: Array.from({ length: partitions }, (_, p) => this.clocks.keys.of(p).outbox), ownership: this.#processor.consumer,
        rules: this.rules, agreements: config.agreements, population: this.population, log: logger('invoice-freeze'),
      });
      this.#rounds.push(new Periodic('invoice freeze', 60_000, async () => {
        await preparation.prepare();
        await round();
      }, log));
    }
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
    log.info({ clickhouse: this.clickhouseMode, topic: source }, 'pipeline started');
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
    await this.#outbox?.stop();
    await this.#processor?.stop().catch(() => undefined);
    await this.rows?.stop().catch(() => undefined);
    await this.#deadLetters.disconnect().catch(() => undefined);
    await this.clickhouse?.close().catch(() => undefined);
    if (this.#buildClickhouse !== this.clickhouse) await this.#buildClickhouse?.close().catch(() => undefined);
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
