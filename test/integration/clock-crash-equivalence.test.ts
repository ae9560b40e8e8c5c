import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../services/core/config.ts';
import { ClockStore } from '../../services/store/clock-store.ts';
import { OREBRO_RULES } from '../../services/clock/rules.ts';
import { Rng } from '../../services/simulator/rng.ts';
import { GiveUp, configOf, isolatedEnv, waitFor } from '../support/env.ts';
import { appliedEvents, namespaceKeys, outboxLength } from '../support/clock-redis.ts';
import { PipelineProcess, runCli } from '../support/processes.ts';
import { readTopicsToEnd } from '../support/read-topics.ts';
import { createKafka } from '../../services/kafka/client.ts';
import { openClickHouse } from '../../services/sink-clickhouse/clickhouse.ts';

/**
 * The clock service replays ≥ 100 000 simulated events twice into two Redis databases and two
 * ClickHouse databases: once undisturbed by one process, once by two processes in one consumer
 * group, a third joining mid-replay and one of them killed with SIGKILL at each of three random
 * points (and replaced). Both must end the same (issue #16): Redis key for key, the changelog
 * each run committed (read_committed, by changeId: every version of every episode once, no gap,
 * the same bytes), and the ClickHouse event rows and episode facts: every transition applied
 * and published exactly once, whatever was cut off mid-batch or moved in a rebalance.
 */
