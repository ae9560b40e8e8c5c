import { waitFor } from '../support/env.ts';
import { PipelineProcess } from '../support/processes.ts';

/**
 * One pipeline service under a supervisor, as systemd or Kubernetes would run it: restarted a
 * second after it exits. Exits the chaos caused (SIGKILL) are counted apart from the ones it did
 * not (a crash), and all its output is kept for the personal-data scan.
 */
export class Supervised {
  proc!: PipelineProcess;
  starts = 0;
  kills = 0;
  /** Exits nobody asked for, with when they happened. */
  readonly crashes: { at: number; output: string }[] = [];
  readonly outputs: PipelineProcess[] = [];
  #stopping = false;
  #killing = false;

  constructor(readonly name: string, readonly env: Record<string, string>) {
    this.#spawn();
  }

  #spawn(): void {
    this.proc = new PipelineProcess(this.env);
    this.outputs.push(this.proc);
    this.starts++;
    this.proc.child.once('exit', () => {
      if (this.#stopping) return;
      if (this.#killing) this.#killing = false;
      else this.crashes.push({ at: Date.now(), output: this.proc.output.slice(-600) });
      setTimeout(() => void (this.#stopping || this.#spawn()), 1_000);
    });
  }

  get output(): string {
    return this.outputs.map((p) => p.output).join('\n');
  }

  /** SIGKILL now; the supervisor restarts it. */
  async kill9(): Promise<void> {
    if (this.proc.child.exitCode !== null) return;
    this.#killing = true;
    this.kills++;
    const exited = new Promise((r) => this.proc.child.once('exit', r));
    this.proc.child.kill('SIGKILL');
    await exited;
  }

  /** /health answers 200, whichever incarnation is running by then. */
  async healthy(timeoutMs = 180_000): Promise<void> {
    await waitFor(`${this.name} healthy (output: ${this.proc.output.slice(-1500)})`, async () => {
      const r = await fetch(`${this.proc.url}/health`).catch(() => undefined);
      return r?.status === 200 ? true : undefined;
    }, timeoutMs);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.proc.stop();
  }
}
