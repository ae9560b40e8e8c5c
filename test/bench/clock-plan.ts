/**
 * The clock's planning cost per event, without I/O: simulated events planned batch by batch
 * against an in-memory BatchView, as ClockStore.apply plans them. A profile target for the pure
 * part of the clock (run: tsx test/bench/clock-plan.ts [events]).
 */
import { Pseudonymiser } from '../../services/contract/pseudonymise.ts';
import { parseNdjsonEvent } from '../../services/contract/ndjson-event.ts';
import { RegionSimulator } from '../../services/simulator/simulate.ts';
import { planApply } from '../../services/clock/apply-plan.ts';
import { BatchView } from '../../services/store/batch-view.ts';
import { OREBRO_RULES } from '../../services/clock/rules.ts';
import type { DecodedEvent } from '../../services/model/decoded-event.ts';

const n = Number(process.argv[2] ?? 100_000);
const now = Date.now();
const pseudo = new Pseudonymiser('a bench secret of some length');
const events: DecodedEvent[] = [];
for (const e of new RegionSimulator({ seed: 1, admissionsPerDay: 150 }, now - 365 * 86_400_000).eventsUntil(now)) {
  events.push({ event: parseNdjsonEvent(JSON.stringify(e), events.length + 1, pseudo), schemaId: 1, partition: 0, offset: String(events.length) });
  if (events.length >= n) break;
}
// One long-lived "Redis": the views carry state from batch to batch as Redis would.
const store = { events: new Map(), stateOf: new Map(), history: new Map() } as Pick<BatchView, 'events' | 'stateOf' | 'history'>;
// (The view's parsed-state cache starts empty each batch, as it does after a Redis read.)
const started = performance.now();
for (let i = 0; i < events.length; i += 1000) {
  const view = new BatchView(null, null, async (ids) => ids.map((id) => store.stateOf.get(id) ?? { state: null, version: null }));
  Object.assign(view, store); // the same maps: no copy between batches
  for (const d of events.slice(i, i + 1000)) {
    const plan = await planApply(d, view.reads(d), 'g', 't', OREBRO_RULES, (ids) => view.states(ids));
    if (plan.kind === 'apply') view.record(d, plan);
  }
}
const ms = performance.now() - started;
console.log(`${events.length} events planned in ${ms.toFixed(0)} ms: ${((ms * 1000) / events.length).toFixed(1)} µs per event`);
