import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const SERVER = 'redis-server';
// From PATH, like infra/lib/redis.sh (Debian's redis-server brings redis-cli with redis-tools).
const CLI = 'redis-cli';
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RedisClusterHandle {
  /** Every node; any of them serves as a seed. */
  nodes: { host: string; port: number }[];
  stop(): Promise<void>;
}

/**
 * A real 3-master Redis Cluster (no replicas) on 127.0.0.1, ports basePort..basePort+2; each node
 * also listens on its cluster bus port, port + 10000.
 */
export async function startRedisCluster(opts: { basePort: number; dir?: string }): Promise<RedisClusterHandle> {
  const host = '127.0.0.1';
  const ports = [0, 1, 2].map((i) => opts.basePort + i);
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(path.join(os.tmpdir(), 'utklar-redis-cluster-'));
  const children: ChildProcess[] = [];
  // A test that dies without calling stop() must not leave servers holding the ports.
  const killAll = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killAll);

  const stop = async () => {
    process.off('exit', killAll);
    await Promise.all(children.map(async (c) => {
      if (c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await Promise.race([exited, sleep(5_000)]);
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }));
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  };

  try {
    for (const port of ports) await freePort(port);
    for (const port of ports) {
      const conf = path.join(dir, `nodes-${port}.conf`);
      // A node that finds its old nodes.conf rejoins the old cluster, and `--cluster create` refuses it.
      rmSync(conf, { force: true });
      const child = spawn(SERVER, [
        '--port', String(port), '--bind', host, '--protected-mode', 'yes',
        '--cluster-enabled', 'yes', '--cluster-config-file', conf, '--cluster-node-timeout', '2000',
        '--dir', dir, '--appendonly', 'no', '--save', '', '--daemonize', 'no', '--logfile', path.join(dir, `${port}.log`),
      ], { stdio: 'ignore' });
      children.push(child);
      await until(`redis-server on port ${port} to answer PING`, 10_000, async () => {
        if (child.exitCode !== null) throw new Error(`redis-server on port ${port} exited ${child.exitCode}:\n${logTail(dir, port)}`);
        return (await cli(port, 'PING')) === 'PONG';
      });
    }
    await run(CLI, ['--cluster', 'create', ...ports.map((p) => `${host}:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 })
      .catch((e: Error & { stdout?: string }) => { throw new Error(`redis-cli --cluster create failed: ${e.message}\n${e.stdout ?? ''}`); });
    // `create` returns once the nodes agree on the config; each must also see every slot covered.
    await until('every node to report cluster_state:ok', 20_000, async () => {
      const infos = await Promise.all(ports.map((p) => cli(p, 'CLUSTER', 'INFO')));
      return infos.every((i) => /cluster_state:ok/.test(i));
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return { nodes: ports.map((port) => ({ host, port })), stop };
}

async function cli(port: number, ...args: string[]): Promise<string> {
  return (await run(CLI, ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 3_000 }).catch(() => ({ stdout: '' }))).stdout.trim();
}

/**
 * Makes a port free for a node: a stale cluster node from an earlier run is shut down; anything
 * else is left alone and reported, since it may be someone's real Redis.
 */
async function freePort(port: number): Promise<void> {
  const busy = async () => (await listening(port)) || (await listening(port + 10_000));
  if (!(await busy())) return;
  if (!/cluster_enabled:1/.test(await cli(port, 'INFO', 'cluster'))) {
    throw new Error(`port ${port} or its cluster bus port ${port + 10_000} is in use by something other than a stale Redis Cluster node; choose another basePort`);
  }
  await cli(port, 'SHUTDOWN', 'NOSAVE');
  await until(`the stale cluster node on port ${port} to exit`, 5_000, async () => !(await busy()));
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

async function until(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

function logTail(dir: string, port: number): string {
  const file = path.join(dir, `${port}.log`);
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-20).join('\n') : '(no log)';
}
