import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SERVICES = ['kafka', 'registry', 'redis', 'clickhouse'];

const stack = (...args: string[]) =>
  spawnSync('bash', [path.join(root, 'infra/stack.sh'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/**
 * Integration tests run against the real services, which this brings up itself (a no-op when a
 * developer's stack already runs). What it started, it stops again, so CI leaves no process.
 */
export default function setup() {
  if (process.env.UTKLAR_TEST_UNIT_ONLY === '1') return undefined;
  // Suites record the namespaces they create here (test/support/env.ts), so the teardown removes
  // this run's data only, not that of another run sharing the stack.
  process.env.UTKLAR_TEST_NAMESPACES = path.join(os.tmpdir(), `utklar-test-namespaces-${process.pid}-${Date.now()}`);
  const before = stack('status', ...SERVICES);
  const wasRunning = before.status === 0;
  const up = stack('up', ...SERVICES);
  process.stdout.write(up.stdout);
  if (up.status !== 0) {
    if (!wasRunning) stack('down', ...SERVICES);
    throw new Error(`infra/stack.sh up failed (exit ${up.status}):\n${up.stdout}\n${up.stderr}`);
  }
  return async () => {
    const ids = created();
    await dropTestDatabases(ids);
    await dropTestKeys(ids);
    if (wasRunning || process.env.UTKLAR_KEEP_STACK === '1') return;
    const down = stack('down', ...SERVICES);
    process.stdout.write(down.stdout);
  };
}

/**
 * Each suite makes its own database (t_<id>); left behind they pile up on a developer's server,
 * and ClickHouse 18.16 opens every table at start, so its start slows down run after run.
 */
/** The 8-hex ids of the namespaces this run's suites created (t-<id> / t_<id>). */
function created(): Set<string> {
  const file = process.env.UTKLAR_TEST_NAMESPACES!;
  try {
    return new Set(readFileSync(file, 'utf8').split('\n').filter((l) => /^[0-9a-f]{8}$/.test(l)));
  } catch {
    return new Set();
  } finally {
    rmSync(file, { force: true });
  }
}

async function dropTestDatabases(ids: Set<string>): Promise<void> {
  const url = `http://127.0.0.1:${process.env.UTKLAR_CLICKHOUSE_HTTP_PORT ?? '18123'}/`;
  const run = async (query: string) => (await fetch(url, { method: 'POST', body: query })).text();
  try {
    const names = (await run("SELECT name FROM system.databases WHERE startsWith(name, 't_') FORMAT TSV")).split('\n').filter((n) => /^t_[0-9a-f]{8}$/.test(n));
    for (const name of names) if (ids.has(name.slice(2))) await run(`DROP DATABASE IF EXISTS ${name}`);
  } catch {
    // The server is not up (unit-only runs): nothing to clean.
  }
}

/** Likewise the suites' Redis keys (namespace t-<id>), which would otherwise fill the 1 GB limit. */
async function dropTestKeys(ids: Set<string>): Promise<void> {
  const redis = new Redis(`redis://127.0.0.1:${process.env.UTKLAR_REDIS_PORT ?? '16379'}`, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await redis.connect();
    for (const db of [0, 1, 2]) {
      await redis.select(db);
      let cursor = '0';
      do {
        // `t-<id>:…`, and a partition's `{t-<id>:p<N>}:…` (clock-keys.ts).
        const [next, keys] = await redis.scan(cursor, 'MATCH', '*t-*', 'COUNT', 10_000);
        cursor = next;
        const ours = keys.filter((k) => ids.has(k.startsWith('{') ? k.slice(3, 11) : k.slice(2, 10)));
        if (ours.length > 0) await redis.unlink(...ours);
      } while (cursor !== '0');
    }
  } catch {
    // Redis is not up: nothing to clean.
  } finally {
    redis.disconnect();
  }
}
