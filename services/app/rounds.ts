import type { Admin } from 'kafkajs';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import { topics, type Config } from '../core/config.ts';
import { Periodic } from '../core/periodic.ts';
import { consumerLag, messageCount } from '../kafka/lag.ts';
import type { PartitionOwnership } from '../model/partition-ownership.ts';
import { DEFAULT_SNAPSHOT_POLICY, SnapshotBuilder } from '../snapshot/snapshot-builder.ts';
import type { ClockStore } from '../store/clock-store.ts';
import type { WarmGeneration } from '../snapshot/snapshot-sql.ts';
import type { Heartbeats } from './heartbeats.ts';
import type { Metrics } from './metrics.ts';

export interface RoundsOptions {
  config: Config;
  clocks: ClockStore;
  /** The clock's consumer, when this process runs one. */
  clock: PartitionOwnership | undefined;
  clickhouse: ClickHouseClient;
  /** The client the read model's generations are built with (clickhouse.ts: buildClient, a long timeout). */
  buildClickhouse?: ClickHouseClient;
  /** Runs the migrations (and retries) before the snapshot's first round. */
  prepared: () => Promise<void>;
  admin: Admin;
  metrics: Metrics;
  heartbeats: Heartbeats;
  /** What the lag measurement also samples (the outbox's and the row buffer's gauges). */
  measure: () => void;
  log: Logger;
  snapshotLog: Logger;
  /** A new generation's common pages, answered before it is recorded (snapshot-sql.ts, WarmGeneration); unset: none. */
  warm?: WarmGeneration;
}

/**
 * The work on a period of its own, each round following the partitions this process owns:
 * eviction of settled episodes, the timer worker, the indicators' read model (partition 0's
 * owner builds it) and the lag measurement for /metrics.
 */
export function housekeeping(o: RoundsOptions): Periodic[] {
  const { config, clocks, metrics, log } = o;
  const applies = config.consumers.includes('clock');
  const rounds: Periodic[] = [];
  if (applies) {
    rounds.push(new Periodic('eviction sweep', config.evictEveryMs, async () => void metrics.evicted.inc(await clocks.evictSettled(Date.now())), log));
  }
  // The clock's process runs the timer worker unless it runs in a process of its own; its
  // announcements go through the outbox, which the clock's process publishes. A time budget per
  // round: catching up a replayed year of day boundaries must not starve the consumers.
  if (applies || config.timersOnly) {
    rounds.push(new Periodic('timer', config.timersEveryMs, async () => {
      metrics.timersFired.inc(await clocks.fireForAWhile(Math.max(100, config.timersEveryMs / 4)));
      o.heartbeats.beat('timers');
    }, log));
  }
  if (o.clock && config.snapshotEveryMs > 0) {
    const builder = new SnapshotBuilder(o.buildClickhouse ?? o.clickhouse, config.clickhouseDatabase, o.snapshotLog, o.clock, { ...DEFAULT_SNAPSHOT_POLICY, maxDelta: config.snapshotMaxDelta }, Date.now, o.warm);
    rounds.push(new Periodic('episode snapshot', config.snapshotEveryMs, async () => {
      await o.prepared();
      await builder.round();
    }, log));
  }
  // Kafka away (a broker restart) fails every measurement: not worth a warning each time.
  rounds.push(new Periodic('lag measurement', 5_000, () => measureLag(o).catch((e) => log.debug({ err: e }, 'lag measurement failed')), log));
  return rounds;
}

/** Lag of this process's consumer groups and the dead-letter count, for /metrics. */
async function measureLag(o: RoundsOptions): Promise<void> {
  const t = topics(o.config.namespace);
  o.measure();
  for (const name of o.config.consumers) {
    o.metrics.lag.set({ consumer: name }, await consumerLag(o.admin, `${o.config.groupPrefix}.${name}`, topics(o.config.eventsNamespace).patientEvents));
  }
  o.metrics.deadLetterMessages.set(await messageCount(o.admin, t.deadLetter));
}
