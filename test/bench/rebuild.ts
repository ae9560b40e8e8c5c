/**
 * Rebuild benchmark: how long `utklar rebuild` takes to replay a simulated
 * history under a changed agreement (Örebro's threshold 3,0 → 2,0) and write its diff, and what
 * it costs the live pipeline beside it: freshness (event acknowledged by Kafka → visible in the
 * query API, the probes of probes.ts) before and during the rebuild. ClickHouse server (a rebuild
 * needs one). Results to test/bench/results/ and stdout; the run's namespace, the rebuild's
 * shadow and their data are removed afterwards.
 *
 *   npx tsx --require ./services/kafka/kafkajs-aborted-filter.cjs test/bench/rebuild.ts [--days 365] [--rate 150] [--probe-rate 2] [--before-seconds 30]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { bundledFile } from '../../services/agreements/bundled.ts';
import { mintToken } from '../../services/api/auth.ts';
import { loadConfig, repoRoot } from '../../services/core/config.ts';
import { Pseudonymiser } from '../../services/contract/pseudonymise.ts';
import { parseNdjsonEvent } from '../../services/contract/ndjson-event.ts';
import { createKafka } from '../../services/kafka/client.ts';
import { EventProducer } from '../../services/producer/event-producer.ts';
import { RegionSimulator } from '../../services/simulator/simulate.ts';
import type { PatientEvent } from '../../services/contract/event.ts';
import { FreshnessProbes, latencySummary } from './probes.ts';
import { removeRun } from './cleanup.ts';
import { testPort } from '../support/env.ts';

const args = parseArgs({ options: {
  days: { type: 'string', default: '365' }, rate: { type: 'string', default: '150' },
  'probe-rate': { type: 'string', default: '2' }, 'before-seconds': { type: 'string', default: '30' },
} }).values;

const id = randomUUID().slice(0, 8);
const secret = `bench-secret-${randomUUID()}`;
const env: Record<string, string> = {
  ...(process.env as Record<string, string>),
  UTKLAR_NAMESPACE: `bench-${id}`, CLICKHOUSE_DATABASE: `bench_${id}`, UTKLAR_PSEUDONYM_KEY: `bench-key-${randomUUID()}`,
  UTKLAR_API_SECRET: secret, UTKLAR_HTTP_PORT: String(testPort()), LOG_LEVEL: 'warn',
  CLICKHOUSE_URL: `http://127.0.0.1:${process.env.UTKLAR_CLICKHOUSE_HTTP_PORT ?? '18123'}`, UTKLAR_INVOICE_FREEZE_WORKDAY: 'off',
};
const up = spawnSync('bash', [path.join(repoRoot, 'infra/stack.sh'), 'up', 'kafka', 'registry', 'redis', 'clickhouse'], { stdio: 'inherit', env });
if (up.status !== 0) process.exit(1);

const config = loadConfig(env);
const url = `http://127.0.0.1:${env.UTKLAR_HTTP_PORT}`;
const token = mintToken({ kind: 'region', region: '18' }, secret, { subject: 'bench', ttlSeconds: 6 * 3600 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pipeline = spawn(path.join(repoRoot, 'bin/utklar'), ['run'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
for (let i = 0; ; i++) {
  if (i > 900) throw new Error('pipeline did not become healthy');
  if ((await fetch(`${url}/health`).catch(() => undefined))?.status === 200) break;
  await sleep(100);
}
const pseudo = new Pseudonymiser(env.UTKLAR_PSEUDONYM_KEY);
const producer = new EventProducer(createKafka(config, 'bench'), config.registryUrl, config.namespace);
await producer.connect();
const probeProducer = new EventProducer(createKafka(config, 'bench-probes'), config.registryUrl, config.namespace);
await probeProducer.connect();

// The history: a simulated region, ending a day ago (the probes are today's).
const days = Number(args.days);
const until = Date.now() - 86_400_000;
const sim = new RegionSimulator({ seed: 11, admissionsPerDay: Number(args.rate) }, until - days * 86_400_000);
let batch: PatientEvent[] = [];
let events = 0;
for (const e of sim.eventsUntil(until)) {
  batch.push(parseNdjsonEvent(JSON.stringify(e), ++events, pseudo));
  if (batch.length === 1000) {
    await producer.send(batch);
    batch = [];
    process.stderr.write(`\rproduced ${events}`);
  }
}
if (batch.length > 0) await producer.send(batch);
process.stderr.write(`\rproduced ${events}; waiting for the live pipeline to apply them\n`);
for (;;) {
  const p = ((await (await fetch(`${url}/status/progress`)).json()) as { consumer: { consumed: number; lag: number; rowsPending: number } }).consumer;
  if (p.consumed >= events && p.lag === 0 && p.rowsPending === 0) break;
  await sleep(1000);
}

const probes = new FreshnessProbes({ producer: probeProducer, pseudonymiser: pseudo, runId: id, apiUrl: url, token });
probes.start();
probes.phase = 'warm-up';
for (let i = 0; i < 5; i++) await probes.send();
await sleep(3000);
const rate = Number(args['probe-rate']);
probes.phase = 'before';
await probes.run(Math.round(Number(args['before-seconds']) * rate), rate);
await probes.settle(30_000);

// The rebuild, with probes sent all along.
const dir = mkdtempSync(path.join(os.tmpdir(), 'utklar-bench-rebuild-'));
const orebro = JSON.parse(readFileSync(bundledFile('orebro'), 'utf8')) as { versions: { model: { threshold: number } }[] };
for (const v of orebro.versions) v.model.threshold = 2.0;
const rules = path.join(dir, 'orebro.json');
writeFileSync(rules, JSON.stringify(orebro, null, 2));
probes.phase = 'during rebuild';
const started = Date.now();
const child = spawn(path.join(repoRoot, 'bin/utklar'), ['rebuild', '--rules', rules, '--by', 'bench', '--out', path.join(dir, 'report')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
child.stdout.on('data', (d) => (out += d));
const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
let running = true;
void exited.then(() => (running = false));
while (running) await probes.run(1, rate);
const code = await exited;
const seconds = (Date.now() - started) / 1000;
await probes.settle(30_000);
await probes.stop();
// A failed rebuild prints no result: its time and the live side's freshness meanwhile are reported all the same.
const done = code === 0 ? (JSON.parse(out.trim().split('\n').at(-1)!) as { rebuild: string; replaySeconds: number; changes: number; invoices: number; summary: string[] }) : null;

const result = {
  benchmark: 'rebuild', at: new Date().toISOString(), clickhouse: 'server', exitCode: code,
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  history: { days, events },
  rebuild: done
    ? { seconds, replaySeconds: done.replaySeconds, diffSeconds: seconds - done.replaySeconds, eventsPerSecond: Math.round(events / done.replaySeconds), changes: done.changes, invoices: done.invoices, summary: done.summary }
    : { seconds, failed: `exit code ${code}` },
  freshness: { before: latencySummary(probes.latencies.before ?? []), duringRebuild: latencySummary(probes.latencies['during rebuild'] ?? []) },
  lost: probes.pending,
};
const results = path.join(repoRoot, 'test/bench/results');
mkdirSync(results, { recursive: true });
const file = path.join(results, `rebuild-${result.at.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
console.log(done
  ? `\nrebuild of ${events} events (${days} simulated days): ${seconds.toFixed(0)} s (replay ${done.replaySeconds.toFixed(0)} s, ${Math.round(events / done.replaySeconds)} events/s; diff ${(seconds - done.replaySeconds).toFixed(0)} s)`
  : `\nthe rebuild of ${events} events (${days} simulated days) FAILED after ${seconds.toFixed(0)} s (exit code ${code}; its stderr above); its shadow's data is left: Redis keys {${env.UTKLAR_NAMESPACE}-rb-*, database ${env.CLICKHOUSE_DATABASE}_rb_*`);
console.table(result.freshness);
if (done) console.log(done.summary.join('\n'));
console.log(`saved ${path.relative(repoRoot, file)}`);

await producer.disconnect();
await probeProducer.disconnect();
if (done) spawnSync(path.join(repoRoot, 'bin/utklar'), ['rebuild', '--discard', done.rebuild, '--by', 'bench'], { env, stdio: 'inherit' });
pipeline.kill('SIGTERM');
await new Promise((r) => pipeline.once('exit', r));
for (const failure of await removeRun(config)) process.stderr.write(`cleanup: ${failure}\n`);
process.exit(code === 0 && result.lost === 0 ? 0 : 1);
