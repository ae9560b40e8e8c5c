import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clockKeys } from '../../services/store/clock-keys.ts';
import { foldEpisode } from '../../services/clock/episode-state.ts';
import type { StoredEpisode } from '../../services/clock/stored-episode.ts';
import type { PatientEvent } from '../../services/contract/event.ts';
import { topics } from '../../services/core/config.ts';
import { scanKeys } from '../../services/core/redis.ts';
import { openClickHouse } from '../../services/sink-clickhouse/clickhouse.ts';
import { configOf, isolatedEnv, waitFor } from '../support/env.ts';
import { PipelineProcess, runCli } from '../support/processes.ts';

/**
 * Exactly-once effects: each event is applied to its episode's one state in Redis (the clock's)
 * once and is one ClickHouse row, however often it is delivered — after a kill -9 mid-stream,
 * after a full replay from offset 0, and a rebuild from Kafka into an empty Redis gives the same
 * states, versions (one per applied change) included.
 */
describe('kill -9 and replay change nothing', () => {
  // Closed episodes stay (no eviction), so every state can be compared with its rebuild.
  const env = isolatedEnv('server', { UTKLAR_EVICT_EVERY_MS: '0' });
  const config = configOf(env);
  const t = topics(config.namespace);
  const kafka = new Kafka({ clientId: 'replay-test', brokers: config.kafkaBrokers, logLevel: logLevel.NOTHING });
  const redis = new Redis(config.redisUrl);
  // One group reads the events topic: the clock, which writes the ClickHouse rows too.
  const groups = [`${config.namespace}.clock`];
  const clockGroup = groups[0]!;
  let sent = 0;
  let pipeline: PipelineProcess | undefined;

  const keysOf = (pattern: string) => scanKeys(redis, pattern);
  const k = clockKeys(config.namespace);
  /** Distinct events in the episodes' logs: each applied event is logged once, a replay adds none. */
  const appliedTotal = async () => {
    let total = 0;
    for (const key of await keysOf(k.every('clock:ep:*:events'))) total += await redis.hlen(key);
    return total;
  };
  /** Every episode's state and version (the timer worker's announcement marks left out). */
  const clockStates = async () => {
    const out: Record<string, { state: string | null; version: string | null; partition: string | null }> = {};
    for (const key of (await keysOf(k.every('clock:ep:*'))).filter((k) => !k.endsWith(':events'))) {
      const [state, version, partition] = await redis.hmget(key, 'state', 'version', 'partition');
      out[key] = { state: state ?? null, version: version ?? null, partition: partition ?? null };
    }
    return out;
  };
  const clickhouseCounts = async () => {
    const { client } = await openClickHouse(config);
    try {
      const [row] = await (await client.query({
        query: `SELECT toString(count()) AS rows, toString(uniqExact(event_id)) AS ids FROM ${config.clickhouseDatabase}.events FINAL`,
        format: 'JSONEachRow',
      })).json<{ rows: string; ids: string }>();
      return { rows: Number(row!.rows), ids: Number(row!.ids) };
    } finally {
      await client.close();
    }
  };
  /** The newest episode fact's version per episode (ClickHouse), as the changelog left them. */
  const factVersions = async () => {
    const { client } = await openClickHouse(config);
    try {
      const rows = await (await client.query({
        query: `SELECT episode_id, toString(max(version)) AS version FROM ${config.clickhouseDatabase}.episode_facts GROUP BY episode_id`,
        format: 'JSONEachRow',
      })).json<{ episode_id: string; version: string }>();
      return Object.fromEntries(rows.map((r) => [r.episode_id, r.version]));
    } finally {
      await client.close();
    }
  };
  const drained = async () => {
    await waitFor('consumers to reach the end of the topic', async () => {
      const status = await pipeline!.status();
      const inClickHouse = Object.values(status.clickhouse.eventsByType).reduce((a, b) => a + b, 0);
      return inClickHouse === sent && (await appliedTotal()) >= sent ? true : undefined;
    }, 120_000);
    // Let the last commits land so a restart does not count as progress it has not made.
    const admin = kafka.admin();
    await admin.connect();
    try {
      const end = (await admin.fetchTopicOffsets(t.patientEvents)).reduce((s, p) => s + Number(p.offset), 0);
      for (const groupId of groups) {
        await waitFor(`${groupId} committed`, async () => {
          const [o] = await admin.fetchOffsets({ groupId, topics: [t.patientEvents] });
          return o!.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0) === end ? true : undefined;
        });
      }
    } finally {
      await admin.disconnect();
    }
  };

  beforeAll(async () => {
    const file = path.join(os.tmpdir(), `utklar-replay-${config.namespace}.ndjson`);
    const sim = await runCli(['simulate', '--days', '10', '--seed', '42', '--from', '2026-01-10T00:00:00Z'], env);
    writeFileSync(file, sim.stdout);
    const produced = await runCli(['produce', '--file', file], env);
    expect(produced.code, produced.stderr).toBe(0);
    sent = JSON.parse(produced.stdout.trim()).sent;
    expect(sent).toBeGreaterThan(2000);
  });

  afterAll(async () => {
    await pipeline?.stop();
    redis.disconnect();
  });

  it('a pipeline killed with SIGKILL mid-stream resumes without losing or doubling an effect', async () => {
    pipeline = new PipelineProcess(env);
    await waitFor('some progress before the crash', async () => ((await appliedTotal()) > 0 ? true : undefined));
    pipeline.child.kill('SIGKILL');
    await new Promise((r) => pipeline!.child.once('exit', r));
    const atCrash = await appliedTotal();
    pipeline = new PipelineProcess(env);
    await pipeline.healthy();
    await drained();
    expect(atCrash).toBeLessThanOrEqual(sent);
    expect(await appliedTotal()).toBe(sent);
    expect(await clickhouseCounts()).toEqual({ rows: sent, ids: sent });
    // Each state is the fold of exactly the events in its log.
    const states = await clockStates();
    // And each episode's newest fact in ClickHouse is its state's version: the facts the killed
    // process had not stored yet were stored after the restart (the outbox kept them).
    await waitFor('the episode facts to be stored', async () => {
      const facts = await factVersions();
      return Object.entries(states).every(([key, { version }]) => facts[key.split(':').at(-1)!] === version) ? true : undefined;
    }, 60_000).catch(async (e) => {
      const facts = await factVersions();
      const wrong = Object.entries(states).filter(([key, { version }]) => facts[key.split(':').at(-1)!] !== version).slice(0, 5);
      throw new Error(`${(e as Error).message}: e.g. ${JSON.stringify(wrong.map(([k, v]) => [k, v.version, facts[k.split(':').at(-1)!]]))}`);
    });
    expect(Object.keys(states).length).toBeGreaterThan(100);
    for (const [key, { state }] of Object.entries(states)) {
      const events = Object.values(await redis.hgetall(`${key}:events`)).map((j) => JSON.parse(j) as PatientEvent);
      expect((JSON.parse(state!) as StoredEpisode).state, key).toEqual(JSON.parse(JSON.stringify(foldEpisode(events))));
    }
  });

  it('a full replay from offset 0 leaves Redis and ClickHouse exactly as they were', async () => {
    const before = await clockStates();
    await replayFromZero();
    const metrics = await (await fetch(`${pipeline!.url}/metrics`)).text();
    // The replay really happened (every event consumed again) and changed nothing.
    expect(metrics).toMatch(new RegExp(`utklar_events_consumed_total\\{consumer="${clockGroup}"\\} ${sent}\\b`));
    expect(metrics).toMatch(/utklar_clock_updates_total 0\b/);
    expect(await appliedTotal()).toBe(sent);
    expect(await clickhouseCounts()).toEqual({ rows: sent, ids: sent });
    expect(await clockStates()).toEqual(before);
  });

  it('a rebuild from Kafka after Redis lost the clocks gives the same states and versions', async () => {
    const before = await clockStates();
    await pipeline!.stop();
    const lost = await keysOf(k.every('clock:*'));
    expect(lost.length).toBeGreaterThan(0);
    await redis.unlink(...lost);
    await replayFromZero();
    const metrics = await (await fetch(`${pipeline!.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`utklar_events_consumed_total\\{consumer="${clockGroup}"\\} ${sent}\\b`));
    expect(await appliedTotal()).toBe(sent);
    // A version counts applied changes: one event applied twice anywhere (here or in the killed
    // run above) would leave a version apart.
    expect(await clockStates()).toEqual(before);
    expect(await clickhouseCounts()).toEqual({ rows: sent, ids: sent });
  });

  async function replayFromZero(): Promise<void> {
    await pipeline!.stop();
    const admin = kafka.admin();
    await admin.connect();
    for (const groupId of groups) {
      await waitFor(`${groupId} to be empty`, async () => ((await admin.describeGroups([groupId])).groups[0]!.members.length === 0 ? true : undefined));
    }
    // Deleting the groups replays from the start (kafkajs's resetOffsets was seen to miss partitions).
    await admin.deleteGroups(groups);
    await admin.disconnect();
    pipeline = new PipelineProcess(env);
    await pipeline.healthy();
    await drained();
  }
});
