import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../support/env.ts';

/** infra/stack.sh, without blocking the feeder and the supervisors meanwhile. */
function stack(...args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(repoRoot, 'infra/stack.sh'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`infra/stack.sh ${args.join(' ')} failed (${code}): ${out}`))));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Stops a backing service the way an operator or a crash would, and brings it back after `downMs`. */
export async function outage(service: 'redis' | 'kafka' | 'clickhouse', downMs: number): Promise<void> {
  await stack('down', service);
  await sleep(downMs);
  await stack('up', service);
}
