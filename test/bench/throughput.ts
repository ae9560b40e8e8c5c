/**
 * The full benchmark (npm run bench, issue #7), on the local stack:
 *  1. produces N simulated events (default 1 000 000) to a namespace of its own, before anything
 *     consumes them;
 *  2. the ceiling: a raw kafkajs consumer with a no-op handler reads the same topic;
 *  3. starts `bin/utklar run` and times how long until its one consumer group's committed
 *     offsets equal the topic's high watermarks (it commits a batch once its ClickHouse rows are
 *     stored) and the outbox is empty (changelog sent, episode facts stored);
 *  4. freshness at a live rate (probes, as in freshness.ts) once the backlog is consumed;
 * meanwhile resident memory of the pipeline, Kafka, the registry, Redis and ClickHouse is
 * sampled every 500 ms. At the end: Redis bytes per open episode and ClickHouse rows/s.
 * Results: JSON and an SVG chart in test/bench/results/ (gitignored), a table on stdout, and the
 * differences to the previous result (or --compare FILE). Everything the run made (topics,
 * groups, subjects, Redis keys, the ClickHouse database) is deleted afterwards unless --keep.
 *
 *   npm run bench [-- --events N | --ten-million] [--clickhouse server|embedded]
 *                 [--live-seconds 20] [--rate 10] [--days 365] [--seed 11]
 *                 [--compare old.json | --no-compare] [--json] [--keep] [--timeout-minutes M]
 *                 [--cpu-prof]   (the pipeline's V8 CPU profile, and its top functions)
 *                 [--processes N] (N identical pipeline processes in the one consumer group)
 *                 [--join-at F]   (the last of them joins once a share F of the events is applied:
 *                                  the rebalance's cost, as the longest stall of the group after it)
 */
import './quiet-logs.ts';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { mintToken } from '../../services/api/auth.ts';
import { appliedEvents, dueTimers, outboxLength, partitionKeys } from '../support/clock-redis.ts';
import { LAW_DEFAULTS, OREBRO_RULES } from '../../services/clock/rules.ts';
import { Pseudonymiser } from '../../services/contract/pseudonymise.ts';
import { loadConfig, repoRoot, topics } from '../../services/core/config.ts';
import { createKafka } from '../../services/kafka/client.ts';
import { EventCodec } from '../../services/kafka/codec.ts';
import { EventProducer } from '../../services/producer/event-producer.ts';
import { produceBacklog } from './backlog.ts';
import { CatchUp, type WatchedGroup } from './catch-up.ts';
import { measureCeiling } from './ceiling.ts';
import { removeRun } from './cleanup.ts';
import { PALETTE, svgChart, thin, type Series } from './chart.ts';
import { FreshnessProbes, latencySummary } from './probes.ts';
import { topFunctions } from './profile.ts';
import { Progress } from './progress.ts';
import { measureRedis, usedMemory } from './redis-memory.ts';
import { compare, fileStem, machine, previousResult, table, type GroupResult, type ThroughputResult } from './report.ts';
import { ResourceSampler, servicePid } from './resources.ts';

const args = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    'ten-million': { type: 'boolean', default: false },
    clickhouse: { type: 'string', default: 'server' },
    'live-seconds': { type: 'string', default: '20' },
    rate: { type: 'string', default: '10' },
    days: { type: 'string', default: '365' },
    seed: { type: 'string', default: '11' },
    compare: { type: 'string' },
    'no-compare': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'timeout-minutes': { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    split: { type: 'boolean', default: false },
    processes: { type: 'string', default: '1' },
    'join-at': { type: 'string' },
  },
}).values;

