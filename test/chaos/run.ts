import { createClient } from '@clickhouse/client';
import { Redis } from 'ioredis';
import { createKafka } from '../../services/kafka/client.ts';
import { Rng } from '../../services/simulator/rng.ts';
import { configOf, isolatedEnv, waitFor } from '../support/env.ts';
import { outage } from './faults.ts';
import { Feeder } from './feeder.ts';
import { scanForPersonalData } from './personal-data.ts';
import { Supervised } from './supervisor.ts';
import { removeRun } from '../bench/cleanup.ts';
import { caughtUp, verifyClockState, verifyDeadLetters, verifyEventRows, verifyIndicators, verifySnapshot, type Mismatch } from './verify.ts';

import { buildWorkload, type MalformedKind } from './workload.ts';

export interface ChaosOptions {
  seed: number;
  /** Simulated days and episodes per day (the simulator's --days / --rate). */
  days: number;
  rate: number;
  duplicateShare: number;
  malformed: number;
  /** SIGKILLs of each of the clock service (which writes ClickHouse too) and the timer worker. */
  killsPerService: number;
  clickhouseOutageMs: number;
  /** Restart the Kafka broker mid-run. */
  kafkaRestart: boolean;
  /** Keep the run's topics, Redis keys and ClickHouse database even when it passed (a failed run's always stay, to be examined). */
  keep?: boolean;
  log: (line: string) => void;
}

