import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../services/core/config.ts';

/** Resident memory and CPU time per service over time, sampled from /proc. */
export interface ResourceSample {
  /** ms since the sampler started */
  t: number;
  mib: Record<string, number>;
  /** CPU seconds (user + system) used so far by the live processes of the service */
  cpu: Record<string, number>;
  /** CPU seconds the whole machine has been busy so far */
  machineCpu: number;
}

/** Linux reports CPU times in USER_HZ ticks, 100 a second on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

function readOr(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined; // the process (or thread) ended between listing and reading
  }
}

/** VmRSS of one process in KiB; 0 when it is gone. */
function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readOr(`/proc/${pid}/status`) ?? '');
  return m ? Number(m[1]) : 0;
}

/** utime + stime of one process in seconds; 0 when it is gone. */
function cpuSeconds(pid: number): number {
  const stat = readOr(`/proc/${pid}/stat`);
  if (!stat) return 0;
  // The command name (field 2) may hold spaces and parentheses; fields after it are plain.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/**
 * A process and all its descendants: a service counts with whatever it spawned (a wrapper's
 * children, a runtime's helpers), except descendants that are targets of their own (the
 * pipeline is this benchmark's child). Children are listed per thread, so every thread is asked.
 */
function processTree(pid: number, others: Set<number>): number[] {
  const all: number[] = [];
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop()!;
    if (p !== pid && others.has(p)) continue;
    all.push(p);
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      for (const child of (readOr(`/proc/${p}/task/${task}/children`) ?? '').split(' ')) {
        if (child.trim()) todo.push(Number(child));
      }
    }
  }
  return all;
}

/** CPU seconds the whole machine has been busy (all cores; /proc/stat, idle and iowait excluded). */
function machineBusySeconds(): number {
  const cpu = (readOr('/proc/stat') ?? '').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already within user)
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}

/** The pid of a service that infra/stack.sh runs (its pid file), if that process is alive. */
export function servicePid(service: string): number | undefined {
  const home = process.env.UTKLAR_INFRA_HOME ?? path.join(repoRoot, 'infra');
  const pid = Number(readOr(path.join(home, '.run', `${service}.pid`))?.trim());
  return Number.isInteger(pid) && pid > 0 && existsSync(`/proc/${pid}`) ? pid : undefined;
}

export class ResourceSampler {
  readonly peakMiB: Record<string, number> = {};
  readonly series: ResourceSample[] = [];
  #timer: NodeJS.Timeout | undefined;
  #t0 = Date.now();

  /** `targets` is asked at every sample, so a process started later (the pipeline) joins in. */
  constructor(
    private readonly targets: () => Record<string, number | undefined>,
    private readonly everyMs = 500,
  ) {}

  start(): void {
    this.#t0 = Date.now();
    this.sample();
    this.#timer = setInterval(() => this.sample(), this.everyMs);
  }

  sample(): ResourceSample {
    const mib: Record<string, number> = {};
    const cpu: Record<string, number> = {};
    const targets = Object.entries(this.targets());
    const roots = new Set(targets.map(([, pid]) => pid).filter((p): p is number => p !== undefined));
    for (const [name, pid] of targets) {
      if (pid === undefined) continue;
      const tree = processTree(pid, roots);
      const kib = tree.reduce((s, p) => s + rssKiB(p), 0);
      if (kib === 0) continue;
      mib[name] = Math.round((kib / 1024) * 10) / 10;
      cpu[name] = Math.round(tree.reduce((s, p) => s + cpuSeconds(p), 0) * 100) / 100;
      this.peakMiB[name] = Math.max(this.peakMiB[name] ?? 0, mib[name]);
    }
    const s = { t: Date.now() - this.#t0, mib, cpu, machineCpu: machineBusySeconds() };
    this.series.push(s);
    return s;
  }

  /** ms since start, on the same scale as the samples' `t`. */
  now(): number {
    return Date.now() - this.#t0;
  }

  /**
   * Average CPU cores each service used between two samples (a service absent from the first,
   * like a pipeline started in between, counts from zero). 1.0 is one core busy all along.
   * `other` is what the rest of the machine used meanwhile: on a shared box (someone's tests),
   * the sign that a run's numbers were measured under someone else's load.
   */
  static coresBetween(a: ResourceSample, b: ResourceSample): Record<string, number> {
    const secs = Math.max(0.001, (b.t - a.t) / 1000);
    const cores = (used: number) => Math.round((used / secs) * 100) / 100;
    const per = Object.entries(b.cpu).map(([name, c]) => [name, c - (a.cpu[name] ?? 0)] as const);
    const ours = per.reduce((sum, [, used]) => sum + used, 0);
    return { ...Object.fromEntries(per.map(([name, used]) => [name, cores(used)])), other: cores(Math.max(0, b.machineCpu - a.machineCpu - ours)) };
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
