import type { Config } from '../../services/core/config.ts';
import { Pseudonymiser } from '../../services/contract/pseudonymise.ts';
import { parseNdjsonEvent } from '../../services/contract/ndjson-event.ts';
import type { PatientEvent } from '../../services/contract/event.ts';
import { createKafka } from '../../services/kafka/client.ts';
import { EventProducer, type Rejected } from '../../services/producer/event-producer.ts';
import { RegionSimulator } from '../../services/simulator/simulate.ts';
import type { Progress } from './progress.ts';

const DAY = 86_400_000;
/** Örebro län's admissions per day, the simulator's own scale. */
const OREBRO_RATE = 150;
/** Events per transaction: few commit markers, and a produce request stays well under 1 MB a partition. */
const BATCH = 4000;

export interface Backlog {
  events: number;
  /** The simulated region's size that puts `events` into `days` of history. */
  admissionsPerDay: number;
  firstEventAt: string;
  lastEventAt: string;
  ms: number;
  eventsPerSecond: number;
}

/**
 * Simulated history of `days` ending now, with the admission rate scaled so that it holds about
 * `events` events (measured on the same seed at Örebro's rate, +2 % so the stream is cut at
 * exactly `events` a few days before now rather than running short). A fixed span keeps the
 * event dates in the years the payment tables cover, whatever N is; N only changes the region's
 * size, and with it how many episodes are open at once.
 */
export function planBacklog(events: number, days: number, seed: number, now: number): { admissionsPerDay: number } {
  let sample = 0;
  for (const _ of new RegionSimulator({ seed, admissionsPerDay: OREBRO_RATE }, now - days * DAY).eventsUntil(now)) sample++;
  return { admissionsPerDay: Math.round(((OREBRO_RATE * events) / sample) * 1.02) };
}

/**
 * Produces the backlog before any consumer runs, through the real producer (validation,
 * pseudonymisation, Avro via the registry, one transaction a batch). Two producers take turns so
 * one encodes while the other's transaction is on the wire.
 */
export async function produceBacklog(o: {
  config: Config;
  pseudonymKey: string;
  events: number;
  days: number;
  seed: number;
  progress: Progress;
}): Promise<Backlog> {
  const now = Date.now();
  const { admissionsPerDay } = planBacklog(o.events, o.days, o.seed, now);
  const pseudo = new Pseudonymiser(o.pseudonymKey);
  const producers = [0, 1].map((i) => new EventProducer(createKafka(o.config, `bench-backlog-${i}`), o.config.registryUrl, o.config.namespace));
  // One after the other: both would create the namespace's topics otherwise.
  for (const p of producers) await p.connect();
  const started = Date.now();
  const inFlight: Promise<Rejected[]>[] = [];
  let rejected = 0;
  let sent = 0;
  let turn = 0;
  let batch: PatientEvent[] = [];
  let firstEventAt = '';
  let lastEventAt = '';
  const flush = async () => {
    inFlight.push(producers[turn++ % producers.length]!.send(batch));
    sent += batch.length;
    batch = [];
    if (inFlight.length >= producers.length) rejected += (await inFlight.shift()!).length;
    const s = (Date.now() - started) / 1000;
    o.progress.update('produce', sent, o.events, `${sent} events, ${Math.round(sent / s)}/s`);
  };
  try {
    for (const e of new RegionSimulator({ seed: o.seed, admissionsPerDay }, now - o.days * DAY).eventsUntil(now)) {
      batch.push(parseNdjsonEvent(JSON.stringify(e), sent + batch.length + 1, pseudo));
      firstEventAt ||= e.occurredAt;
      lastEventAt = e.occurredAt;
      if (sent + batch.length >= o.events) break;
      if (batch.length >= BATCH) await flush();
    }
    if (batch.length > 0) await flush();
    for (const p of inFlight) rejected += (await p).length;
  } finally {
    await Promise.all(producers.map((p) => p.disconnect()));
  }
  if (rejected > 0) throw new Error(`producer rejected ${rejected} simulated events`);
  const ms = Date.now() - started;
  return { events: sent, admissionsPerDay, firstEventAt, lastEventAt, ms, eventsPerSecond: Math.round(sent / (ms / 1000)) };
}
