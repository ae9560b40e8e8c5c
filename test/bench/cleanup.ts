import { rmSync } from 'node:fs';
import { createClient } from '@clickhouse/client';
import { Redis } from 'ioredis';
import type { Config } from '../../services/core/config.ts';
import { createKafka } from '../../services/kafka/client.ts';
import { deleteNamespace } from './redis-memory.ts';

/**
 * Removes everything a benchmark run made on the shared stack: its consumer groups, topics and
 * schema subjects (whatever carries the namespace's prefix, not a fixed list: the pipeline may
 * grow topics, groups and schemas this file does not know of), its Redis keys, and its ClickHouse
 * database or chDB directory. Run it after the run's pipeline has stopped (a group with members
 * cannot be deleted). Each step is tried on its own; what failed is returned, not thrown.
 */
export async function removeRun(config: Config): Promise<string[]> {
  const ns = config.namespace;
  const mine = (name: string) => name.startsWith(`${ns}.`);
  const failures: string[] = [];
  const attempt = async (what: string, f: () => Promise<unknown>) => {
    try {
      await f();
    } catch (e) {
      failures.push(`${what}: ${(e as Error).message}`);
    }
  };
  const admin = createKafka(config, `${ns}-cleanup`).admin();
  await attempt('connecting to Kafka', () => admin.connect());
  await attempt('deleting consumer groups', async () => {
    const ids = (await admin.listGroups()).groups.map((g) => g.groupId).filter(mine);
    if (ids.length > 0) await admin.deleteGroups(ids);
  });
  await attempt('deleting topics', async () => {
    const names = (await admin.listTopics()).filter(mine);
    if (names.length > 0) await admin.deleteTopics({ topics: names });
  });
  await admin.disconnect().catch(() => undefined);
  await attempt('deleting schema subjects', async () => {
    const subjects = ((await (await fetch(`${config.registryUrl}/subjects`)).json()) as string[]).filter(mine);
    for (const name of subjects) {
      const subject = `${config.registryUrl}/subjects/${encodeURIComponent(name)}`;
      // Soft delete first: the Confluent API refuses a permanent delete of a live subject.
      await fetch(subject, { method: 'DELETE' });
      await fetch(`${subject}?permanent=true`, { method: 'DELETE' });
    }
  });
  const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 5 });
  await attempt('deleting Redis keys', async () => {
    await redis.connect();
    await deleteNamespace(redis, ns);
  });
  redis.disconnect();
  if (config.clickhouseUrl) {
    // ClickHouse 18.16 took over 5 minutes to drop a database after a 500 000-event run (its
    // merges are stopped first); fetch gives up on a silent server after 300 s, this client
    // can be told to wait longer.
    const ch = createClient({
      url: config.clickhouseUrl,
      username: config.clickhouseUser,
      password: config.clickhousePassword,
      request_timeout: 20 * 60_000,
      // Progress headers keep a long-silent response alive (and the client asks for them).
      clickhouse_settings: { send_progress_in_http_headers: 1, http_headers_progress_interval_ms: '10000' },
    });
    await attempt('dropping the ClickHouse database', () => ch.command({ query: `DROP DATABASE IF EXISTS ${config.clickhouseDatabase}` }));
    await ch.close();
  } else {
    rmSync(config.chdbPath, { recursive: true, force: true });
  }
  return failures;
}
