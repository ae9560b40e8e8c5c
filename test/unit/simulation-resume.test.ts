import { describe, expect, it } from 'vitest';
import { Pseudonymiser } from '../../services/contract/pseudonymise.ts';
import type { PatientEvent } from '../../services/contract/event.ts';
import type { EventProducer } from '../../services/producer/event-producer.ts';
import { LiveSimulation, type AnchorStore, type SimulationAnchor } from '../../services/simulator/live-runner.ts';
import { RegionSimulator } from '../../services/simulator/simulate.ts';

const DAY = 86_400_000;
const T = Date.parse('2026-11-20T10:00:00Z');

/** A producer that only remembers, and an anchor kept in memory as Redis keeps it between runs. */
function harness() {
  const sent: PatientEvent[][] = [];
  let stored: SimulationAnchor | null = null;
  const anchor: AnchorStore = { load: async () => stored, save: async (a) => void (stored = a) };
  const run = async (now: number, seed = 1) => {
    const batch: PatientEvent[] = [];
    sent.push(batch);
    const producer = { send: async (events: PatientEvent[]) => void batch.push(...events) } as unknown as EventProducer;
    const sim = new LiveSimulation(producer, new Pseudonymiser('unit-test-pseudonym-key-0123'), { seed, admissionsPerDay: 150, backfillDays: 3, speed: 1, now: () => now, anchor });
    await sim.start();
    sim.stop();
    return { sim, events: batch };
  };
  return { run, anchor: () => stored };
}

describe('a restarted simulation continues its history instead of drawing a second one', () => {
  it('the second run sends only the time since the first stopped, with the ids the simulator gives them', async () => {
    const h = harness();
    const first = await h.run(T);
    expect(first.sim.resumedFrom).toBeNull();
    expect(h.anchor()).toEqual({ seed: 1, admissionsPerDay: 150, startMs: T - 3 * DAY, untilMs: T });
    const second = await h.run(T + 6 * 3_600_000);
    expect(second.sim.resumedFrom).toBe(T);
    // One history from T − 3 days to T + 6 h, as one uninterrupted simulator draws it.
    const whole = [...new RegionSimulator({ seed: 1, admissionsPerDay: 150 }, T - 3 * DAY).eventsUntil(T + 6 * 3_600_000)].map((e) => e.eventId);
    expect(first.events.length).toBeGreaterThan(500);
    expect(second.events.length).toBeGreaterThan(0);
    expect([...first.events, ...second.events].map((e) => e.eventId)).toEqual(whole);
    expect(second.events.every((e) => e.occurredAt > T)).toBe(true);
  });

  it('a run stopped halfway through its backfill resumes after the last batch sent', async () => {
    // As if killed after the batches sent up to two days ago: the rest is sent, nothing lost.
    const store: { v: SimulationAnchor | null } = { v: { seed: 1, admissionsPerDay: 150, startMs: T - 3 * DAY, untilMs: T - 2 * DAY } };
    const sent: PatientEvent[] = [];
    const producer = { send: async (events: PatientEvent[]) => void sent.push(...events) } as unknown as EventProducer;
    const sim = new LiveSimulation(producer, new Pseudonymiser('unit-test-pseudonym-key-0123'), {
      seed: 1, admissionsPerDay: 150, backfillDays: 3, speed: 1, now: () => T, anchor: { load: async () => store.v, save: async (a) => void (store.v = a) },
    });
    await sim.start();
    sim.stop();
    const rest = [...new RegionSimulator({ seed: 1, admissionsPerDay: 150 }, T - 3 * DAY).eventsUntil(T)].filter((e) => Date.parse(e.occurredAt) > T - 2 * DAY).map((e) => e.eventId);
    expect(sent.map((e) => e.eventId)).toEqual(rest);
    expect(store.v).toEqual({ seed: 1, admissionsPerDay: 150, startMs: T - 3 * DAY, untilMs: T });
  });

  it('another seed is not taken for the stored one: its history starts afresh beside it', async () => {
    const h = harness();
    await h.run(T);
    const other = await h.run(T + 3_600_000, 2);
    expect(other.sim.resumedFrom).toBeNull();
    expect(h.anchor()).toMatchObject({ seed: 2, startMs: T + 3_600_000 - 3 * DAY });
    expect(other.events[0]!.eventId).toMatch(/^sim-2-/);
  });
});
