import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Backlog } from './backlog.ts';
import type { OffsetSample } from './catch-up.ts';
import type { CeilingResult } from './ceiling.ts';
import type { RedisMemory } from './redis-memory.ts';
import type { ResourceSample } from './resources.ts';

export interface Machine {
  cpu: string | undefined;
  cpus: number;
  memGiB: number;
  node: string;
  os: string;
}

export const machine = (): Machine => ({
  cpu: os.cpus()[0]?.model,
  cpus: os.cpus().length,
  memGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  os: `${os.type()} ${os.release()}`,
});

export interface GroupResult {
  topic: string;
  /** committed offsets at the end, summed over partitions (transaction markers included) */
  offsets: number;
  /** from this group's join to it being level with its topic */
  ms: number | null;
  /** events/s for the event topic's groups; changelog messages/s for sink-facts */
  perSecond: number | null;
}

export interface ThroughputResult {
  benchmark: 'throughput';
  at: string;
  machine: Machine;
  clickhouse: 'server' | 'embedded';
  /** The pipeline's processes and what each runs (--split: two). */
  processes?: string[];
  options: { events: number; days: number; seed: number; liveSeconds: number; rate: number };
  backlog: Backlog;
  ceiling: Omit<CeilingResult, 'series'>;
  /**
   * Reading the events topic once: one group decoding Avro and doing nothing else (issue #16;
   * results before 2026-12-01 hold three groups at once, the pipeline's shape then). Older results lack it.
   */
  reference?: Omit<CeilingResult, 'series'>;
  pipeline: {
    /** spawn → the first consumer group joined (migrations, schema registration, group join) */
    startupMs: number;
    /** first group joined → every group level with its topic and the clock's outbox empty */
    ms: number;
    eventsPerSecond: number;
    eventsPerSecondWithStartup: number;
    /** pipeline events/s ÷ ceiling events/s */
    ratioToCeiling: number;
    slowestGroup: string;
    groups: Record<string, GroupResult>;
    /** first group joined → no day-boundary timer due any more (the timer worker's catch-up), if seen */
    timersDrainedMs: number | null;
  };
  clickhouseRows: { events: number; eventsPerSecond: number | null; episodeFacts: number | null; episodeFactsPerSecond: number | null };
  /** evictionSwept: measured after a sweep left no closed episode that may be forgotten */
  redis: RedisMemory & { evictionSwept: boolean };
  freshness: { ratePerSecond: number; seconds: number; probes: number; p50: number | null; p95: number | null; p99: number | null; max: number | null; lost: number; timeline?: [number, number][] };
  peakRssMiB: Record<string, number>;
  /** average CPU cores per service from the pipeline's spawn to its catch-up (2 cores here) */
  cpuCoresDuringCatchUp: Record<string, number>;
  /** A process joining mid-replay (--join-at): the group's longest stall after it, and the rates around it. */
  rebalance?: { joinedAtMs: number; stallMs: number; ratePerSecondBefore: number; ratePerSecondAfter: number } | null;
  /** Events per CPU-second of all pipeline processes together, while catching up. */
  eventsPerPipelineCpuSecond?: number;
  /** ClickHouse server counters (system.events) over the same span; null for chDB */
  clickhouseServer: Record<string, number> | null;
  chart: string;
  /** Raw series for the chart, thinned; ms since each phase's start. */
  series: {
    offsets: OffsetSample[];
    ceiling: CeilingResult['series'];
    /** events the clock applied in Redis (its replay guard), scaled like the offsets */
    clockApplied: { t: number; n: number }[];
    resources: ResourceSample[];
    /** ms on the resources' time line where each phase began */
    phases: { name: string; at: number }[];
  };
}

export const fileStem = (r: Pick<ThroughputResult, 'at' | 'options'>) => `throughput-${r.options.events}-${r.at.replace(/[:.]/g, '-')}`;

/** The newest earlier result in `dir`, if any (names sort by time within a size; newest by `at`). */
export function previousResult(dir: string, except: string): { file: string; result: ThroughputResult } | undefined {
  let best: { file: string; result: ThroughputResult } | undefined;
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((f) => /^throughput-.*\.json$/.test(f) && f !== except);
  } catch {
    return undefined;
  }
  for (const f of names) {
    try {
      const result = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as ThroughputResult;
      if (result.benchmark === 'throughput' && (!best || result.at > best.result.at)) best = { file: path.join(dir, f), result };
    } catch {
      // an unreadable file is not a result
    }
  }
  return best;
}

