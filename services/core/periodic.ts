import type { Logger } from 'pino';

/**
 * A round of work every `everyMs`, never two at once: a round that outlasts the interval makes
 * the next one wait, not overlap. A failed round is logged and the next one retries; health says
 * whether the last round failed.
 */
export class Periodic {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #lastError: string | null = null;

  constructor(
    readonly name: string,
    private readonly everyMs: number,
    private readonly round: () => Promise<void>,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.everyMs > 0) this.#timer ??= setInterval(() => void this.runOnce(), this.everyMs);
  }

  /** One round now, unless one is under way (then that one). */
  runOnce(): Promise<void> {
    this.#running ??= this.round()
      .then(() => void (this.#lastError = null))
      .catch((e: unknown) => {
        this.#lastError = (e as Error).message;
        this.log.warn({ err: e }, `${this.name} round failed; the next one retries`);
      })
      .finally(() => (this.#running = undefined));
    return this.#running;
  }

  /** Stops the rounds; a round under way finishes first. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  health(): string {
    return this.#lastError === null ? 'ok' : `last round failed: ${this.#lastError}`;
  }
}
