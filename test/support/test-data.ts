import { Redis } from 'ioredis';
import { configOf } from './env.ts';
import { namespaceKeys } from './clock-redis.ts';

/**
 * What a suite's pipeline left on the shared stack: its ClickHouse database and its Redis keys.
 * The global teardown clears every suite's t_* data, also other developers' running suites; run
 * alone (UTKLAR_TEST_UNIT_ONLY=1) a suite clears its own with this.
 */
export async function removeTestData(env: Record<string, string>): Promise<void> {
  await fetch(`${env.CLICKHOUSE_URL}/`, { method: 'POST', body: `DROP DATABASE IF EXISTS ${env.CLICKHOUSE_DATABASE}` }).catch(() => undefined);
  const redis = new Redis(configOf(env).redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const keys = await namespaceKeys(redis, env.UTKLAR_NAMESPACE!);
    for (let i = 0; i < keys.length; i += 1000) await redis.unlink(...keys.slice(i, i + 1000));
  } finally {
    redis.disconnect();
  }
}
