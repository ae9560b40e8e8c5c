import { UtklarError } from '../core/errors.ts';
import { logger } from '../core/log.ts';
import { parseNdjsonEvent } from '../contract/ndjson-event.ts';
import type { Pseudonymiser } from '../contract/pseudonymise.ts';
import type { PatientEvent } from '../contract/event.ts';
import type { EventProducer } from '../producer/event-producer.ts';
import { RegionSimulator } from './simulate.ts';

const log = logger('simulator');

export interface LiveRunOptions {
  seed: number;
  admissionsPerDay: number;
  /** Simulated history produced at once before going live, so a fresh board is not empty. */
  backfillDays: number;
  /** Simulated milliseconds per wall-clock millisecond after the backfill (1 = live). */
  speed: number;
  now?: () => number;
  onProduced?: (count: number) => void;
}

/**
 * Drives the simulator against a clock and sends its events through the same validation and
 * pseudonymisation as the NDJSON CLI, so simulated data exercises the public contract.
 */
export class LiveSimulation {
  produced = 0;
  simTime = 0;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  constructor(
    private readonly producer: EventProducer,
    private readonly pseudonymiser: Pseudonymiser,
    private readonly o: LiveRunOptions,
  ) {}

  async start(): Promise<void> {
    const now = this.o.now ?? Date.now;
    const wallStart = now();
    const simStart = wallStart - this.o.backfillDays * 86_400_000;
    const sim = new RegionSimulator({ seed: this.o.seed, admissionsPerDay: this.o.admissionsPerDay }, simStart);
    const simNow = () => wallStart + (now() - wallStart) * this.o.speed;
    await this.#produceUntil(sim, simNow());
    log.info({ produced: this.produced, backfillDays: this.o.backfillDays }, 'backfill produced; going live');
    this.#timer = setInterval(() => {
      if (this.#busy) return;
      this.#busy = true;
      this.#produceUntil(sim, simNow())
        .catch((e) => log.error({ err: e }, 'simulator tick failed; will retry'))
        .finally(() => (this.#busy = false));
    }, 1000);
  }

  async #produceUntil(sim: RegionSimulator, until: number): Promise<void> {
    let batch: PatientEvent[] = [];
    const send = async () => {
      await this.producer.send(batch);
      this.produced += batch.length;
      this.o.onProduced?.(batch.length);
      batch = [];
    };
    for (const raw of sim.eventsUntil(until)) {
      try {
        batch.push(parseNdjsonEvent(JSON.stringify(raw), 0, this.pseudonymiser));
      } catch (e) {
        if (!(e instanceof UtklarError)) throw e;
        log.error({ code: e.code }, 'simulator made an invalid event (a bug): skipped');
      }
      if (batch.length >= 1000) await send();
    }
    if (batch.length > 0) await send();
    this.simTime = until;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
