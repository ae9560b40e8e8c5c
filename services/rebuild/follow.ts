import type { Logger } from 'pino';
import { loadAgreementSet } from '../agreements/agreement-set.ts';
import { Pipeline } from '../app/pipeline.ts';
import type { Config } from '../core/config.ts';
import { Periodic } from '../core/periodic.ts';
import { connectRedis } from '../core/redis.ts';
import { carry, dropExpired, newestAccess, somethingExpired } from './promotion.ts';
import { RebuildRecords, type ActiveData } from './records.ts';

/** The configuration of a pipeline applying the promoted rebuild's side: its namespace, database and agreements, the live events. */
export function promotedConfig(base: Config, active: Pick<ActiveData, 'namespace' | 'database' | 'agreements'>): Config {
  return {
    ...base,
    namespace: active.namespace,
    groupPrefix: active.namespace,
    clickhouseDatabase: active.database,
    agreements: loadAgreementSet(active.agreements, base.rules),
    eventsNamespace: base.eventsNamespace,
  };
}

/**
 * What `utklar run` runs once a rebuild was promoted: the promoted side, so that the data the
 * API reads goes on being kept (its consumer group continues where the rebuild left it). The
 * events topic, the rebuild records and the read pointer stay the live namespace's.
 */
export async function adoptPromoted(base: Config, log: Logger): Promise<Config> {
  const redis = connectRedis(base);
  try {
    const active = await new RebuildRecords(redis, base.eventsNamespace).active();
    if (!active || active.namespace === base.namespace) return base;
    log.info({ rebuild: active.id, namespace: active.namespace, database: active.database, agreements: active.agreementVersions }, 'a promoted rebuild is what the API reads: this process applies it');
    return promotedConfig(base, active);
  } finally {
    redis.disconnect();
  }
}

/** The configuration of the side the read pointer names: a promoted rebuild's, or (none, or the namespace's own) the deployment's. */
export function sideConfig(base: Config, active: ActiveData | null): Config {
  return active && active.namespace !== base.namespace ? promotedConfig(base, active) : base;
}

/**
 * What `utklar run` serves and applies: one pipeline, of the side the API reads. When a promotion
 * (or a rollback, promotion.ts) moves the read pointer, the process does within seconds what a
 * restart would do (adoptPromoted): it starts a pipeline with that side's configuration (its
 * namespace, consumer group, database and agreements; the live events topic), and once it runs,
 * the board, its streams and every Redis-backed view read it (`current`, taken at each request and
 * at each push of a stream); then the old pipeline stops (its consumer commits and leaves its
 * group). Each side's consumer group keeps its own offsets, so nothing is lost or applied twice:
 * the side taken up goes on from its group's commit (where the rebuild, or this process before a
 * rollback, left it) and the side left stops at its own, from where a rollback resumes it (and the
 * replay guards make an event applied again a no-op, docs/data-path.md). Each round also drops
 * what a promotion replaced once its keeping time passed. Needs a ClickHouse server (chDB binds
 * one process's data: two pipelines cannot open it for the moment of the switch).
 */
export class PromotionFollower {
  #current: Pipeline;
  readonly #round: Periodic;

  /** `first`: the pipeline the process started with; `base`: the deployment's own configuration (loadConfig()). */
  constructor(first: Pipeline, readonly base: Config, private readonly log: Logger, everyMs = 2_000) {
    this.#current = first;
    this.#round = new Periodic('promotion follower', everyMs, () => this.round(), log);
  }

  /** The pipeline the process applies and the server answers from now. */
  get current(): Pipeline {
    return this.#current;
  }

  start(): void {
    if (this.base.clickhouseUrl) this.#round.start();
  }

  async round(): Promise<void> {
    const active = await new RebuildRecords(this.#current.redis, this.base.eventsNamespace).active();
    const wanted = sideConfig(this.base, active);
    if (wanted.namespace !== this.#current.config.namespace) await this.#switch(wanted, active?.id ?? null);
    if (await somethingExpired({ config: this.base, redis: this.#current.redis, now: Date.now })) {
      const own = this.#current;
      const admin = own.kafka.admin();
      await admin.connect();
      try {
        // Logged in the deployment's own database, as the CLI logs every action.
        const dropped = await dropExpired({ config: this.base, redis: own.redis, client: own.clickhouse, admin, now: Date.now });
        if (dropped) this.log.info({ rebuild: dropped }, 'the data a promotion replaced was dropped: its keeping time passed');
      } finally {
        await admin.disconnect();
      }
    }
  }

  async #switch(config: Config, rebuild: string | null): Promise<void> {
    const old = this.#current;
    // The new side first, so the board never reads a stopped pipeline; the two apply different
    // groups, namespaces and databases meanwhile. The metrics count on across the switch.
    const next = new Pipeline(config, old.metrics);
    try {
      await next.start();
    } catch (e) {
      // The next round tries again; the old side goes on meanwhile.
      await next.stop().catch(() => undefined);
      throw e;
    }
    // The newest access-log entry of the side taken up, before this process writes there: what the
    // side left received after it is carried below.
    const since = await newestAccess(next.clickhouse, config.clickhouseDatabase).catch(() => undefined);
    this.#current = next;
    this.log.info({ rebuild, namespace: config.namespace, database: config.clickhouseDatabase, left: old.config.namespace }, 'the read pointer moved: this process now applies and serves that side');
    await old.stop();
    // What this process wrote to the side it left since the promotion (or rollback) carried what
    // was there: the access-log entries of those seconds, a month frozen meanwhile.
    if (since !== undefined) await carry(next.clickhouse, old.config.clickhouseDatabase, config.clickhouseDatabase, since).catch((e: unknown) => this.log.warn({ err: e }, 'carrying the access log and frozen invoices to the side taken up failed'));
  }

  /** Stops the rounds (a switch under way finishes first); the current pipeline is the caller's to stop. */
  async stop(): Promise<void> {
    await this.#round.stop();
  }
}
