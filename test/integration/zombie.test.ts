import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../services/core/config.ts';
import { consumerLag } from '../../services/kafka/lag.ts';
import { appliedEvents, outboxLength, partitionKeys, stateKeys } from '../support/clock-redis.ts';
import { configOf, isolatedEnv, waitFor } from '../support/env.ts';
import { PipelineProcess, runCli } from '../support/processes.ts';
import { readTopicsToEnd } from '../support/read-topics.ts';

/**
 * Two pipeline processes share the consumer group. One is paused (SIGSTOP) while events flow,
 * past its 10 s session, so its partitions move to the other; then more events come and it is
 * woken (SIGCONT) in the middle of them. Woken, it still believes it owns its partitions for a
 * moment, with batches and outbox entries in hand. Nothing it then writes may count: under
 * read_committed no message of its old assignment appears that was not there before it woke
 * (the new owner's transactional producers fenced it), no episode's version goes back in
 * Redis, every event is applied once, and the changelog holds every version once.
 */
describe('a zombie: a process paused past its session writes nothing after its partitions moved', () => {
  const env = isolatedEnv('server', { UTKLAR_EVICT_EVERY_MS: '0', LOG_LEVEL: 'info' });
  const config = configOf(env);
  const t = topics(config.namespace);
  const group = `${config.namespace}.clock`;
  const kafka = new Kafka({ clientId: 'zombie-test', brokers: config.kafkaBrokers, logLevel: logLevel.NOTHING });
  const redis = new Redis(config.redisUrl);
  const admin = kafka.admin();
  const processes: PipelineProcess[] = [];
  const chunks: string[] = [];
  /** The changelog's changeIds (`<episodeId>:<version>`) as the last derivedMessages() read them. */
  const changeIds: string[] = [];
  let produced = 0;

  const produce = async (i: number) => {
    const r = await runCli(['produce', '--file', chunks[i]!], env);
    expect(r.code, r.stderr).toBe(0);
    produced += JSON.parse(r.stdout.trim()).sent as number;
  };
  /** The partitions a process last said it was assigned (its 'partitions assigned' log lines). */
  const assignedTo = (p: PipelineProcess): number[] | undefined => {
    const lines = p.output.split('\n').filter((l) => l.includes('"partitions assigned"'));
    return lines.length > 0 ? (JSON.parse(lines.at(-1)!) as { partitions: number[] }).partitions : undefined;
  };
  /** Every produced event applied and committed, and every outbox empty. */
  const caughtUp = async () =>
    (await consumerLag(admin, group, t.patientEvents)) === 0 && (await appliedEvents(redis, config.namespace, group, t.patientEvents)) >= produced && (await outboxLength(redis, config.namespace)) === 0 ? true : undefined;
  const versions = async () => {
    const out = new Map<string, number>();
    for (const [id, key] of await stateKeys(redis, config.namespace)) out.set(id, Number(await redis.hget(key, 'version')));
    return out;
  };
  /** Every derived message visible under read_committed: its writer header, and the changeIds. */
  async function derivedMessages(): Promise<string[]> {
    const writers: string[] = [];
    changeIds.length = 0;
    await readTopicsToEnd(kafka, [t.episodeState, t.clockEvents], (topic, message) => {
      writers.push(message.headers?.['utklar-writer']?.toString() ?? '');
      if (topic === t.episodeState) changeIds.push(message.headers!['message-id']!.toString());
    });
    return writers;
  }

  beforeAll(async () => {
    const sim = await runCli(['simulate', '--rate', '150', '--days', '30', '--seed', '31', '--from', '2026-04-01T00:00:00Z'], env);
    const lines = sim.stdout.trim().split('\n');
    // Three parts in event order: before the pause, while paused, while waking.
    for (const [i, [from, to]] of [[0, 0.4], [0.4, 0.7], [0.7, 1]].entries()) {
      const file = path.join(os.tmpdir(), `utklar-zombie-${config.namespace}-${i}.ndjson`);
      writeFileSync(file, lines.slice(Math.floor(from! * lines.length), Math.floor(to! * lines.length)).join('\n') + '\n');
      chunks.push(file);
    }
    await admin.connect();
    processes.push(new PipelineProcess(env), new PipelineProcess({ ...env, UTKLAR_HTTP_PORT: String(Number(env.UTKLAR_HTTP_PORT) + 1) }));
    await Promise.all(processes.map((p) => p.healthy()));
    await waitFor('both processes assigned partitions', async () => (processes.every((p) => (assignedTo(p)?.length ?? 0) > 0) ? true : undefined));
  }, 180_000);

  afterAll(async () => {
    for (const p of processes) {
      if (p.child.exitCode === null) p.child.kill('SIGCONT');
      await p.stop();
    }
    redis.disconnect();
    await admin.disconnect();
  });

  it('commits no message of its lost assignment and moves no version back', async () => {
    const [zombie, owner] = processes as [PipelineProcess, PipelineProcess];
    await produce(0);
    await waitFor('the first part applied', caughtUp, 120_000);

    // Paused in the middle of the second part: batches and outbox entries in hand.
    const second = produce(1);
    const pauseAt = produced + 1000;
    await waitFor('the second part under way', async () => ((await appliedEvents(redis, config.namespace, group, t.patientEvents)) >= pauseAt ? true : undefined), 120_000);
    zombie.child.kill('SIGSTOP');
    await second;
    await waitFor('the owner holding every partition', async () => (assignedTo(owner)?.length === 12 ? true : undefined), 60_000);
    await waitFor('the second part applied by the owner', caughtUp, 120_000);

    const mine = (writers: string[]) => writers.filter((w) => w.includes(`/${zombie.child.pid}/`));
    const before = mine(await derivedMessages());
    expect(before.length).toBeGreaterThan(0);
    const before0 = await versions();

    // Woken while the third part flows: it still thinks it owns its old partitions.
    const third = produce(2);
    zombie.child.kill('SIGCONT');
    await third;
    await waitFor('everything applied and published', caughtUp, 180_000).catch(async (e: Error) => {
      const warnings = (p: PipelineProcess) => p.output.split('\n').filter((l) => /"level":(40|50)/.test(l)).slice(-15).join('\n');
      const assignments = (p: PipelineProcess) => p.output.split('\n').filter((l) => l.includes('"partitions assigned"')).map((l) => `${JSON.parse(l).time}: ${JSON.stringify(JSON.parse(l).partitions)}`).join('\n');
      const perPartition = await Promise.all(partitionKeys(config.namespace).map((k) => redis.xlen(k.outbox)));
      throw new Error(`${e.message}: per partition ${JSON.stringify(perPartition)}\n--- assignments woken:\n${assignments(zombie)}\n--- owner:\n${assignments(owner)}\nlag ${await consumerLag(admin, group, t.patientEvents)}, outbox ${await outboxLength(redis, config.namespace)}, applied ${await appliedEvents(redis, config.namespace, group, t.patientEvents)} of ${produced}\n--- woken:\n${warnings(zombie)}\n--- owner:\n${warnings(owner)}`);
    });
    // It rejoined the group and owns partitions again (a new assignment, a new writer tag).
    await waitFor('the woken process re-admitted to the group', async () => ((assignedTo(zombie)?.length ?? 0) > 0 && (assignedTo(owner)?.length ?? 12) < 12 ? true : undefined), 60_000);
    expect(zombie.child.exitCode, zombie.output.slice(-3000)).toBeNull();

    const generationsBefore = new Set(before.map((w) => w.split('/').at(-1)));
    const after = mine(await derivedMessages()).filter((w) => generationsBefore.has(w.split('/').at(-1)));
    expect(after.length).toBe(before.length);

    const after0 = await versions();
    const wentBack = [...before0].filter(([id, v]) => (after0.get(id) ?? 0) < v);
    expect(wentBack).toEqual([]);
    // The changelog has every version of every episode once, none missing and none beyond
    // Redis's: the partitions moved twice, and their new owners sent nothing Kafka already had.
    const published = new Set(changeIds);
    expect(changeIds.length - published.size).toBe(0);
    const gaps: string[] = [];
    for (const [id, v] of after0) for (let n = 1; n <= v; n++) if (!published.has(`${id}:${n}`)) gaps.push(`${id}:${n}`);
    expect(gaps).toEqual([]);
    expect([...published].filter((c) => Number(c.slice(c.lastIndexOf(':') + 1)) > (after0.get(c.slice(0, c.lastIndexOf(':'))) ?? 0))).toEqual([]);
    // Each event applied once: the episodes' logs hold exactly the distinct events produced.
    let logged = 0;
    for (const key of (await stateKeys(redis, config.namespace)).values()) logged += await redis.hlen(`${key}:events`);
    expect(logged).toBe(produced);
  }, 600_000);
});
