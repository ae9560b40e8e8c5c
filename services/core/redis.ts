import { Cluster, Redis } from 'ioredis';

/** A single Redis or a Redis Cluster: the stores speak to either the same way. */
export type RedisLike = Redis | Cluster;

/**
 * Every key matching `pattern`. A cluster's keys are spread over its masters, and SCAN walks
 * one node's keyspace only, so each master is scanned in turn.
 */
export async function scanKeys(redis: RedisLike, pattern: string, count = 1000): Promise<string[]> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  const out: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      out.push(...keys);
    } while (cursor !== '0');
  }
  return out;
}

/** A lazily connecting client for the configured Redis: one node, or a cluster from its seeds. */
export function connectRedis(config: { redisUrl: string; redisCluster: { host: string; port: number }[] | null }): RedisLike {
  if (config.redisCluster) {
    return new Cluster(config.redisCluster, { lazyConnect: true, redisOptions: { maxRetriesPerRequest: 5 } });
  }
  return new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 5 });
}