function positive(name: string, v: string | undefined): number {
  const x = Number(v);
  if (!Number.isFinite(x) || x <= 0) {
    console.error(`--${name} must be a positive number, got '${v}'`);
    process.exit(2);
  }
  return x;
}
if (args.clickhouse !== 'server' && args.clickhouse !== 'embedded') {
  console.error(`--clickhouse must be 'server' or 'embedded', got '${args.clickhouse}'`);
  process.exit(2);
}
const mode: 'server' | 'embedded' = args.clickhouse;
// One consumer group reads the events topic and writes every sink: there is nothing to split.
if (args.split) {
  console.error('--split is retired: the clock writes the ClickHouse rows itself (one consumer group on the events topic)');
  process.exit(2);
}
const processCount = Math.round(positive('processes', args.processes));
const joinAt = args['join-at'] === undefined ? null : positive('join-at', args['join-at']);
if (joinAt !== null && (processCount < 2 || joinAt >= 1)) {
  console.error('--join-at needs --processes 2 or more and a share below 1');
  process.exit(2);
}
const events = args['ten-million'] ? 10_000_000 : Math.round(positive('events', args.events));
const liveSeconds = positive('live-seconds', args['live-seconds']);
const rate = positive('rate', args.rate);
const days = positive('days', args.days);
const seed = Math.round(positive('seed', args.seed));
// Generous: a run slower than ~300 events/s end to end is broken, not slow.
const timeoutMs = (args['timeout-minutes'] ? positive('timeout-minutes', args['timeout-minutes']) : Math.max(20, Math.ceil(events / 300 / 60))) * 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });

const id = randomUUID().slice(0, 8);
const ns = `bench-${id}`;
const secret = `bench-secret-${randomUUID()}`;
const env: Record<string, string> = {
  ...(process.env as Record<string, string>),
  UTKLAR_NAMESPACE: ns, CLICKHOUSE_DATABASE: `bench_${id}`, UTKLAR_PSEUDONYM_KEY: `bench-key-${randomUUID()}`,
  UTKLAR_API_SECRET: secret, UTKLAR_HTTP_PORT: String(await freePort()), LOG_LEVEL: 'warn',
};
// The benchmark is of the whole default pipeline, whatever the caller's shell selects.
for (const v of ['UTKLAR_CONSUMERS', 'UTKLAR_GROUP_PREFIX', 'UTKLAR_ALERT_RULES']) delete env[v];
const chHttp = `http://127.0.0.1:${process.env.UTKLAR_CLICKHOUSE_HTTP_PORT ?? '18123'}`;
if (mode === 'server') env.CLICKHOUSE_URL = chHttp;
else {
  delete env.CLICKHOUSE_URL;
  env.CHDB_PATH = path.join(os.tmpdir(), `utklar-bench-${id}`);
}

const resultsDir = path.join(repoRoot, 'test/bench/results');
const profileDir = path.join(resultsDir, `pipeline-cpu-prof-${id}`);
// bin/utklar's own command line (node + tsx), with the profiler: node refuses --cpu-prof in NODE_OPTIONS.
const pipelineCommand: [string, string[]] = args['cpu-prof']
  ? [process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--max-old-space-size=${process.env.UTKLAR_HEAP_MB ?? 448}`, '--import', path.join(repoRoot, 'node_modules/tsx/dist/esm/index.mjs'), path.join(repoRoot, 'services/cli/main.ts'), 'run']]
  : [path.join(repoRoot, 'bin/utklar'), ['run']];

const services = ['kafka', 'registry', 'redis', ...(mode === 'server' ? ['clickhouse'] : [])];
// Its messages go to stderr: stdout is the results'.
if (spawnSync('bash', [path.join(repoRoot, 'infra/stack.sh'), 'up', ...services], { stdio: ['ignore', 2, 2], env }).status !== 0) process.exit(1);

const config = loadConfig(env);
const t = topics(ns);
const apiUrl = `http://127.0.0.1:${env.UTKLAR_HTTP_PORT}`;
const progress = new Progress();
const kafka = createKafka(config, 'bench');
const admin = kafka.admin();
await admin.connect();
const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 5 });
await redis.connect();

const groups: WatchedGroup[] = [{ name: 'clock', groupId: `${ns}.clock`, topic: t.patientEvents }];
const ceilingGroup = `${ns}.ceiling`;
const logFile = path.join(os.tmpdir(), `utklar-bench-${id}.log`);
/** The pipeline's processes (--processes), one consumer group; the first answers the API. */
let pipelines: ChildProcess[] = [];
const alive = (p: ChildProcess | undefined) => (p && p.exitCode === null && p.signalCode === null ? p.pid : undefined);
const pipelineName = (i: number) => (i === 0 ? 'pipeline' : `pipeline-${i + 1}`);

const resources = new ResourceSampler(() => ({
  ...Object.fromEntries(pipelines.map((p, i) => [pipelineName(i), alive(p)])),
  kafka: servicePid('kafka'),
  registry: servicePid('registry'),
  redis: servicePid('redis'),
  ...(mode === 'server' ? { clickhouse: servicePid('clickhouse') } : {}),
  // This process: the producers, the ceiling consumer, the probes.
  bench: process.pid,
}));
const phases: { name: string; at: number }[] = [];
const phase = (name: string) => phases.push({ name, at: resources.now() });

