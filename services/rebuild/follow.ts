import type { Logger } from 'pino';
import { loadAgreementSet } from '../agreements/agreement-set.ts';
import { Pipeline } from '../app/pipeline.ts';
import type { Config } from '../core/config.ts';
import { Periodic } from '../core/periodic.ts';
import { connectRedis } from '../core/redis.ts';
import { dropExpired } from './promotion.ts';
import { RebuildRecords, type ActiveData } from './records.ts';

/** The configuration of a pipeline applying the promoted rebuild's side: its namespace, database and agreements, the live events. */
export function promotedConfig(base: Config, active: ActiveData): Config {
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

/**
 * In a running process, a promotion made meanwhile: a second pipeline (in this process) starts
 * applying the promoted side within seconds, so the API's new data stays as fresh as the old; the
 * process's own pipeline goes on with the old side (kept for a way back) until it is restarted,
 * which then runs the promoted side alone (adoptPromoted). Each round also drops what a promotion
 * replaced once its keeping time passed. Needs a ClickHouse server (chDB binds one process).
 */
export class PromotionFollower {
  #follower: { id: string; pipeline: Pipeline } | null = null;
  readonly #round: Periodic;

  constructor(private readonly own: Pipeline, private readonly log: Logger, everyMs = 2_000) {
    this.#round = new Periodic('promotion follower', everyMs, () => this.round(), log);
  }

  start(): void {
    if (this.own.config.clickhouseUrl) this.#round.start();
  }

  async round(): Promise<void> {
    const active = await new RebuildRecords(this.own.redis, this.own.config.eventsNamespace).active();
    const wanted = active && active.namespace !== this.own.config.namespace ? active : null;
    if (this.#follower && this.#follower.id !== wanted?.id) {
      await this.#follower.pipeline.stop();
      this.#follower = null;
    }
    if (wanted && !this.#follower) {
      const pipeline = new Pipeline({ ...promotedConfig(this.own.config, wanted), alertRules: undefined, analyticsRegions: [] });
      try {
        await pipeline.start();
      } catch (e) {
        // The next round tries again.
        await pipeline.stop().catch(() => undefined);
        throw e;
      }
      this.#follower = { id: wanted.id, pipeline };
      this.log.info({ rebuild: wanted.id, namespace: wanted.namespace }, 'following the promoted rebuild: its side is kept current in this process');
    }
    if (active?.previous?.id && Date.parse(active.previous.keepUntil) <= Date.now()) {
      const admin = this.own.kafka.admin();
      await admin.connect();
      try {
        const dropped = await dropExpired({ config: this.own.config, redis: this.own.redis, client: this.own.clickhouse, admin, now: Date.now });
        if (dropped) this.log.info({ rebuild: dropped }, 'the data a promotion replaced was dropped: its keeping time passed');
      } finally {
        await admin.disconnect();
      }
    }
  }

  async stop(): Promise<void> {
    await this.#round.stop();
    await this.#follower?.pipeline.stop();
  }
}
