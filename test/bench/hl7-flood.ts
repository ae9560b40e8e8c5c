/**
 * HL7 flood benchmark (npm run bench:hl7): a real `utklar hl7` process on a free port against the
 * local stack, in a namespace of its own, takes N ADT messages from C concurrent MLLP connections
 * (@medplum/hl7's Hl7Client), each connection sending its next message only once the previous
 * one is acknowledged, as an EHR's integration engine does. Reports messages/s and ACK latency
 * (send → ACK, which includes the Kafka transaction), whether every ACK was AA, and whether the
 * events topic holds exactly N events (read committed, distinct event ids).
 *
 * The messages are a simulated stretch of Region Örebro län (A01, A02, A03, A08, A11, A13, the
 * converter in test/support/simulated-adt.ts); each patient's messages go over one connection,
 * in order, as an engine shards by patient. One run per connection count, each in a fresh
 * namespace that is removed afterwards. Results go to test/bench/results/ (gitignored) and, per
 * connection count, to one line:
 *
 *   RESULT hl7 messages=10000 connections=<n> msgs_per_s=<n> ack_p50_ms=<n> ack_p99_ms=<n> ack_p95_ms=<n> all_aa=<bool> kafka_events=<n>
 *
 *   npm run bench:hl7 [-- --messages 10000] [--connections 1,8]
 *
 * UTKLAR_BENCH_HL7_LOG_LEVEL=debug runs the listener with debug logs (stderr), where kafkajs's
 * retried transaction requests show.
 */
import './quiet-logs.ts';
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Hl7Message } from '@medplum/core';
import { Hl7Client } from '@medplum/hl7';
import { loadConfig, repoRoot, topics } from '../../services/core/config.ts';
import { createKafka } from '../../services/kafka/client.ts';
import { ensureTopics } from '../../services/kafka/topics.ts';
import { RegionSimulator, type NdjsonEvent } from '../../services/simulator/simulate.ts';
import { ADT_EVENT_TYPES, simulatedRegionMapping, toSourceTraffic, withCorrections } from '../support/simulated-adt.ts';
import { removeRun } from './cleanup.ts';
import { percentile } from './probes.ts';

const args = parseArgs({ options: { messages: { type: 'string', default: '10000' }, connections: { type: 'string', default: '1,8' } } }).values;
const total = Number(args.messages);
const connectionCounts = String(args.connections).split(',').map(Number);
if (!Number.isInteger(total) || total < 1 || connectionCounts.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--messages and --connections take whole numbers above 0');

const up = spawnSync('bash', [path.join(repoRoot, 'infra/stack.sh'), 'up', 'kafka', 'registry'], { stdio: 'inherit' });
if (up.status !== 0) process.exit(1);

// Weeks of the region until there are enough EHR events (and their corrections); converted in
// one go, since the converter needs each stay's admission before its other messages.
const from = Date.parse('2025-01-06T00:00:00+01:00');
const sim = new RegionSimulator({ seed: 22, admissionsPerDay: 150 }, from);
const events: NdjsonEvent[] = [];
let until = from;
while (events.filter((e) => ADT_EVENT_TYPES.has(e.type)).length < total * 1.1) {
  until += 7 * 86_400_000;
  events.push(...sim.eventsUntil(until));
}
const adt = toSourceTraffic(withCorrections(events, 12, until)).flatMap((item) =>
  item.kind === 'hl7' ? [{ message: item.message, patient: item.event.personnummer as string, trigger: item.message.split('|')[8]!.split('^')[1]! }] : []).slice(0, total);

const freePort = () => new Promise<number>((resolve, reject) => {
  const s = net.createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => {
    const { port } = s.address() as net.AddressInfo;
    s.close(() => resolve(port));
  });
});

interface Run {
  connections: number;
  messages: number;
  seconds: number;
  msgsPerSecond: number;
  ackMs: { p50: number | null; p95: number | null; p99: number | null; max: number | null };
  acks: Record<string, number>;
  allAa: boolean;
  kafkaEvents: number;
  distinctEventIds: number;
}