export interface ChaosSummary {
  seed: number;
  /** The run's namespace (topics, Redis keys) and ClickHouse database, kept when the run failed. */
  namespace: string;
  database: string;
  kept: boolean;
  events: number;
  messages: number;
  duplicates: number;
  reordered: number;
  malformed: Record<MalformedKind, number>;
  faults: string[];
  producerResends: number;
  crashes: Record<string, number>;
  /** The end of each unplanned exit's output. */
  crashOutput: string[];
  mismatches: Mismatch[];
  personalData: string[];
  seconds: { total: number; catchUp: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One chaos run on the real stack: a simulated region with duplicates, reordering and malformed
 * messages is replayed into two supervised services (the clock, which also writes the ClickHouse
 * rows, and the timer worker) while they are SIGKILLed at random moments and Redis, Kafka and the
 * ClickHouse server are restarted or stopped. Afterwards everything must equal a recomputation:
 * Redis clock state per episode, the event rows, the indicators, the dead letters.
 */
export async function runChaos(o: ChaosOptions): Promise<ChaosSummary> {
  const t0 = Date.now();
  const rng = new Rng(o.seed);
  // Snapshot generations every few hundred versions: the indicators are read through many of them, faults and all.
  const env = isolatedEnv('server', { LOG_LEVEL: 'warn', UTKLAR_EVICT_EVERY_MS: '0', UTKLAR_SNAPSHOT_EVERY_MS: '2000', UTKLAR_SNAPSHOT_MAX_DELTA: '300' });
  const config = configOf(env);
  const from = '2025-09-01T00:00:00+02:00';
  const w = await buildWorkload({ days: o.days, rate: o.rate, seed: o.seed, from, duplicateShare: o.duplicateShare, malformed: o.malformed }, env);
  o.log(`workload: ${w.events.length} events, ${w.duplicates} duplicates, ${w.reordered} reordered, ${w.malformed.length} malformed → ${w.items.length} messages`);

  const port = Number(env.UTKLAR_HTTP_PORT);
  const services = {
    clock: new Supervised('clock', { ...env, UTKLAR_CONSUMERS: 'clock', UTKLAR_TIMERS_EVERY_MS: '0', UTKLAR_HTTP_PORT: String(port) }),
    timers: new Supervised('timers', { ...env, UTKLAR_CONSUMERS: 'timers', UTKLAR_HTTP_PORT: String(port + 1) }),
  };
  const kafka = createKafka(config, 'chaos');
  const admin = kafka.admin();
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined); // the Redis restart is one of the faults; commands wait for the reconnect
  const ch = createClient({ url: config.clickhouseUrl, request_timeout: 120_000 });
  const faults: string[] = [];
  let passed = false;
  try {
    await Promise.all(Object.values(services).map((s) => s.healthy()));
    const plan: [string, () => Promise<void>][] = [
      // The clock is killed twice as often: it carries what the ClickHouse sink process did.
      ...(['clock', 'clock', 'timers'] as const).flatMap((name) => Array.from({ length: o.killsPerService }, () => [`SIGKILL ${name}`, () => services[name].kill9()] as [string, () => Promise<void>])),
      ['restart Redis', () => outage('redis', 500)],
      ...(o.kafkaRestart ? [['restart the Kafka broker', () => outage('kafka', 1_000)] as [string, () => Promise<void>]] : []),
      [`stop the ClickHouse server for ${o.clickhouseOutageMs / 1000} s`, () => outage('clickhouse', o.clickhouseOutageMs)],
    ];
    for (let i = plan.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [plan[i], plan[j]] = [plan[j]!, plan[i]!];
    }
    const feeder = new Feeder(config);
    const chunk = 500;
    // The feed spans the faults (≈ 2.5 s apart, plus the outages), so a broker restart or a
    // killed consumer meets the producer and the consumers mid-stream, not an idle topic.
    const chunks = Math.ceil(w.items.length / chunk);
    const pause = Math.max(50, (plan.length * 2_500 + o.clickhouseOutageMs) / chunks);
    const feeding = (async () => {
      for (let i = 0; i < w.items.length; i += chunk) {
        await feeder.send(w.items.slice(i, i + chunk));
        await sleep(pause);
      }
      await feeder.close();
      o.log(`fed ${w.items.length} messages (${feeder.resends} chunks resent) after ${Math.round((Date.now() - t0) / 1000)} s`);
    })();

    const faulting = (async () => {
      for (const [what, act] of plan) {
        await sleep(1_000 + rng.next() * 3_000);
        o.log(`fault at ${Math.round((Date.now() - t0) / 1000)} s: ${what}`);
        faults.push(what);
        await act();
      }
    })();
    await Promise.all([feeding, faulting]);

    // A send that failed in a broker restart may leave its transaction open; read_committed
    // consumers, and the end offsets lag is measured against, stop at it until it ends. The
    // feeder's producer renews under the same transactional id, which aborts it at once, so no
    // wait is needed here (when each renewal took a new id, only kafkajs's 60 s transaction
    // timeout ended it, and the pipeline looked caught up with the resent chunks behind it:
    // CI, 2026-12-06, 4 524 events unread).
    const settleFrom = Date.now();
    await admin.connect();
    await waitFor('the pipeline to catch up', async () => ((await caughtUp(admin, redis, config)) ? true : undefined), 900_000);
    const catchUp = Date.now() - settleFrom;
    o.log(`caught up ${Math.round(catchUp / 1000)} s after the last fault`);
    // Not crash-looping: every service answers /health and none exits for 10 s.
    const before = Object.values(services).reduce((s, x) => s + x.crashes.length, 0);
    await sleep(10_000);
    await Promise.all(Object.values(services).map((s) => s.healthy()));
    const mismatches: Mismatch[] = [];
    if (Object.values(services).reduce((s, x) => s + x.crashes.length, 0) !== before) mismatches.push({ check: 'services', detail: 'a service exited by itself after the faults ended' });
    mismatches.push(...await verifyClockState(redis, config, w));
    mismatches.push(...await verifyEventRows(ch, config.clickhouseDatabase, w, kafka, config, (ids) => feeder.explain(ids)));
    mismatches.push(...await verifyDeadLetters(kafka, config, w));
    const months = Array.from({ length: Math.ceil(o.days / 31) + 1 }, (_, i) => {
      const d = new Date(Date.UTC(2025, 8 + i, 1));
      return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
    });
    mismatches.push(...await verifyIndicators(services.clock.proc.url, w, months));
    mismatches.push(...await verifySnapshot(ch, config.clickhouseDatabase));
    const personalData = await scanForPersonalData({
      kafka, redis, ch, namespace: config.namespace, database: config.clickhouseDatabase, needles: w.personnummer, episodeIds: w.sourceEpisodeIds,
      logs: Object.fromEntries(Object.values(services).map((s) => [s.name, s.output])),
    });
    const count = (k: MalformedKind) => w.malformed.filter((m) => m.kind === k).length;
    passed = mismatches.length === 0 && personalData.length === 0;
    return {
      seed: o.seed, namespace: config.namespace, database: config.clickhouseDatabase, kept: Boolean(o.keep) || !passed, events: w.events.length, messages: w.items.length, duplicates: w.duplicates, reordered: w.reordered,
      malformed: { 'bad-magic-byte': count('bad-magic-byte'), 'unknown-schema-id': count('unknown-schema-id'), 'truncated-avro': count('truncated-avro'), 'semantically-invalid': count('semantically-invalid') },
      faults, producerResends: feeder.resends,
      crashes: Object.fromEntries(Object.values(services).map((s) => [s.name, s.crashes.length])),
      crashOutput: Object.values(services).flatMap((s) => s.crashes.map((c) => `${s.name}: ${c.output}`)),
      mismatches, personalData, seconds: { total: Math.round((Date.now() - t0) / 1000), catchUp: Math.round(catchUp / 1000) },
    };
  } finally {
    await Promise.all(Object.values(services).map((s) => s.stop()));
    await admin.disconnect().catch(() => undefined);
    redis.disconnect();
    await ch.close();
    // A passed run leaves nothing on the shared stack (six full runs left ≈ 140 000 Redis keys);
    // a failed one keeps everything for examination.
    if (passed && !o.keep) for (const failure of await removeRun(config)) o.log(`cleanup: ${failure}`);
  }
}
