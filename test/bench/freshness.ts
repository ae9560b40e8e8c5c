/**
 * Freshness benchmark (npm run bench:freshness; `npm run bench` is the full one, throughput.ts):
 * how long from an event acknowledged by Kafka until the query API reflects it, at a steady live
 * rate and during a burst, on the local stack.
 *
 * Probes are real episodes (admission + ready notice) on wards of their own ("BENCH/probe-N");
 * the API's waiting census grouped by ward is polled every 25 ms, so a probe's freshness is
 * measured to ±25 ms. The burst is a simulated backfill produced at full speed meanwhile.
 * Results go to test/bench/results/ (gitignored) as JSON, and to stdout as a table; the run's
 * topics, groups, schemas, Redis keys and ClickHouse data are removed afterwards.
 *
 *   npm run bench:freshness [-- --clickhouse server|embedded] [--live-seconds 30] [--rate 10] [--burst 20000]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { testPort } from '../support/env.ts';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { mintToken } from '../../services/api/auth.ts';
import { loadConfig, repoRoot } from '../../services/core/config.ts';
import { Pseudonymiser } from '../../services/contract/pseudonymise.ts';
import { createKafka } from '../../services/kafka/client.ts';
import { EventProducer } from '../../services/producer/event-producer.ts';
import { parseNdjsonEvent } from '../../services/contract/ndjson-event.ts';
import { RegionSimulator } from '../../services/simulator/simulate.ts';
import type { PatientEvent } from '../../services/contract/event.ts';
import { FreshnessProbes, latencySummary, percentile } from './probes.ts';
import { removeRun } from './cleanup.ts';

const args = parseArgs({ options: {
  clickhouse: { type: 'string', default: 'embedded' }, 'live-seconds': { type: 'string', default: '30' },
  rate: { type: 'string', default: '10' }, burst: { type: 'string', default: '20000' },
} }).values;

const id = randomUUID().slice(0, 8);
const secret = `bench-secret-${randomUUID()}`;
const env: Record<string, string> = {
  ...(process.env as Record<string, string>),
  UTKLAR_NAMESPACE: `bench-${id}`, CLICKHOUSE_DATABASE: `bench_${id}`, UTKLAR_PSEUDONYM_KEY: `bench-key-${randomUUID()}`,
  UTKLAR_API_SECRET: secret, UTKLAR_HTTP_PORT: String(testPort()), LOG_LEVEL: 'warn',
};
if (args.clickhouse === 'server') env.CLICKHOUSE_URL = `http://127.0.0.1:${process.env.UTKLAR_CLICKHOUSE_HTTP_PORT ?? '18123'}`;
else { delete env.CLICKHOUSE_URL; env.CHDB_PATH = path.join(os.tmpdir(), `utklar-bench-${id}`); }

const services = ['kafka', 'registry', 'redis', ...(args.clickhouse === 'server' ? ['clickhouse'] : [])];
const up = spawnSync('bash', [path.join(repoRoot, 'infra/stack.sh'), 'up', ...services], { stdio: 'inherit', env });
if (up.status !== 0) process.exit(1);

const config = loadConfig(env);
const url = `http://127.0.0.1:${env.UTKLAR_HTTP_PORT}`;
const token = mintToken({ kind: 'region', region: '18' }, secret, { subject: 'bench', ttlSeconds: 3600 });
const pipeline = spawn(path.join(repoRoot, 'bin/utklar'), ['run'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
for (let i = 0; ; i++) {
  if (i > 600) throw new Error('pipeline did not become healthy');
  if ((await fetch(`${url}/health`).catch(() => undefined))?.status === 200) break;
  await sleep(100);
}

const producer = new EventProducer(createKafka(config, 'bench'), config.registryUrl, config.namespace);
await producer.connect();
// Probes have a producer of their own, so a burst's transactions never hold them back.
const probeProducer = new EventProducer(createKafka(config, 'bench-probes'), config.registryUrl, config.namespace);
await probeProducer.connect();
const pseudo = new Pseudonymiser(env.UTKLAR_PSEUDONYM_KEY);

const probes = new FreshnessProbes({ producer: probeProducer, pseudonymiser: pseudo, runId: id, apiUrl: url, token });
probes.start();

const rate = Number(args.rate);
const liveSeconds = Number(args['live-seconds']);
const bar = (done: number, total: number, label: string) =>
  process.stderr.write(`\r${label} [${'#'.repeat(Math.round((done / total) * 30)).padEnd(30)}] ${done}/${total}`);

// Warm-up: the first probes pay for connections and schema lookups; they are not counted.
probes.phase = 'warm-up';
for (let i = 0; i < 5; i++) await probes.send();
await sleep(3000);
// The pipeline's first seconds (its first generation, connections) are not a live rate either.
await probes.settle(10_000);
await sleep(5000);

probes.phase = 'live';
const liveProbes = Math.round(liveSeconds * rate);
await probes.run(liveProbes, rate, (i) => bar(i, liveProbes, 'live '));
process.stderr.write('\n');
// The live probes seen before the burst begins: the last ones were overtaken by its 20 000 events
// (1.5–1.7 s each, 1 % of the probes: the live p99 was the burst's).
await probes.settle(10_000);

probes.phase = 'burst';
const burst = Number(args.burst);
const sim = new RegionSimulator({ seed: 5, admissionsPerDay: 400 }, Date.now() - 60 * 86_400_000);
const backfill: PatientEvent[] = [];
for (const e of sim.eventsUntil(Date.now())) {
  if (backfill.length >= burst) break;
  backfill.push(parseNdjsonEvent(JSON.stringify(e), backfill.length + 1, pseudo));
}
const burstStart = Date.now();
const burstSend = (async () => {
  for (let i = 0; i < backfill.length; i += 1000) {
    await producer.send(backfill.slice(i, i + 1000));
    bar(Math.min(i + 1000, backfill.length), backfill.length, 'burst');
  }
})();
const burstProbes: Promise<void>[] = [];
for (let i = 0; i < Math.max(20, Math.round(5 * rate)); i++) {
  burstProbes.push(probes.send());
  await sleep(1000 / rate);
}
await burstSend;
await Promise.all(burstProbes);
const burstSent = Date.now() - burstStart;
process.stderr.write('\n');
await probes.settle(60_000);
await probes.stop();

const latencies = { live: probes.latencies.live ?? [], burst: probes.latencies.burst ?? [] };
const result = {
  benchmark: 'freshness', at: new Date().toISOString(), clickhouse: args.clickhouse,
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  live: { ratePerSecond: rate, seconds: liveSeconds, ...latencySummary(latencies.live) },
  burst: { events: backfill.length, sentInMs: burstSent, ...latencySummary(latencies.burst) },
  lost: probes.pending,
  target: { liveP99Ms: 1000, met: (percentile(latencies.live, 99) ?? Infinity) <= 1000 },
};
const dir = path.join(repoRoot, 'test/bench/results');
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `freshness-${result.at.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
console.log(`\nfreshness: event acknowledged by Kafka → visible in the query API (ClickHouse ${args.clickhouse})`);
console.table({ live: result.live, burst: { probes: result.burst.probes, p50: result.burst.p50, p95: result.burst.p95, p99: result.burst.p99, max: result.burst.max } });
console.log(`burst: ${result.burst.events} events sent in ${burstSent} ms; probes never seen: ${result.lost}; live p99 ≤ 1000 ms: ${result.target.met}`);
console.log(`saved ${path.relative(repoRoot, file)}`);

await producer.disconnect();
await probeProducer.disconnect();
pipeline.kill('SIGTERM');
await new Promise((r) => pipeline.once('exit', r));
// The stack is shared: leave nothing of this run's namespace on it.
for (const failure of await removeRun(config)) process.stderr.write(`cleanup: ${failure}\n`);
process.exit(result.lost === 0 ? 0 : 1);
