import { spawnSync } from 'node:child_process';
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
  const before = stack('status', ...SERVICES);
  const wasRunning = before.status === 0;
  const up = stack('up', ...SERVICES);
  process.stdout.write(up.stdout);
  if (up.status !== 0) {
    if (!wasRunning) stack('down', ...SERVICES);
    throw new Error(`infra/stack.sh up failed (exit ${up.status}):\n${up.stdout}\n${up.stderr}`);
  }
  return () => {
    if (wasRunning || process.env.UTKLAR_KEEP_STACK === '1') return;
    const down = stack('down', ...SERVICES);
    process.stdout.write(down.stdout);
  };
}