async function run(connections: number): Promise<Run> {
  const id = randomUUID().slice(0, 8);
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    UTKLAR_NAMESPACE: `bench-${id}`, UTKLAR_PSEUDONYM_KEY: `bench-key-${randomUUID()}`, LOG_LEVEL: process.env.UTKLAR_BENCH_HL7_LOG_LEVEL ?? 'warn',
    // The listener needs no ClickHouse; the cleanup then removes this (never created) directory.
    CHDB_PATH: path.join(os.tmpdir(), `utklar-bench-${id}`),
  };
  delete env.CLICKHOUSE_URL;
  const config = loadConfig(env);
  const dir = path.join(os.tmpdir(), `utklar-hl7-bench-${id}`);
  mkdirSync(dir, { recursive: true });
  const mapping = path.join(dir, 'region.json');
  writeFileSync(mapping, JSON.stringify(simulatedRegionMapping()));
  // The namespace's topics made (and their leaders known) before the listener starts: a process
  // that creates them itself has been seen to die on its first metadata request for them
  // ("This server does not host this topic-partition"), which is not what this bench measures.
  const admin = createKafka(config, `${config.namespace}-bench-setup`).admin();
  await ensureTopics(createKafka(config, `${config.namespace}-bench-setup`), config.namespace, config.eventPartitions);
  await admin.connect();
  await admin.fetchTopicMetadata({ topics: [topics(config.namespace).patientEvents, topics(config.namespace).deadLetter] });
  await admin.disconnect();
  const port = await freePort();
  const hl7 = spawn(path.join(repoRoot, 'bin/utklar'), ['hl7', '--port', String(port), '--metrics-port', '0', '--mapping', mapping], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      hl7.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('"mllp"')) resolve();
      });
      hl7.once('exit', (code) => reject(new Error(`utklar hl7 exited ${code}`)));
    });

    // Each patient's messages on one connection, in order.
    const lanes: (typeof adt)[] = Array.from({ length: connections }, () => []);
    const laneOf = new Map<string, number>();
    for (const m of adt) {
      if (!laneOf.has(m.patient)) laneOf.set(m.patient, laneOf.size % connections);
      lanes[laneOf.get(m.patient)!]!.push(m);
    }
    const latencies: number[] = [];
    const acks: Record<string, number> = {};
    let done = 0;
    const clients = lanes.map(() => new Hl7Client({ host: '127.0.0.1', port }));
    // Connected before the clock starts: a connection is made once, not per message.
    await Promise.all(clients.map((c) => c.connect()));
    const started = performance.now();
    await Promise.all(lanes.map(async (lane, i) => {
      for (const m of lane) {
        const t0 = performance.now();
        const ack = await clients[i]!.sendAndWait(Hl7Message.parse(m.message), { timeoutMs: 60_000 });
        latencies.push(performance.now() - t0);
        const code = ack.getSegment('MSA')?.getField(1)?.toString() ?? '?';
        acks[code] = (acks[code] ?? 0) + 1;
        if (++done % 250 === 0) process.stderr.write(`\r${connections} connection(s): ${done}/${total}`);
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write('\n');
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));

    // What a downstream reader sees committed: the events, by their event-id header.
    const kafka = createKafka(config, `${config.namespace}-bench-count`);
    const consumer = kafka.consumer({ groupId: `${config.namespace}.bench-count`, readUncommitted: false });
    const ids = new Set<string>();
    let kafkaEvents = 0;
    let last = Date.now();
    await consumer.connect();
    await consumer.subscribe({ topic: topics(config.namespace).patientEvents, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => {
      kafkaEvents += 1;
      ids.add(String(message.headers?.['event-id'] ?? ''));
      last = Date.now();
    } });
    // Until the count has stood still for 5 s (at least that long after the last ACK): extra events would show.
    while (Date.now() - last < 5_000 || kafkaEvents === 0) {
      if (Date.now() - last > 120_000) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    await consumer.disconnect();

    const round = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
    return {
      connections, messages: total, seconds: Math.round(seconds * 100) / 100, msgsPerSecond: Math.round(total / seconds),
      ackMs: { p50: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)), p99: round(percentile(latencies, 99)), max: round(Math.max(...latencies)) },
      acks, allAa: acks.AA === total, kafkaEvents, distinctEventIds: ids.size,
    };
  } finally {
    hl7.kill('SIGTERM');
    await new Promise((r) => (hl7.exitCode !== null ? r(null) : hl7.once('exit', r)));
    for (const failure of await removeRun(config)) process.stderr.write(`cleanup: ${failure}\n`);
  }
}

const triggers: Record<string, number> = {};
for (const m of adt) triggers[m.trigger] = (triggers[m.trigger] ?? 0) + 1;
const runs: Run[] = [];
for (const c of connectionCounts) runs.push(await run(c));

const result = {
  benchmark: 'hl7-flood', at: new Date().toISOString(), messages: total, triggers,
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  runs,
};
const dir = path.join(repoRoot, 'test/bench/results');
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `hl7-flood-${result.at.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
console.log(`\nhl7 flood: ${total} ADT messages (${Object.entries(triggers).map(([t, n]) => `${t} ${n}`).join(', ')}) → utklar hl7 → Kafka, each ACK awaited`);
console.table(Object.fromEntries(runs.map((r) => [`${r.connections} conn`, { 'msgs/s': r.msgsPerSecond, seconds: r.seconds, 'p50 ms': r.ackMs.p50, 'p95 ms': r.ackMs.p95, 'p99 ms': r.ackMs.p99, 'max ms': r.ackMs.max, 'all AA': r.allAa, 'in Kafka': r.kafkaEvents }])));
console.log(`saved ${path.relative(repoRoot, file)}`);
const ok = runs.every((r) => r.allAa && r.kafkaEvents === total && r.distinctEventIds === total);
for (const r of runs) {
  console.log(`RESULT hl7 messages=${r.messages} connections=${r.connections} msgs_per_s=${r.msgsPerSecond} ack_p50_ms=${r.ackMs.p50} ack_p99_ms=${r.ackMs.p99} ack_p95_ms=${r.ackMs.p95} all_aa=${r.allAa} kafka_events=${r.kafkaEvents}`);
}
process.exit(ok ? 0 : 1);