const n = (v: number | null | undefined, digits = 0) =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }).replace(/,/g, ' ');
const s = (ms: number | null | undefined) => (ms === null || ms === undefined ? '—' : `${n(ms / 1000, 1)} s`);

/** Aligned columns; the first column left-aligned, the rest right-aligned. */
function columns(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   ').trimEnd());
}

export function table(r: ThroughputResult): string[] {
  const p = r.pipeline;
  const m = r.machine;
  const lines = [
    `throughput: ${n(r.options.events)} simulated events through the whole pipeline (ClickHouse ${r.clickhouse}${r.processes && r.processes.length > 1 ? `; ${r.processes.length} processes: ${r.processes.join(' | ')}` : ''})`,
    `machine: ${m.cpus} × ${m.cpu ?? '?'}, ${m.memGiB} GiB, node ${m.node}, ${m.os}; ${r.at}`,
    `backlog: ${n(r.backlog.events)} events, ${r.backlog.firstEventAt.slice(0, 10)} … ${r.backlog.lastEventAt.slice(0, 10)} (${n(r.backlog.admissionsPerDay)} admissions/day), produced in ${s(r.backlog.ms)} (${n(r.backlog.eventsPerSecond)} events/s)`,
    '',
    ...columns([
      ['', 'events/s', 'time', ''],
      ['ceiling: raw kafkajs consumer, no-op handler', n(r.ceiling.eventsPerSecond), s(r.ceiling.ms), `join ${s(r.ceiling.joinMs)}`],
      ...(r.reference ? [['reference: 1 group, Avro decode only', n(r.reference.eventsPerSecond), s(r.reference.ms), `${n((r.reference.eventsPerSecond / r.ceiling.eventsPerSecond) * 100, 1)} % of the ceiling`]] : []),
      ['pipeline: every group caught up', n(p.eventsPerSecond), s(p.ms), `startup ${s(p.startupMs)}`],
      ...Object.entries(p.groups).map(([g, v]) => [
        `  ${g}${g === 'sink-facts' ? ' (changelog msgs/s)' : ''}${g === p.slowestGroup ? ' ← slowest' : ''}`,
        n(v.perSecond),
        s(v.ms),
        '',
      ]),
      ['pipeline incl. startup', n(p.eventsPerSecondWithStartup), s(p.startupMs + p.ms), ''],
      ['ratio pipeline / ceiling', `${n(p.ratioToCeiling * 100, 2)} %`, '', ''],
      ...(r.reference ? [['ratio pipeline / reference', `${n((p.eventsPerSecond / r.reference.eventsPerSecond) * 100, 2)} %`, '', '']] : []),
      ['timer worker caught up (day boundaries)', '', s(p.timersDrainedMs), ''],
    ]),
    '',
    `ClickHouse rows/s: events ${n(r.clickhouseRows.eventsPerSecond)} (${n(r.clickhouseRows.events)} rows)` +
      (r.clickhouseRows.episodeFacts === null ? '' : `, episode_facts ${n(r.clickhouseRows.episodeFactsPerSecond)} (${n(r.clickhouseRows.episodeFacts)} rows)`),
    `freshness at ${r.freshness.ratePerSecond} probes/s for ${r.freshness.seconds} s (Kafka ack → query API): ` +
      `p50 ${n(r.freshness.p50)} ms, p95 ${n(r.freshness.p95)} ms, p99 ${n(r.freshness.p99)} ms, max ${n(r.freshness.max)} ms (${r.freshness.probes} probes, ${r.freshness.lost} lost)`,
    `Redis${r.redis.evictionSwept ? ' (after an eviction sweep)' : ' (no eviction sweep seen)'}: ${n(r.redis.openEpisodes)} open episodes; bytes per open episode: ${n(r.redis.bytesPerOpenEpisode.episode)} (its state + event log), ` +
      `${n(r.redis.bytesPerOpenEpisode.namespace)} (all ${n(r.redis.namespaceKeys)} keys of the namespace, ${n(r.redis.namespaceBytes / 2 ** 20, 1)} MiB)`,
    `  by kind: ${Object.entries(r.redis.byKind).slice(0, 6).map(([k, v]) => `${k} ${n(v.bytes / 2 ** 20, 1)} MiB/${n(v.keys)}`).join(', ')}`,
    `peak RSS (MiB, sampled every 500 ms): ${Object.entries(r.peakRssMiB).map(([k, v]) => `${k} ${n(v)}`).join(', ')}`,
    `CPU cores used while the pipeline caught up: ${Object.entries(r.cpuCoresDuringCatchUp).map(([k, v]) => `${k} ${n(v, 2)}`).join(', ')}`,
    ...(r.eventsPerPipelineCpuSecond ? [`events per CPU-second of the pipeline's processes: ${n(r.eventsPerPipelineCpuSecond)}`] : []),
    // 'other' is everything else busy on the machine: kernel threads writing the services' data
    // back to disk take ≈ 0.3 cores here on their own; much more means another workload ran.
    ...((r.cpuCoresDuringCatchUp.other ?? 0) >= 0.6
      ? [`  note: other processes used ${n(r.cpuCoresDuringCatchUp.other, 2)} of the ${m.cpus} cores meanwhile: the machine was shared during this run`]
      : []),
    ...(r.clickhouseServer
      ? [`ClickHouse server meanwhile (shared, indicative): ${n(r.clickhouseServer.InsertQuery)} INSERTs, ${n(r.clickhouseServer.InsertedRows)} rows (${n((r.clickhouseServer.InsertedRows ?? 0) / Math.max(1, r.clickhouseServer.InsertQuery ?? 0))} per INSERT), merges rewrote ${n(r.clickhouseServer.MergedRows)} rows in ${n((r.clickhouseServer.MergesTimeMilliseconds ?? 0) / 1000)} s`]
      : []),
  ];
  return lines;
}