async function clickhouseQuery(sql: string): Promise<string> {
  const r = await fetch(chHttp, {
    method: 'POST',
    body: sql,
    headers: { 'X-ClickHouse-User': config.clickhouseUser, 'X-ClickHouse-Key': config.clickhousePassword },
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`ClickHouse: ${text.slice(0, 300)}`);
  return text;
}

/**
 * The server's own counters (system.events): INSERT statements, rows, and what the background
 * merges rewrote (many small INSERTs make many parts to merge). The server is shared, so a delta
 * includes whatever else ran meanwhile: indicative only.
 */
async function clickhouseEvents(): Promise<Record<string, number>> {
  const rows = await clickhouseQuery(`SELECT event, value FROM system.events WHERE event IN ('InsertQuery', 'InsertedRows', 'MergedRows', 'MergesTimeMilliseconds', 'SelectQuery') FORMAT TSV`);
  return Object.fromEntries(rows.trim().split('\n').filter(Boolean).map((l) => {
    const [k, v] = l.split('\t');
    return [k!, Number(v)];
  }));
}

async function stopPipeline(): Promise<void> {
  await Promise.all(pipelines.map(async (p) => {
    if (!alive(p)) return;
    const exited = new Promise((r) => p!.once('exit', r));
    p!.kill('SIGTERM');
    await Promise.race([exited, sleep(20_000)]);
    if (alive(p)) p!.kill('SIGKILL');
  }));
}

let cleaning: Promise<void> | undefined;
let failed = false;
/**
 * Leaves the shared stack as it was: nothing of this run's namespace survives it (unless --keep).
 * One cleanup however often asked (Ctrl-C while the run fails): every caller waits for it.
 */
const cleanup = (): Promise<void> => (cleaning ??= removeEverything());

async function removeEverything(): Promise<void> {
  resources.stop();
  await stopPipeline();
  await admin.disconnect().catch(() => undefined);
  redis.disconnect();
  if (args.keep) {
    progress.note(`kept namespace ${ns} (Kafka topics and groups, Redis keys, ClickHouse ${config.clickhouseDatabase}); pipeline log ${logFile}`);
    return;
  }
  for (const failure of await removeRun(config)) progress.note(`cleanup: ${failure}`);
  // A failed run's pipeline log is what explains it.
  if (failed) progress.note(`pipeline log: ${logFile}`);
  else rmSync(logFile, { force: true });
}
process.once('SIGINT', () => {
  progress.note('interrupted; cleaning up');
  void cleanup().finally(() => process.exit(130));
});

/**
 * Waits (at most 40 s) until the pipeline's eviction sweep (every 30 s) has forgotten every closed
 * episode it may (the rule of ClockStore.evictSettled: closed-set score ≤ the partition's
 * event-time watermark less the allowed lateness), so Redis is measured as a running deployment
 * holds it, not with whatever the last sweep during the replay left behind.
 */
async function settledEviction(): Promise<boolean> {
  const lateness = (config.rules === 'law' ? LAW_DEFAULTS : OREBRO_RULES).allowedLatenessMs;
  for (const until = Date.now() + 40_000; Date.now() < until; await sleep(500)) {
    let due = 0;
    for (const k of partitionKeys(ns, config.eventPartitions)) {
      const mark = await redis.get(k.watermark);
      if (mark !== null) due += await redis.zcount(k.closed, 0, Math.min(Date.now(), Number(mark) - lateness));
    }
    if (due === 0) return true;
  }
  return false;
}

function pipelineLogTail(): string {
  try {
    return readFileSync(logFile, 'utf8').slice(-3000);
  } catch {
    return '(no log)';
  }
}

/**
 * Refuses a run that would fill Redis: it runs with noeviction (UTKLAR_REDIS_MAXMEMORY), and a
 * full Redis stalls this pipeline and everyone else's on the shared stack. A run kept ≈ 440 B
 * per event while the retired episode-store's records (≈ 300 B, never evicted) were there; what
 * remains is the closed episodes the clock keeps for readmission linkage, which grow with the
 * region's size. 500 B and 150 MiB stay as the margin: they leave room for what the 30 s eviction
 * sweep has not yet removed.
 */
async function checkRedisRoom(): Promise<void> {
  const max = Number((await redis.config('GET', 'maxmemory'))[1] ?? 0);
  if (max === 0) return;
  const need = events * 500 + 150 * 2 ** 20;
  const free = max - (await usedMemory(redis));
  if (need > free) {
    throw new Error(
      `${events} events need ≈ ${Math.round(need / 2 ** 20)} MiB in Redis, which has ${Math.round(free / 2 ** 20)} MiB free of its ${Math.round(max / 2 ** 20)} MiB ` +
        '(restart the stack with a larger UTKLAR_REDIS_MAXMEMORY, e.g. 4gb, for 10 million)',
    );
  }
}

async function run(): Promise<ThroughputResult> {
  await checkRedisRoom();
  resources.start();

  phase('produce');
  const backlog = await produceBacklog({ config, pseudonymKey: env.UTKLAR_PSEUDONYM_KEY!, events, days, seed, progress });
  progress.note(`produced ${backlog.events} events in ${(backlog.ms / 1000).toFixed(1)} s (${backlog.eventsPerSecond}/s)`);

  // Before the pipeline, not beside it: on 2 cores they would slow each other down.
  phase('ceiling');
  const ceiling = await measureCeiling({ kafka, admin, topic: t.patientEvents, groupId: ceilingGroup, expected: backlog.events, progress, timeoutMs });
  progress.note(`ceiling: ${ceiling.messages} messages in ${(ceiling.ms / 1000).toFixed(1)} s (${ceiling.eventsPerSecond}/s)`);
  // What reading the topic once costs (issue #16): one group decoding every message, nothing else.
  phase('reference');
  const codec = new EventCodec(config.registryUrl);
  const reference = await measureCeiling({ kafka, admin, topic: t.patientEvents, groupId: `${ns}.reference`, groups: 1, decode: (v) => codec.decode(v), label: 'reference', expected: backlog.events, progress, timeoutMs });
  progress.note(`reference (1 group, decode only): ${(reference.ms / 1000).toFixed(1)} s (${reference.eventsPerSecond}/s)`);

  const redisBefore = await usedMemory(redis);
  const chBefore = mode === 'server' ? await clickhouseEvents() : undefined;
  phase('pipeline');
  const log = openSync(logFile, 'w');
  const spawnedAt = Date.now();
  const atSpawn = resources.sample();
  const startProcess = async (i: number) => {
    const own = i === 0 ? env : { ...env, UTKLAR_HTTP_PORT: String(await freePort()) };
    pipelines.push(spawn(...pipelineCommand, { env: own, stdio: ['ignore', 'ignore', log] }));
  };
  for (let i = 0; i < (joinAt === null ? processCount : processCount - 1); i++) await startProcess(i);
  /** When the late process (--join-at) was started, on the samples' time line. */
  let joinedLate: number | undefined;
  const watch = new CatchUp(admin, groups, spawnedAt);
  let healthy = false;
  let timersDrainedAt: number | undefined;
  let caughtUp: number | undefined;
  let confirmations = 0;
  let drainedAt: number | undefined;
  // The clock commits once per fetched batch (thousands of events per partition), so its
  // committed offset moves in big steps; its replay guard in Redis moves with every event.
  const clockApplied: { t: number; n: number }[] = [];
  const clockGroup = groups.find((g) => g.name === 'clock')!;
  for (;;) {
    const dead = pipelines.find((p) => !alive(p));
    if (dead) throw new Error(`a pipeline process exited (${dead.exitCode ?? dead.signalCode}):\n${pipelineLogTail()}`);
    if (Date.now() - spawnedAt > timeoutMs) throw new Error(`the pipeline did not catch up within ${timeoutMs / 60_000} min`);
    // /health only says the API is up for the probes later; it is no start time: the pipeline
    // starts its consumers before it answers, and a small backlog may be consumed by then.
    healthy ||= (await fetch(`${apiUrl}/health`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined))?.status === 200;
    // The outbox before the offsets: a changelog message published after this read is then
    // already in the high watermark read next, never missed by both.
    const outbox = await outboxLength(redis, ns, config.eventPartitions);
    const timersDue = await dueTimers(redis, ns, Date.now(), config.eventPartitions);
    const s = await watch.sample();
    const applied = await appliedEvents(redis, ns, clockGroup.groupId, clockGroup.topic, config.eventPartitions);
    clockApplied.push({ t: s.t, n: applied });
    if (joinAt !== null && joinedLate === undefined && applied >= joinAt * backlog.events) {
      joinedLate = s.t;
      await startProcess(processCount - 1);
      progress.note(`process ${processCount} joins the group at ${Math.round(joinAt * 100)} % applied`);
    }
    if (timersDue === 0) timersDrainedAt ??= s.t;
    else timersDrainedAt = undefined;
    const share = (g: WatchedGroup) => Math.min(1, s.committed[g.name]! / Math.max(1, s.end[g.topic]!));
    const eventShare = groups.filter((g) => g.topic === t.patientEvents).map(share);
    const started = Math.min(...Object.values(watch.joinedAt));
    const secs = Number.isFinite(started) ? (s.t - started) / 1000 : 0;
    const clockShare = Math.min(1, applied / Math.max(1, s.end[t.patientEvents]!));
    progress.update(
      'pipeline',
      Math.min(clockShare, ...eventShare.filter((_, i) => groups[i] !== clockGroup)),
      1,
      `committed: ${groups.map((g) => `${g.name} ${Math.floor(share(g) * 100)}%`).join(' ')} | clock applied ${Math.floor(clockShare * 100)}%, ${secs > 0 ? Math.round((clockShare * backlog.events) / secs) : 0} ev/s | outbox ${outbox}`,
    );
    // Two samples in a row: one could fall between a batch's effects and its commit.
    if (healthy && watch.allCaughtUp() && outbox === 0) {
      // The outbox empties after the offsets are committed (its entries wait for their facts).
      drainedAt ??= s.t;
      if (++confirmations >= 2) {
        caughtUp = Math.max(drainedAt, ...groups.map((g) => watch.caughtUpAt[g.name]!));
        break;
      }
    } else {
      confirmations = 0;
      drainedAt = undefined;
    }
    await sleep(250);
  }
  const atCaughtUp = resources.sample();
  closeSync(log);
  const rebalance = joinedLate === undefined ? null : rebalanceCost(clockApplied, joinedLate);
  if (rebalance) progress.note(`rebalance after the join: the group stood still for at most ${rebalance.stallMs} ms; ${rebalance.ratePerSecondBefore}/s in the 20 s before, ${rebalance.ratePerSecondAfter}/s in the 20 s after`);
  const chAfter = mode === 'server' ? await clickhouseEvents() : undefined;
  const startupMs = Math.min(...groups.map((g) => watch.joinedAt[g.name]!));
  const ms = Math.max(1, caughtUp - startupMs);
  progress.note(`pipeline caught up ${(ms / 1000).toFixed(1)} s after its consumers started (startup ${(startupMs / 1000).toFixed(1)} s)`);
  phase('caught up');

  // The timer worker announces the replayed history's day boundaries after the clock applied
  // them; it has no consumer group, so it is timed by its due timers (bounded wait).
  for (const until = Date.now() + 120_000; timersDrainedAt === undefined && Date.now() < until; await sleep(250)) {
    if ((await dueTimers(redis, ns, Date.now(), config.eventPartitions)) === 0) timersDrainedAt = Date.now() - spawnedAt;
  }

  const evictionSwept = await settledEviction();
  const redisMemory = { ...(await measureRedis(redis, ns, redisBefore)), evictionSwept };

  let clickhouseRows: ThroughputResult['clickhouseRows'];
  // The clock's commits wait for its event rows; the outbox empties once the facts are stored.
  const sinkMs = watch.caughtUpAt.clock! - watch.joinedAt.clock!;
  const factsMs = caughtUp - watch.joinedAt.clock!;
  if (mode === 'server') {
    const db = config.clickhouseDatabase;
    const [ev, facts] = await Promise.all([clickhouseQuery(`SELECT count() FROM ${db}.events`), clickhouseQuery(`SELECT count() FROM ${db}.episode_facts`)]);
    clickhouseRows = { events: Number(ev.trim()), eventsPerSecond: null, episodeFacts: Number(facts.trim()), episodeFactsPerSecond: Math.round(Number(facts.trim()) / (Math.max(1, factsMs) / 1000)) };
  } else {
    // chDB lives inside the pipeline process, so its own /status counts for us (distinct events).
    const status = (await (await fetch(`${apiUrl}/status`)).json()) as { clickhouse: { eventsByType: Record<string, number> } };
    clickhouseRows = { events: Object.values(status.clickhouse.eventsByType).reduce((a, b) => a + b, 0), eventsPerSecond: null, episodeFacts: null, episodeFactsPerSecond: null };
  }
  clickhouseRows.eventsPerSecond = Math.round(clickhouseRows.events / (Math.max(1, sinkMs) / 1000));

  phase('live');
  const probeProducer = new EventProducer(createKafka(config, 'bench-probes'), config.registryUrl, ns);
  await probeProducer.connect();
  const probes = new FreshnessProbes({
    producer: probeProducer,
    pseudonymiser: new Pseudonymiser(env.UTKLAR_PSEUDONYM_KEY),
    runId: id,
    apiUrl,
    token: mintToken({ kind: 'region', region: '18' }, secret, { subject: 'bench', ttlSeconds: 3600 }),
  });
  probes.start();
  // The first probes pay for connections and schema lookups; they are not counted.
  probes.phase = 'warm-up';
  for (let i = 0; i < 5; i++) await probes.send();
  await probes.settle(10_000);
  probes.phase = 'live';
  const liveProbes = Math.max(1, Math.round(liveSeconds * rate));
  await probes.run(liveProbes, rate, (i) => progress.update('live', i, liveProbes, `${i}/${liveProbes} probes`));
  await probes.settle(30_000);
  await probes.stop();
  await probeProducer.disconnect();
  const live = latencySummary(probes.latencies.live ?? []);
  progress.note(`freshness: p50 ${live.p50} ms, p95 ${live.p95} ms, p99 ${live.p99} ms`);
  phase('end');
  resources.sample();
  resources.stop();
  // Now, not at cleanup: a CPU profile is written when the process exits.
  await stopPipeline();

  const final = watch.samples.at(-1)!;
  const groupResults: Record<string, GroupResult> = {};
  for (const g of groups) {
    const at = watch.caughtUpAt[g.name];
    const gms = at === undefined ? null : Math.max(1, at - watch.joinedAt[g.name]!);
    const amount = g.topic === t.patientEvents ? backlog.events : final.committed[g.name]!;
    groupResults[g.name] = { topic: g.topic, offsets: final.committed[g.name]!, ms: gms, perSecond: gms === null ? null : Math.round(amount / (gms / 1000)) };
  }
  const eventGroups = groups.filter((g) => g.topic === t.patientEvents).map((g) => g.name);
  const slowestGroup = eventGroups.reduce((a, b) => ((groupResults[b]!.ms ?? 0) > (groupResults[a]!.ms ?? 0) ? b : a));
  const eventsPerSecond = Math.round(backlog.events / (ms / 1000));
  const at = new Date().toISOString();
  const options = { events, days, seed, liveSeconds, rate };
  const result: ThroughputResult = {
    benchmark: 'throughput',
    at,
    machine: machine(),
    clickhouse: mode,
    processes: pipelines.map(() => 'all'),
    options,
    backlog,
    ceiling: { messages: ceiling.messages, joinMs: ceiling.joinMs, ms: ceiling.ms, eventsPerSecond: ceiling.eventsPerSecond },
    reference: { messages: reference.messages, joinMs: reference.joinMs, ms: reference.ms, eventsPerSecond: reference.eventsPerSecond },
    pipeline: {
      startupMs,
      ms,
      eventsPerSecond,
      eventsPerSecondWithStartup: Math.round(backlog.events / (caughtUp / 1000)),
      ratioToCeiling: Math.round((eventsPerSecond / ceiling.eventsPerSecond) * 10_000) / 10_000,
      slowestGroup,
      groups: groupResults,
      timersDrainedMs: timersDrainedAt === undefined ? null : Math.max(0, timersDrainedAt - startupMs),
    },
    clickhouseRows,
    redis: redisMemory,
    // Each live probe's latency by when it was sent (seconds after the first): the replay's wake or steady.
    freshness: { ratePerSecond: rate, seconds: liveSeconds, ...live, lost: probes.pending, timeline: timelineOf(probes.timeline.filter((x) => x.phase === 'live')) },
    peakRssMiB: resources.peakMiB,
    cpuCoresDuringCatchUp: ResourceSampler.coresBetween(atSpawn, atCaughtUp),
    rebalance,
    // Per CPU-second of the pipeline's processes: what adding processes buys where cores are few.
    eventsPerPipelineCpuSecond: Math.round(backlog.events / Math.max(0.01, pipelines.reduce((sum, _, i) => sum + (atCaughtUp.cpu[pipelineName(i)] ?? 0) - (atSpawn.cpu[pipelineName(i)] ?? 0), 0))),
    clickhouseServer: chBefore && chAfter ? Object.fromEntries(Object.entries(chAfter).map(([k, v]) => [k, v - (chBefore[k] ?? 0)])) : null,
    chart: `${fileStem({ at, options })}.svg`,
    series: {
      // From the consumers' start, the time the rates are measured over.
      offsets: thin(watch.samples.filter((x) => x.t >= startupMs).map((x) => ({ ...x, t: x.t - startupMs }))),
      ceiling: thin(ceiling.series),
      clockApplied: thin(clockApplied.filter((x) => x.t >= startupMs).map((x) => ({ t: x.t - startupMs, n: (x.n * backlog.events) / Math.max(1, final.end[t.patientEvents]!) }))),
      resources: thin(resources.series),
      phases,
    },
  };
  return result;
}

/**
 * What a process joining mid-replay costs: the longest time the applied count stood still in the
 * minute after it joined (kafkajs rebalances eagerly: every member stops, rejoins and is assigned
 * anew), and the applied rate in the 20 s before the join and the 20 s after that stall.
 */
function timelineOf(seen: { sentAt: number; ms: number }[]): [number, number][] {
  const first = Math.min(...seen.map((x) => x.sentAt));
  return [...seen].sort((a, b) => a.sentAt - b.sentAt).map((x) => [Math.round((x.sentAt - first) / 100) / 10, x.ms]);
}

function rebalanceCost(applied: { t: number; n: number }[], joined: number) {
  let stallMs = 0;
  let stallEnd = joined;
  let still = joined;
  for (const [i, x] of applied.entries()) {
    if (x.t < joined || x.t > joined + 60_000 || i === 0) continue;
    if (x.n > applied[i - 1]!.n) still = x.t;
    else if (x.t - still > stallMs) [stallMs, stallEnd] = [x.t - still, x.t];
  }
  const rate = (from: number, to: number) => {
    const inside = applied.filter((x) => x.t >= from && x.t <= to);
    return inside.length < 2 ? 0 : Math.round(((inside.at(-1)!.n - inside[0]!.n) / (inside.at(-1)!.t - inside[0]!.t)) * 1000);
  };
  return { joinedAtMs: joined, stallMs, ratePerSecondBefore: rate(joined - 20_000, joined), ratePerSecondAfter: rate(stallEnd, stallEnd + 20_000) };
}

function chart(r: ThroughputResult): string {
  const n = r.backlog.events;
  const colours = Object.fromEntries(groups.map((g, i) => [g.name, PALETTE[i]!]));
  const consumed: Series[] = [
    { name: `ceiling (${r.ceiling.eventsPerSecond}/s)`, colour: '#000', dashed: true, points: r.series.ceiling.map((x) => [x.t / 1000, x.n]) },
    ...groups.map((g): Series => ({
      name: g.topic === t.patientEvents ? `${g.name} (${r.pipeline.groups[g.name]!.perSecond}/s)` : `${g.name} (changelog msgs)`,
      colour: colours[g.name]!,
      // Offsets count the transactions' commit markers too; scaled to events for the event topic.
      points: r.series.offsets.map((x) => [x.t / 1000, g.topic === t.patientEvents ? (x.committed[g.name]! * n) / Math.max(1, x.end[g.topic]!) : x.committed[g.name]!]),
    })),
    // Last, so it is drawn over sink-facts, which follows it closely.
    { name: 'clock (applied in Redis)', colour: colours.clock!, dashed: true, points: r.series.clockApplied.map((x) => [x.t / 1000, x.n]) },
  ];
  const names = [...new Set(r.series.resources.flatMap((x) => Object.keys(x.mib)))];
  const memory: Series[] = names.map((name, i) => ({
    name: `${name} (peak ${Math.round(r.peakRssMiB[name] ?? 0)})`,
    colour: name === 'pipeline' ? PALETTE[1]! : PALETTE[(i + 3) % PALETTE.length]!,
    points: r.series.resources.filter((x) => x.mib[name] !== undefined).map((x) => [x.t / 1000, x.mib[name]!]),
  }));
  const m = r.machine;
  return svgChart(
    `utklar throughput: ${n.toLocaleString('en-US')} events, pipeline ${r.pipeline.eventsPerSecond}/s vs ceiling ${r.ceiling.eventsPerSecond}/s (${(r.pipeline.ratioToCeiling * 100).toFixed(2)} %)`,
    [
      `${r.at} · ClickHouse ${r.clickhouse} · ${m.cpus} × ${m.cpu ?? '?'} · ${m.memGiB} GiB · node ${m.node}`,
      `freshness p50/p95/p99 ${r.freshness.p50}/${r.freshness.p95}/${r.freshness.p99} ms · Redis ${r.redis.bytesPerOpenEpisode.episode ?? '—'} B per open episode (${r.redis.bytesPerOpenEpisode.namespace ?? '—'} B with everything kept) · ClickHouse ${r.clickhouseRows.eventsPerSecond} event rows/s`,
    ],
    [
      {
        title: 'Backlog consumed per consumer group, and by the raw consumer (ceiling)',
        xLabel: 'seconds since the consumers started',
        yLabel: 'events consumed',
        series: consumed,
        markers: [{ x: r.pipeline.ms / 1000, label: 'all caught up' }],
      },
      {
        title: 'Resident memory (MiB), sampled every 500 ms',
        xLabel: 'seconds since the benchmark started',
        yLabel: 'MiB',
        series: memory,
        markers: r.series.phases.map((p) => ({ x: p.at / 1000, label: p.name })),
      },
    ],
  );
}

let exitCode = 0;
try {
  const result = await run();
  const dir = resultsDir;
  mkdirSync(dir, { recursive: true });
  const stem = fileStem(result);
  const jsonFile = path.join(dir, `${stem}.json`);
  writeFileSync(path.join(dir, result.chart), chart(result));
  writeFileSync(jsonFile, `${JSON.stringify(result, null, 2)}\n`);
  const { series: _series, ...summary } = result;
  const old = args['no-compare']
    ? undefined
    : args.compare
      ? { file: args.compare, result: JSON.parse(readFileSync(args.compare, 'utf8')) as ThroughputResult }
      : previousResult(dir, path.basename(jsonFile));
  if (args.json) console.log(JSON.stringify(summary, null, 2));
  else {
    console.log(JSON.stringify(summary, null, 2));
    console.log(['', ...table(result), ''].join('\n'));
    if (old) console.log([...compare(old.result, result, path.relative(process.cwd(), old.file)), ''].join('\n'));
    console.log(`saved ${path.relative(process.cwd(), jsonFile)} and ${path.relative(process.cwd(), path.join(dir, result.chart))}`);
    const profile = args['cpu-prof'] ? topFunctions(profileDir) : undefined;
    if (profile) console.log([`\nthe pipeline's CPU profile (${path.relative(process.cwd(), profile.file)}; self time, top functions):`, ...profile.lines].join('\n'));
  }
  if (result.freshness.lost > 0) {
    progress.note(`${result.freshness.lost} freshness probes were never seen in the query API`);
    exitCode = 1;
  }
  if (result.clickhouseRows.events < result.backlog.events) {
    progress.note(`ClickHouse has ${result.clickhouseRows.events} event rows for ${result.backlog.events} events produced`);
    exitCode = 1;
  }
  console.log(resultLine(result));
} catch (e) {
  progress.note(`benchmark failed: ${(e as Error).stack ?? e}`);
  failed = true;
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);

/** The last line of a run, for scripts (issue #16's format): same-run figures only. */
function resultLine(r: ThroughputResult): string {
  const ratio = r.reference ? r.pipeline.eventsPerSecond / r.reference.eventsPerSecond : null;
  return [
    'RESULT', `events=${r.backlog.events}`, `pipeline_eps=${r.pipeline.eventsPerSecond}`, `reference_eps=${r.reference?.eventsPerSecond ?? 'NA'}`,
    `ceiling_eps=${r.ceiling.eventsPerSecond}`, `ratio_reference=${ratio === null ? 'NA' : ratio.toFixed(4)}`, `freshness_p99_ms=${r.freshness.p99 ?? 'NA'}`,
    `redis_bytes_per_open_episode=${r.redis.bytesPerOpenEpisode.namespace ?? 'NA'}`,
  ].join(' ');
}
