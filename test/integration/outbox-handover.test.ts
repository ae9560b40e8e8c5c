import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { topics } from '../../services/core/config.ts';
import { consumerLag } from '../../services/kafka/lag.ts';
import { outboxLength, stateKeys } from '../support/clock-redis.ts';
import { configOf, isolatedEnv, waitFor } from '../support/env.ts';
import { PipelineProcess, runCli } from '../support/processes.ts';
import { readTopicsToEnd } from '../support/read-topics.ts';

/**
 * A process is SIGKILLed while its outbox holds entries Kafka already has: ClickHouse is out of
 * its reach, so their episode facts are never stored and the entries never deleted. The process
 * taking its partitions over must not send them again: under read_committed the changelog holds
 * every version of every episode exactly once (the outbox progress committed with each
 * transaction says how far Kafka has it).
 */
describe('outbox handover: a new owner sends nothing Kafka already has', () => {
  const env = isolatedEnv('server', { UTKLAR_EVICT_EVERY_MS: '0', LOG_LEVEL: 'warn' });
  const config = configOf(env);
  const t = topics(config.namespace);
  const kafka = new Kafka({ clientId: 'handover-test', brokers: config.kafkaBrokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const redis = new Redis(config.redisUrl);
  const processes: PipelineProcess[] = [];

  afterAll(async () => {
    for (const p of processes) await p.stop();
    await admin.disconnect();
    redis.disconnect();
  });

  async function changeIds(): Promise<string[]> {
    const ids: string[] = [];
    await readTopicsToEnd(kafka, [t.episodeState], (_, message) => ids.push(message.headers!['message-id']!.toString()));
    return ids;
  }

  it('leaves every version in the changelog once after a SIGKILL with sent entries still in the outbox', async () => {
    await admin.connect();
    const sim = await runCli(['simulate', '--rate', '100', '--days', '10', '--seed', '41', '--from', '2026-05-01T00:00:00Z'], env);
    const file = path.join(os.tmpdir(), `utklar-handover-${config.namespace}.ndjson`);
    writeFileSync(file, sim.stdout);
    // Nothing listens on port 9: the rows wait in the buffer, the outbox entries for their facts.
    const cut = new PipelineProcess({ ...env, CLICKHOUSE_URL: 'http://127.0.0.1:9' });
    processes.push(cut);
    await cut.healthy();
    const produced = await runCli(['produce', '--file', file], env);
    expect(produced.code, produced.stderr).toBe(0);
    const sentBefore = await waitFor('changes published, their entries kept', async () => {
      const ids = await changeIds();
      return ids.length > 500 && (await outboxLength(redis, config.namespace)) > 500 ? ids.length : undefined;
    }, 120_000);
    cut.child.kill('SIGKILL');
    await new Promise((r) => cut.child.once('exit', r));
    expect(await outboxLength(redis, config.namespace)).toBeGreaterThanOrEqual(sentBefore);

    const next = new PipelineProcess({ ...env, UTKLAR_HTTP_PORT: String(Number(env.UTKLAR_HTTP_PORT) + 1) });
    processes.push(next);
    await waitFor('the new owner caught up, its outbox drained', async () =>
      (await consumerLag(admin, `${config.namespace}.clock`, t.patientEvents)) === 0 && (await outboxLength(redis, config.namespace)) === 0 ? true : undefined, 180_000);

    const ids = await changeIds();
    const once = new Set(ids);
    expect(ids.length - once.size).toBe(0);
    const missing: string[] = [];
    for (const [id, key] of await stateKeys(redis, config.namespace)) {
      const version = Number(await redis.hget(key, 'version'));
      for (let n = 1; n <= version; n++) if (!once.has(`${id}:${n}`)) missing.push(`${id}:${n}`);
    }
    expect(missing).toEqual([]);
    expect(once.size).toBeGreaterThanOrEqual(sentBefore);
  }, 420_000);
});
