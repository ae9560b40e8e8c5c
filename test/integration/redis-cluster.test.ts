import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../services/api/auth.ts';
import { topics } from '../../services/core/config.ts';
import { scanKeys, type RedisLike } from '../../services/core/redis.ts';
import { openClickHouse } from '../../services/sink-clickhouse/clickhouse.ts';
import { parseScope } from '../../services/model/scope.ts';
import { appliedEvents, dueTimers, namespaceKeys, outboxLength } from '../support/clock-redis.ts';
import { API_SECRET, configOf, isolatedEnv, waitFor } from '../support/env.ts';
import { PipelineProcess, runCli } from '../support/processes.ts';
import { startRedisCluster, type RedisClusterHandle } from '../support/redis-cluster.ts';

/**
 * The same events through two pipelines at once: one on a single Redis, one on a 3-master Redis
 * Cluster (ioredis Cluster). Every Lua step and pipeline touches one partition's hash slot, so the
 * cluster run must end key for key as the single one, timers included, with the same board,
 * status and ClickHouse rows; and its keys must really be spread over the masters.
 */
describe('Redis Cluster: the pipeline on three masters ends as on one Redis', () => {
  const base = isolatedEnv('server', { UTKLAR_EVICT_EVERY_MS: '0', LOG_LEVEL: 'warn' });
  const config = configOf(base);
  const t = topics(config.namespace);
  const basePort = Number(process.env.UTKLAR_REDIS_CLUSTER_PORT ?? '17101');
  let cluster: RedisClusterHandle;
  let onCluster: Cluster;
  const onSingle = new Redis(config.redisUrl);
  const pipelines: Record<'single' | 'cluster', PipelineProcess | undefined> = { single: undefined, cluster: undefined };
  const groupOf = (run: string) => `${config.namespace}-${run}.clock`;
  let sent = 0;

  beforeAll(async () => {
    cluster = await startRedisCluster({ basePort });
    onCluster = new Cluster(cluster.nodes);
    const file = path.join(os.tmpdir(), `utklar-cluster-${config.namespace}.ndjson`);
    const sim = await runCli(['simulate', '--rate', '200', '--days', '12', '--seed', '23', '--from', '2026-03-20T00:00:00Z'], base);
    writeFileSync(file, sim.stdout);
    const produced = await runCli(['produce', '--file', file], base);
    expect(produced.code, produced.stderr).toBe(0);
    sent = JSON.parse(produced.stdout.trim()).sent;
    pipelines.single = new PipelineProcess({ ...base, UTKLAR_GROUP_PREFIX: `${config.namespace}-single`, CLICKHOUSE_DATABASE: `${base.CLICKHOUSE_DATABASE}_single` });
    pipelines.cluster = new PipelineProcess({
      ...base, UTKLAR_GROUP_PREFIX: `${config.namespace}-cluster`, CLICKHOUSE_DATABASE: `${base.CLICKHOUSE_DATABASE}_cluster`,
      REDIS_CLUSTER: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(','), UTKLAR_HTTP_PORT: String(Number(base.UTKLAR_HTTP_PORT) + 1),
    });
    await Promise.all(Object.values(pipelines).map((p) => p!.healthy()));
  }, 180_000);

  afterAll(async () => {
    for (const p of Object.values(pipelines)) await p?.stop();
    onCluster?.disconnect();
    await cluster?.stop();
    const keys = await namespaceKeys(onSingle, config.namespace);
    for (let i = 0; i < keys.length; i += 1000) await onSingle.unlink(...keys.slice(i, i + 1000));
    onSingle.disconnect();
    for (const run of ['single', 'cluster']) {
      await fetch(`${base.CLICKHOUSE_URL}/`, { method: 'POST', body: `DROP DATABASE IF EXISTS ${base.CLICKHOUSE_DATABASE}_${run}` }).catch(() => undefined);
    }
  });

  /** Every key with its content; wall-clock bookkeeping and the transient outbox left out. */
  async function dump(redis: RedisLike, run: string): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    const keys = (await namespaceKeys(redis, config.namespace))
      .filter((k) => !k.endsWith(':clock:outbox') && !k.endsWith(':clock:recent') && !k.endsWith(':health:heartbeats'));
    for (let i = 0; i < keys.length; i += 200) {
      await Promise.all(keys.slice(i, i + 200).map(async (key) => {
        const type = await redis.type(key);
        out[key.replace(groupOf(run), '<group>')] =
          type === 'hash' ? Object.fromEntries(Object.entries(await redis.hgetall(key)).sort(([a], [b]) => a.localeCompare(b)))
          : type === 'set' ? (await redis.smembers(key)).sort()
          : type === 'zset' ? await redis.zrange(key, '0', '-1', 'WITHSCORES')
          : type === 'string' ? await redis.get(key)
          : type;
      }));
    }
    return out;
  }

  /** Both runs applied every event, published their outboxes and announced every due boundary. */
  async function settled(): Promise<true | undefined> {
    for (const [run, redis] of [['single', onSingle], ['cluster', onCluster]] as const) {
      if (pipelines[run]!.child.exitCode !== null) throw new Error(`the ${run} pipeline exited: ${pipelines[run]!.output.slice(-2000)}`);
      if ((await appliedEvents(redis, config.namespace, groupOf(run), t.patientEvents)) < sent) return undefined;
      if ((await outboxLength(redis, config.namespace)) > 0 || (await dueTimers(redis, config.namespace, Date.now())) > 0) return undefined;
    }
    return true;
  }

  it('ends key for key as the single Redis, timers and indexes included', async () => {
    expect(sent).toBeGreaterThan(3000);
    await waitFor('both runs settled', settled, 300_000);
    // A midnight passing between the two dumps would let one side announce one more day: dump
    // again until both are taken with nothing due.
    const [a, b] = await waitFor('two dumps with nothing due in between', async () => {
      const pair = [await dump(onSingle, 'single'), await dump(onCluster, 'cluster')] as const;
      return (await settled()) ? pair : undefined;
    }, 60_000);
    expect(Object.keys(a).length).toBeGreaterThan(1000);
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    expect(b).toEqual(a);
  }, 420_000);

  it('spreads the partitions over the three masters, each partition whole on one of them', async () => {
    const masters = onCluster.nodes('master');
    expect(masters).toHaveLength(3);
    const tagsOn = await Promise.all(masters.map(async (node) => new Set((await scanKeys(node, `{${config.namespace}:p*`)).map((k) => k.slice(0, k.indexOf('}') + 1)))));
    expect(tagsOn.filter((tags) => tags.size > 0).length).toBeGreaterThanOrEqual(2);
    const all = tagsOn.flatMap((tags) => [...tags]);
    // A hash tag's keys share one slot: no partition is found on two masters.
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(12);
  });

  it('answers the board, /status and ClickHouse alike', async () => {
    const token = mintToken(parseScope('region:18'), API_SECRET, { subject: 'test', ttlSeconds: 600 });
    const board = async (p: PipelineProcess) => {
      const body = (await (await fetch(`${p.url}/board?region=18`, { headers: { authorization: `Bearer ${token}` } })).json()) as { episodes: unknown[] };
      return body.episodes;
    };
    const [single, clustered] = [await board(pipelines.single!), await board(pipelines.cluster!)];
    expect(single.length).toBeGreaterThan(10);
    expect(clustered).toEqual(single);
    const status = async (p: PipelineProcess) => ((await (await fetch(`${p.url}/status`)).json()) as { redis: unknown }).redis;
    expect(await status(pipelines.cluster!)).toEqual(await status(pipelines.single!));
    const { client } = await openClickHouse(config);
    try {
      const counts = async (db: string) => (await (await client.query({
        query: `SELECT (SELECT toString(count()) FROM ${db}.events FINAL) AS events, (SELECT toString(count()) FROM ${db}.episode_facts FINAL) AS facts`,
        format: 'JSONEachRow',
      })).json<{ events: string; facts: string }>())[0];
      const [s, c] = [await counts(`${base.CLICKHOUSE_DATABASE}_single`), await counts(`${base.CLICKHOUSE_DATABASE}_cluster`)];
      expect(Number(s!.events)).toBe(sent);
      expect(c).toEqual(s);
    } finally {
      await client.close();
    }
  });
});
