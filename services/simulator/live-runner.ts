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
  /** Where the simulated history's start and end are kept between runs (Redis): a restart continues it. */
  anchor?: AnchorStore;
}

/**
 * What a restart needs to continue a history instead of starting a second one: the simulator is
 * deterministic from its seed, rate and start, so the same history is drawn again, the part already
 * sent (up to `untilMs`) skipped, and only the time since sent — with the ids it had the first time.
 */
export interface SimulationAnchor { seed: number; admissionsPerDay: number; startMs: number; untilMs: number }
export interface AnchorStore {
  load(): Promise<SimulationAnchor | null>;
  save(anchor: SimulationAnchor): Promise<void>;
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
  #saveAnchor: ((until: number) => Promise<void> | undefined) | undefined;

  constructor(
    private readonly producer: EventProducer,
    private readonly pseudonymiser: Pseudonymiser,
    private readonly o: LiveRunOptions,
  ) {}

  /** Set at start when an earlier run's history is continued: where it had stopped. */
  resumedFrom: number | null = null;

  async start(): Promise<void> {
    const now = this.o.now ?? Date.now;
    const wallStart = now();
    const { seed, admissionsPerDay } = this.o;
    const stored = await this.o.anchor?.load();
    const resume = stored && stored.seed === seed && stored.admissionsPerDay === admissionsPerDay ? stored : null;
    if (stored && !resume) log.warn({ stored }, 'this namespace holds the simulated history of another seed or rate: the new one is added beside it (npm run stack reset starts clean)');
    const simStart = resume ? resume.startMs : wallStart - this.o.backfillDays * 86_400_000;
    const sim = new RegionSimulator({ seed, admissionsPerDay }, simStart);
    if (resume) {
      // Drawn again and dropped: sent by the earlier run.
      for (const _ of sim.eventsUntil(resume.untilMs));
      this.resumedFrom = resume.untilMs;
    }
    const anchor = (until: number) => this.o.anchor?.save({ seed, admissionsPerDay, startMs: simStart, untilMs: until });
    this.#saveAnchor = anchor;
    const simNow = () => wallStart + (now() - wallStart) * this.o.speed;
    await this.#produceUntil(sim, Math.max(simNow(), resume?.untilMs ?? 0));
    log.info({ produced: this.produced, backfillDays: this.o.backfillDays, resumedFrom: resume ? new Date(resume.untilMs).toISOString() : null }, 'backfill produced; going live');
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
    let lastAt = 0;
    const send = async () => {
      await this.producer.send(batch);
      this.produced += batch.length;
      this.o.onProduced?.(batch.length);
      batch = [];
      // A run stopped halfway through a backfill continues from here: an event of the same
      // millisecond as the last one sent is sent again rather than lost (the clocks drop repeats).
      await this.#saveAnchor?.(lastAt - 1);
    };
    for (const raw of sim.eventsUntil(until)) {
      lastAt = Date.parse(raw.occurredAt);
      try {
        batch.push(parseNdjsonEvent(JSON.stringify(raw), 0, this.pseudonymiser));
      } catch (e) {
        if (!(e instanceof UtklarError)) throw e;
        log.error({ code: e.code }, 'simulator made an invalid event (a bug): skipped');
      }
      if (batch.length >= 1000) await send();
    }
    if (batch.length > 0) await send();
    if (until > this.simTime) await this.#saveAnchor?.(until);
    this.simTime = Math.max(this.simTime, until);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