describe('clock service: SIGKILL and rebalances among processes during a 100 000-event replay change no key', () => {
  const base = isolatedEnv('server', { UTKLAR_CONSUMERS: 'clock', UTKLAR_EVICT_EVERY_MS: '0', UTKLAR_TIMERS_EVERY_MS: '0', LOG_LEVEL: 'warn' });
  const config = configOf(base);
  const t = topics(config.namespace);
  // Each run has its own consumer group (UTKLAR_GROUP_PREFIX), so the second replays from offset 0
  // without depending on deleting or resetting the first one's group.
  const groupFor = (run: string) => `${config.namespace}-${run}.clock`;
  const redisUrl = (db: number) => `${config.redisUrl}/${db}`;
  const clean = new Redis(redisUrl(1));
  const crashed = new Redis(redisUrl(2));
  const rng = new Rng(Number(process.env.UTKLAR_TEST_SEED ?? Date.now() % 100_000));
  let sent = 0;
  let pipeline: PipelineProcess | undefined;
  /** The crashed run's processes: one group, one HTTP port each. */
  const running: PipelineProcess[] = [];
  let started = 0;
  // Each run its own ClickHouse database too: the rows are compared run against run.
  const databaseOf = (run: string) => `${config.clickhouseDatabase}_${run}`;
  /** Which run each pipeline process belonged to: the changelog's writer header names the pid. */
  const runOfPid = new Map<number, string>();
  const track = (p: PipelineProcess, run: string) => (runOfPid.set(p.child.pid!, run), p);
  const crashedProcess = () => track(new PipelineProcess({ ...base, LOG_LEVEL: 'info', REDIS_URL: redisUrl(2), CLICKHOUSE_DATABASE: databaseOf('crashed'), UTKLAR_GROUP_PREFIX: `${config.namespace}-crashed`, UTKLAR_HTTP_PORT: String(Number(base.UTKLAR_HTTP_PORT) + 1 + started++) }), 'crashed');
  const killedAt: number[] = [];
  const killedPids: number[] = [];
  /** Every crashed-run process's output, the killed ones' too. */
  const outputs: string[] = [];

  const applied = (redis: Redis, run: string) => appliedEvents(redis, config.namespace, groupFor(run), t.patientEvents);
  /** A process of the run that died on its own ends the wait at once, with its output, rather than after four minutes. */
  const alive = (procs: PipelineProcess[]) => {
    const dead = procs.find((p) => p.child.exitCode !== null);
    if (dead) throw new GiveUp(`a pipeline process exited ${dead.child.exitCode}: ${dead.output.slice(-2000)}`);
  };
  const untilApplied = (redis: Redis, run: string, procs: () => PipelineProcess[]) =>
    waitFor(`every event applied (${run})`, async () => {
      alive(procs());
      const n = await applied(redis, run);
      // Thrown, not returned: a timeout then says how far the run got (stuck, or only slow), and
      // what its processes last said (a CI run once found a clean run at 0 applied after 240 s).
      if (n < sent) throw new Error(`${n} of ${sent} applied; the processes' last output: ${procs().map((p) => p.output.slice(-1500)).join('\n---\n')}`);
      return true;
    }, 240_000);

  /** Every outbox entry published and its episode fact stored (an entry leaves the outbox only then). */
  const untilPublished = (redis: Redis, run: string, procs: () => PipelineProcess[]) =>
    waitFor(`every outbox entry published and stored (${run})`, async () => {
      alive(procs());
      const n = await outboxLength(redis, config.namespace);
      if (n > 0) throw new Error(`${n} outbox entries left`);
      return true;
    }, 240_000);

  /** Every key of this namespace with its full content, in a comparable form. */
  async function dump(redis: Redis): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const key of await namespaceKeys(redis, config.namespace)) {
      // The outbox is transient (drained to Kafka as it fills); the changelog test covers it.
      // Timers fire at wall-clock time, so the worker is off here (clock-service.test.ts covers it).
      if (key.endsWith(':clock:outbox')) continue;
      // Wall-clock bookkeeping (when an episode last changed, when a service last reported).
      if (key.endsWith(':clock:recent') || key.endsWith(':health:heartbeats')) continue;
      const type = await redis.type(key);
      // JSON fields parsed, so a difference shows as the field that differs.
      const parse = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([f, v]) => [f, v.startsWith('{') ? JSON.parse(v) : v]));
      out[key] =
        type === 'hash' ? parse(await redis.hgetall(key))
        : type === 'set' ? (await redis.smembers(key)).sort()
        : type === 'zset' ? await redis.zrange(key, '0', '-1', 'WITHSCORES')
        : `${type}:${await redis.get(key)}`;
    }
    return out;
  }

  beforeAll(async () => {
    const file = path.join(os.tmpdir(), `utklar-clock-${config.namespace}.ndjson`);
    const sim = await runCli(['simulate', '--rate', '600', '--days', '65', '--seed', '11', '--from', '2026-01-01T00:00:00Z'], base);
    writeFileSync(file, sim.stdout);
    const produced = await runCli(['produce', '--file', file], base);
    expect(produced.code, produced.stderr).toBe(0);
    sent = JSON.parse(produced.stdout.trim()).sent;
  }, 120_000);

  afterAll(async () => {
    await pipeline?.stop();
    for (const p of running) await p.stop();
    for (const redis of [clean, crashed]) {
      const keys = await namespaceKeys(redis, config.namespace);
      for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
      redis.disconnect();
    }
  });

  it('ends in the same state as an undisturbed run', async () => {
    expect(sent).toBeGreaterThanOrEqual(100_000);

    pipeline = track(new PipelineProcess({ ...base, REDIS_URL: redisUrl(1), CLICKHOUSE_DATABASE: databaseOf('clean'), UTKLAR_GROUP_PREFIX: `${config.namespace}-clean` }), 'clean');
    await untilApplied(clean, 'clean', () => [pipeline!]);
    await untilPublished(clean, 'clean', () => [pipeline!]);
    await pipeline.stop();

    const cuts = [rng.uniform(0.05, 0.3), rng.uniform(0.35, 0.6), rng.uniform(0.65, 0.95)].map((f) => Math.floor(f * sent));
    running.push(crashedProcess(), crashedProcess());
    for (const [i, cut] of cuts.entries()) {
      await waitFor(`progress past ${cut}`, async () => (alive(running), (await applied(crashed, 'crashed')) >= cut ? true : undefined), 240_000);
      // A third process joins mid-replay: the group rebalances while batches are under way.
      if (i === 0) running.push(crashedProcess());
      const [victim] = running.splice(rng.int(0, running.length - 1), 1);
      killedPids.push(victim!.child.pid!);
      victim!.child.kill('SIGKILL');
      await new Promise((r) => victim!.child.once('exit', r));
      outputs.push(`#pid ${victim!.child.pid}\n${victim!.output}`);
      killedAt.push(await applied(crashed, 'crashed'));
      // Its replacement joins while the others go on (its partitions moved to them meanwhile).
      running.push(crashedProcess());
    }
    await untilApplied(crashed, 'crashed', () => running);
    await untilPublished(crashed, 'crashed', () => running);
    for (const p of running) expect(p.child.exitCode, p.output.slice(-2000)).toBeNull();
    for (const p of running.splice(0)) {
      await p.stop();
      outputs.push(`#pid ${p.child.pid}\n${p.output}`);
    }

    // Sweeps run only here, once on each side, so both dumps see the same retention cut-off.
    for (const [redis, run] of [[clean, 'clean'], [crashed, 'crashed']] as const) {
      await new ClockStore(redis, config.namespace, groupFor(run), t.patientEvents, OREBRO_RULES).evictSettled(Date.now());
    }
    expect(killedAt.every((n) => n < sent)).toBe(true);
    // The replay-guard keys are named after each run's group; compare them by content.
    const rename = (d: Record<string, unknown>, run: string) =>
      Object.fromEntries(Object.entries(d).map(([k, v]) => [k.replace(groupFor(run), '<group>'), v]));
    const [a, b] = [rename(await dump(clean), 'clean'), rename(await dump(crashed), 'crashed')];
    expect(Object.keys(a).length).toBeGreaterThan(1000);
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const key of Object.keys(a)) expect(b[key], key).toEqual(a[key]);

    // The changelog as a subscriber sees it (read_committed), each message to its run by the
    // writer's pid: per run every changeId once, every episode's versions 1…n without a gap, and
    // both runs the same messages.
    const changelog = { clean: new Map<string, string>(), crashed: new Map<string, string>() };
    const writers = new Map<string, string>();
    const duplicates: string[] = [];
    const unknownWriters = new Set<string>();
    await readTopicsToEnd(createKafka(config, 'crash-equivalence-reader'), [t.episodeState], (_, m) => {
      const writer = String(m.headers?.['utklar-writer'] ?? '');
      const run = runOfPid.get(Number(writer.split('/')[1])) as keyof typeof changelog | undefined;
      if (!run) return void unknownWriters.add(writer);
      const id = String(m.headers?.['message-id'] ?? '');
      // Which writers sent it (pid/generation), so a duplicate says whose handover it came from.
      if (changelog[run].has(id)) duplicates.push(`${run}: ${id} (${writers.get(`${run}:${id}`)} then ${writer.split('/').slice(1).join('/')})`);
      changelog[run].set(id, `${String(m.key)}|${m.value!.toString('base64')}`);
      writers.set(`${run}:${id}`, writer.split('/').slice(1).join('/'));
    }, 5_000);
    expect([...unknownWriters], 'changelog messages of a process neither run started').toEqual([]);
    // On a failure: each process's takeovers, assignments and Kafka trouble, to tell whose handover it was.
    const warnings = outputs.flatMap((o) => o.split('\n').filter((l) => /#pid|taken over|fenced|partitions assigned|retrying|failed|kafkajs/i.test(l)).map((l) => l.slice(0, 600))).slice(-60);
    expect(duplicates.slice(0, 20), `a changeId committed twice by one run (${duplicates.length}; pids killed ${JSON.stringify(killedPids)}); the processes' outbox lines:\n${warnings.join('\n')}`).toEqual([]);
    const versions = new Map<string, number[]>();
    for (const id of changelog.clean.keys()) {
      const at = id.lastIndexOf(':');
      versions.set(id.slice(0, at), [...(versions.get(id.slice(0, at)) ?? []), Number(id.slice(at + 1))]);
    }
    const gaps = [...versions].filter(([, v]) => v.sort((x, y) => x - y).some((n, i) => n !== i + 1)).map(([e, v]) => `${e}: ${v.join(',')}`);
    expect(gaps, 'an episode whose versions have a gap').toEqual([]);
    expect(changelog.clean.size).toBeGreaterThan(50_000);
    expect([...changelog.crashed.keys()].sort()).toEqual([...changelog.clean.keys()].sort());
    const differing = [...changelog.clean].filter(([id, v]) => changelog.crashed.get(id) !== v).map(([id]) => id);
    expect(differing, 'changelog messages whose key or bytes differ between the runs').toEqual([]);

    // ClickHouse: the event rows and each episode's latest fact, row for row (ingestion time aside).
    const { client } = await openClickHouse(config);
    try {
      const read = async (db: string, query: string) => (await (await client.query({ query: query.replaceAll('{db}', db), format: 'JSONEachRow' })).json<Record<string, unknown>>());
      const factColumns = (await read(databaseOf('clean'), 'DESCRIBE TABLE {db}.episode_facts')).map((c) => String(c.name)).filter((c) => c !== 'ingested_at');
      for (const query of [
        'SELECT event_id, event_type, occurred_at_ms, episode_id, payload FROM {db}.events FINAL ORDER BY event_id',
        `SELECT ${factColumns.join(', ')} FROM {db}.episode_facts FINAL ORDER BY episode_id`,
      ]) {
        const [x, y] = [await read(databaseOf('clean'), query), await read(databaseOf('crashed'), query)];
        expect(x.length, query).toBeGreaterThan(1000);
        expect(y.length, query).toBe(x.length);
        const firstDiff = x.findIndex((row, i) => JSON.stringify(row) !== JSON.stringify(y[i]));
        expect(firstDiff === -1 ? null : { clean: x[firstDiff], crashed: y[firstDiff] }, query).toBeNull();
      }
    } finally {
      for (const run of ['clean', 'crashed']) await client.command({ query: `DROP DATABASE IF EXISTS ${databaseOf(run)}` }).catch(() => undefined);
      await client.close();
    }
  }, 900_000);
});
