import { readFileSync } from 'node:fs';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Cluster, Redis } from 'ioredis';
import type { Admin, Kafka } from 'kafkajs';
import type { Counter } from 'prom-client';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { subjectFor, topics, type Config } from '../core/config.ts';
import { logger } from '../core/log.ts';
import { Periodic } from '../core/periodic.ts';
import type { RegionRules } from '../clock/rules.ts';
import { RegisteredSchema } from '../kafka/registered-schema.ts';
import type { CapacityRow } from '../reference/capacity.ts';
import type { PopulationTable } from '../reference/population.ts';
import type { ClockReads } from '../store/clock-reads.ts';
import { Alerting } from './alerting.ts';
import { Delivery } from './delivery.ts';
import { Observer } from './observe.ts';
import { targets } from './routing.ts';
import { parseAlertConfig } from './rules.ts';

export interface AlertingDeps {
  config: Config;
  redis: Redis | Cluster;
  clocks: ClockReads;
  admin: Admin;
  clickhouse: ClickHouseClient;
  kafka: Kafka;
  registry: SchemaRegistry;
  rules: RegionRules;
  population: PopulationTable;
  capacity: CapacityRow[];
  metrics: { alerts: Counter<'status'>; alertsDelivered: Counter };
}

const log = logger('alerting');

/**
 * Alerting as a service of the process: the rules file read and validated at start, then every
 * `UTKLAR_ALERTS_EVERY_MS` one round that evaluates the rules and delivers what is due.
 */
export class AlertingService {
  readonly alerting: Alerting;
  readonly #round: Periodic;

  private constructor(alerting: Alerting, everyMs: number, metrics: AlertingDeps['metrics']) {
    this.alerting = alerting;
    this.#round = new Periodic('alerting', everyMs, async () => {
      const { fired, resolved } = await alerting.evaluate(Date.now()).catch((e: unknown) => {
        // Delivery of what earlier rounds recorded still goes ahead.
        log.warn({ err: e }, 'alerting round failed; the next one retries');
        return { fired: 0, resolved: 0 };
      });
      metrics.alerts.inc({ status: 'firing' }, fired);
      metrics.alerts.inc({ status: 'resolved' }, resolved);
      metrics.alertsDelivered.inc(await alerting.delivery.deliver(Date.now()));
    }, log);
  }

  static async start(d: AlertingDeps): Promise<AlertingService> {
    const { config } = d;
    const t = topics(config.namespace);
    const alertConfig = parseAlertConfig(readFileSync(config.alertRules!, 'utf8'), config.alertRules!);
    const observer = new Observer({
      redis: d.redis, clocks: d.clocks, admin: d.admin, clickhouse: d.clickhouse, database: config.clickhouseDatabase,
      namespace: config.namespace, groupPrefix: config.groupPrefix, regionRules: d.rules, population: d.population, capacity: d.capacity,
    }, alertConfig.rules);
    const delivery = new Delivery(d.redis, config.namespace, targets(alertConfig.receivers, alertConfig.rules, config.alertWebhook ?? null), d.kafka,
      { name: t.alerts, schema: new RegisteredSchema(d.registry, 'alert.avsc', subjectFor(t.alerts)) }, logger('alert-delivery'));
    await delivery.start();
    const service = new AlertingService(new Alerting(d.redis, config.namespace, alertConfig, observer, delivery, Boolean(config.alertWebhook)), config.alertsEveryMs, d.metrics);
    service.#round.start();
    log.info({ rules: alertConfig.rules.length, receivers: alertConfig.receivers.length }, 'alerting started');
    return service;
  }

  get lastRoundAt(): number {
    return this.alerting.lastRoundAt;
  }

  health(): string {
    return this.#round.health();
  }

  async stop(): Promise<void> {
    await this.#round.stop();
    await this.alerting.delivery.stop().catch(() => undefined);
  }
}
