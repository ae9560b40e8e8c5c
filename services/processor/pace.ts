/**
 * A ceiling on the events a process applies per second, shared by all its partitions (every
 * partition's batch takes its slice from the one pace). A rebuild replays history beside the live
 * pipeline on the same Redis, ClickHouse and cores: `utklar rebuild --max-rate` (or
 * UTKLAR_MAX_EVENTS_PER_S for any clock consumer) trades the replay's speed for the live side's
 * freshness. No burst credit is saved up while idle: after a pause the next slice goes at once and
 * the one after waits for it.
 */
export class Pace {
  #next = 0;

  constructor(
    readonly perSecond: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    if (!(perSecond > 0) || !Number.isFinite(perSecond)) throw new RangeError(`a pace needs a positive number of events per second, not ${perSecond}`);
  }

  /** Waits until `n` more events fit under the ceiling; resolves with the milliseconds waited. */
  async take(n: number): Promise<number> {
    const now = this.now();
    const start = Math.max(now, this.#next);
    this.#next = start + (n * 1000) / this.perSecond;
    const wait = start - now;
    if (wait > 0) await this.sleep(wait);
    return wait;
  }

  /** Events per slice so that no single wait outlasts a quarter of a second (a slice is one script call). */
  sliceSize(max: number): number {
    return Math.max(1, Math.min(max, Math.ceil(this.perSecond / 4)));
  }
}
