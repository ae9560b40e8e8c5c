import type { ClickHouseClient } from '@clickhouse/client';
import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import { namespaceKeys } from '../support/clock-redis.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Where any of the needles (personnummer in every spelling, the sources' episode ids) occurs in a
 * text. The simulator's episode ids read `VT-<seed>-<n>`: upper-case letters, then numbers joined
 * by dashes; the pseudonyms that replace them are lower-case hex.
 */
export function findNeedles(where: string, text: string, needles: Set<string>, found: string[], episodeIds: Set<string> = new Set()): void {
  for (const m of text.matchAll(/\d{6,8}-?\d{4}/g)) {
    if (needles.has(m[0])) {
      found.push(`${where}: a personnummer`);
      break;
    }
  }
  if (episodeIds.size === 0) return;
  for (const m of text.matchAll(/[A-Z]+(?:-[0-9]+)+/g)) {
    if (episodeIds.has(m[0])) {
      found.push(`${where}: a source episode id`);
      return;
    }
  }
}

/**
 * Scans everything the run wrote — every topic of the namespace, every Redis key and value,
 * every ClickHouse table, every service log — for the simulated patients' personnummer and the
 * source systems' episode ids.
 */
export async function scanForPersonalData(o: { kafka: Kafka; redis: Redis; ch: ClickHouseClient; namespace: string; database: string; logs: Record<string, string>; needles: string[]; episodeIds: string[] }): Promise<string[]> {
  const needles = new Set(o.needles);
  const ids = new Set(o.episodeIds);
  const findIn = (where: string, text: string, n: Set<string>, f: string[]) => findNeedles(where, text, n, f, ids);
  const found: string[] = [];
  for (const [name, text] of Object.entries(o.logs)) findIn(`log of ${name}`, text, needles, found);

  for (const key of await namespaceKeys(o.redis, o.namespace)) {
    findIn(`redis key ${key}`, key, needles, found);
    const type = await o.redis.type(key);
    const value = type === 'hash' ? JSON.stringify(await o.redis.hgetall(key))
      : type === 'set' ? (await o.redis.smembers(key)).join(' ')
      : type === 'zset' ? (await o.redis.zrange(key, '0', '-1')).join(' ')
      : type === 'stream' ? JSON.stringify(await o.redis.xrange(key, '-', '+'))
      : type === 'list' ? (await o.redis.lrange(key, 0, -1)).join(' ')
      : String(await o.redis.get(key));
    findIn(`redis ${key}`, value, needles, found);
  }

  const tables = await (await o.ch.query({ query: `SELECT name FROM system.tables WHERE database = '${o.database}' AND engine NOT LIKE '%View%'`, format: 'JSONEachRow' })).json<{ name: string }>();
  for (const { name } of tables) {
    findIn(`clickhouse ${name}`, await (await o.ch.query({ query: `SELECT * FROM ${o.database}.${name}`, format: 'TabSeparated' })).text(), needles, found);
  }

  const admin = o.kafka.admin();
  await admin.connect();
  const names = (await admin.listTopics()).filter((t) => t.startsWith(`${o.namespace}.`));
  const ends = await Promise.all(names.map(async (t) => (await admin.fetchTopicOffsets(t)).reduce((s, p) => s + Number(p.high) - Number(p.low), 0)));
  await admin.disconnect();
  const consumer = o.kafka.consumer({ groupId: `chaos-pii-scan-${Math.random()}` });
  let read = 0;
  await consumer.connect();
  await consumer.subscribe({ topics: names, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        read++;
        const text = `${m.key?.toString('latin1') ?? ''} ${m.value?.toString('latin1') ?? ''} ${JSON.stringify(m.headers ?? {})}`;
        findIn(`topic ${batch.topic}`, text, needles, found);
      }
    },
  });
  // The end offsets bound what is there (transaction markers take offsets too): read until the
  // count stops growing for 3 s.
  const total = ends.reduce((a, b) => a + b, 0);
  let last = -1;
  for (let i = 0, quiet = 0; i < 1800 && quiet < 30; i++, await sleep(100)) {
    quiet = read === last && read > 0 ? quiet + 1 : 0;
    last = read;
  }
  await consumer.disconnect();
  if (read === 0 && total > 0) found.push(`topics: nothing read of ${total} offsets`);

  return [...new Set(found)];
}
