/**
 * Progress on stderr. On a terminal a bar redrawn in place; anywhere else (CI logs, `2> file`)
 * carriage returns would make one endless line, so there it is a plain line every 10 s.
 */
export class Progress {
  readonly #tty: boolean;
  #lastLine = 0;
  #open = false;

  constructor(
    readonly everyMs = 10_000,
    tty = process.stderr.isTTY === true,
  ) {
    this.#tty = tty;
  }

  update(label: string, done: number, total: number, detail = ''): void {
    const frac = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
    const pct = `${(frac * 100).toFixed(1)} %`;
    if (this.#tty) {
      const width = 30;
      const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
      const line = `${label.padEnd(9)} [${bar}] ${pct.padStart(7)} ${detail}`;
      // A line wider than the terminal wraps, and \r then redraws only its last part.
      process.stderr.write(`\r\x1b[K${line.slice(0, Math.max(20, (process.stderr.columns || 120) - 1))}`);
      this.#open = true;
    } else if (Date.now() - this.#lastLine >= this.everyMs) {
      this.#lastLine = Date.now();
      process.stderr.write(`${label}: ${pct} ${detail}\n`);
    }
  }

  /** A message on a line of its own; ends a bar being drawn, and the next update shows at once. */
  note(message: string): void {
    if (this.#open) process.stderr.write('\n');
    this.#open = false;
    this.#lastLine = 0;
    process.stderr.write(`${message}\n`);
  }
}
