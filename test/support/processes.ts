import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { GiveUp, repoRoot, waitFor } from './env.ts';

const CLI = path.join(repoRoot, 'bin/utklar');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `utklar` CLI as a child process, as an integrator would. */
export function runCli(args: string[], env: Record<string, string>, stdin?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(CLI, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

/** `utklar run` in a child process; its whole output is kept for the no-personal-data check. */
export class PipelineProcess {
  output = '';
  readonly child: ChildProcess;

  constructor(readonly env: Record<string, string>, args: string[] = []) {
    this.child = spawn(CLI, ['run', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d) => (this.output += d));
    this.child.stderr!.on('data', (d) => (this.output += d));
  }

  get url(): string {
    return `http://127.0.0.1:${this.env.UTKLAR_HTTP_PORT}`;
  }

  async healthy(): Promise<void> {
    await waitFor(`pipeline /health (output so far: ${this.output.slice(-2000)})`, async () => {
      if (this.child.exitCode !== null) throw new GiveUp(`pipeline exited ${this.child.exitCode}: ${this.output.slice(-2000)}`);
      const r = await fetch(`${this.url}/health`);
      return r.status === 200 ? true : undefined;
    }, 90_000);
  }

  async status(): Promise<{ clickhouse: { eventsByType: Record<string, number> } }> {
    return (await fetch(`${this.url}/status`)).json() as never;
  }

  stop(): Promise<void> {
    return stopChild(this.child, 20_000);
  }
}

/** `utklar hl7` in a child process, as a region runs it (`args`: e.g. `--mapping`). */
export class Hl7Process {
  output = '';
  readonly child: ChildProcess;

  constructor(readonly env: Record<string, string>, readonly port: number, readonly metricsPort: number, args: string[] = []) {
    this.child = spawn(CLI, ['hl7', '--port', String(port), '--metrics-port', String(metricsPort), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d) => (this.output += d));
    this.child.stderr!.on('data', (d) => (this.output += d));
  }

  async ready(): Promise<void> {
    await waitFor(`utklar hl7 ready (output: ${this.output.slice(-1500)})`, async () => {
      if (this.child.exitCode !== null) throw new GiveUp(`utklar hl7 exited ${this.child.exitCode}: ${this.output.slice(-1500)}`);
      return (await fetch(`http://127.0.0.1:${this.metricsPort}/health`)).ok ? true : undefined;
    }, 60_000);
  }

  stop(): Promise<void> {
    return stopChild(this.child, 15_000);
  }
}

/** SIGTERM, and SIGKILL when the process has not shut down within `graceMs`. */
async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}
