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
import { appliedEvents, namespaceKeys } from '../support/clock-redis.ts';
import { PipelineProcess, runCli } from '../support/processes.ts';

/**
 * The clock service replays ≥ 100 000 simulated events twice into two Redis databases: once
 * undisturbed by one process, once by two processes in one consumer group, a third joining
 * mid-replay and one of them killed with SIGKILL at each of three random points (and replaced).
 * Both must end key for key the same: every transition applied exactly once, whatever was cut
 * off mid-batch or moved to another process in a rebalance.
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
  const crashedProcess = () => new PipelineProcess({ ...base, REDIS_URL: redisUrl(2), UTKLAR_GROUP_PREFIX: `${config.namespace}-crashed`, UTKLAR_HTTP_PORT: String(Number(base.UTKLAR_HTTP_PORT) + 1 + started++) });
  const killedAt: number[] = [];

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
      // Thrown, not returned: a timeout then says how far the run got (stuck, or only slow).
      if (n < sent) throw new Error(`${n} of ${sent} applied`);
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

    pipeline = new PipelineProcess({ ...base, REDIS_URL: redisUrl(1), UTKLAR_GROUP_PREFIX: `${config.namespace}-clean` });
    await untilApplied(clean, 'clean', () => [pipeline!]);
    await pipeline.stop();

    const cuts = [rng.uniform(0.05, 0.3), rng.uniform(0.35, 0.6), rng.uniform(0.65, 0.95)].map((f) => Math.floor(f * sent));
    running.push(crashedProcess(), crashedProcess());
    for (const [i, cut] of cuts.entries()) {
      await waitFor(`progress past ${cut}`, async () => (alive(running), (await applied(crashed, 'crashed')) >= cut ? true : undefined), 240_000);
      // A third process joins mid-replay: the group rebalances while batches are under way.
      if (i === 0) running.push(crashedProcess());
      const [victim] = running.splice(rng.int(0, running.length - 1), 1);
      victim!.child.kill('SIGKILL');
      await new Promise((r) => victim!.child.once('exit', r));
      killedAt.push(await applied(crashed, 'crashed'));
      // Its replacement joins while the others go on (its partitions moved to them meanwhile).
      running.push(crashedProcess());
    }
    await untilApplied(crashed, 'crashed', () => running);
    for (const p of running) expect(p.child.exitCode, p.output.slice(-2000)).toBeNull();
    for (const p of running.splice(0)) await p.stop();

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
  }, 600_000);
});