/** The measurements a comparison shows (dotted paths); sizes and settings are named in its heading. */
const COMPARED = [
  /^backlog\.eventsPerSecond$/,
  /^ceiling\.eventsPerSecond$/,
  /^pipeline\.(startupMs|ms|eventsPerSecond|eventsPerSecondWithStartup|ratioToCeiling|timersDrainedMs)$/,
  /^pipeline\.groups\.[^.]+\.perSecond$/,
  /^clickhouseRows\.(eventsPerSecond|episodeFactsPerSecond)$/,
  /^clickhouseServer\./,
  /^redis\.(openEpisodes|bytesPerOpenEpisode\..+|namespaceBytes)$/,
  /^freshness\.(p50|p95|p99|max|lost)$/,
  /^peakRssMiB\./,
  /^cpuCoresDuringCatchUp\./,
];

/** Numeric leaves by dotted path; the raw series and the machine are not results. */
function numbers(o: unknown, prefix = '', out = new Map<string, number>()): Map<string, number> {
  if (typeof o === 'number' && Number.isFinite(o)) out.set(prefix, o);
  else if (o && typeof o === 'object' && !Array.isArray(o)) {
    for (const [k, v] of Object.entries(o)) {
      if (prefix === '' && (k === 'series' || k === 'machine')) continue;
      numbers(v, prefix ? `${prefix}.${k}` : k, out);
    }
  }
  return out;
}

export function compare(old: ThroughputResult, cur: ThroughputResult, oldName: string): string[] {
  const a = numbers(old);
  const b = numbers(cur);
  const rows = [['', 'before', 'now', 'change']];
  for (const [k, v] of b) {
    const was = a.get(k);
    if (was === undefined || !COMPARED.some((re) => re.test(k))) continue;
    const change = was === 0 ? (v === 0 ? '' : 'new') : `${v >= was ? '+' : ''}${n(((v - was) / Math.abs(was)) * 100, 1)} %`;
    rows.push([k, n(was, Number.isInteger(was) ? 0 : 3), n(v, Number.isInteger(v) ? 0 : 3), change]);
  }
  const notes: string[] = [];
  if (old.options.events !== cur.options.events) notes.push(`different sizes (${old.options.events} vs ${cur.options.events} events)`);
  if (old.clickhouse !== cur.clickhouse) notes.push(`different ClickHouse (${old.clickhouse} vs ${cur.clickhouse})`);
  if (JSON.stringify(old.machine) !== JSON.stringify(cur.machine)) notes.push('different machine');
  return [`compared with ${oldName} (${old.at})${notes.length ? `: ${notes.join('; ')}` : ''}`, ...columns(rows)];
}
