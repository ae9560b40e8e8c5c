import type { PatientEvent } from '../../services/contract/event.ts';
import { parseNdjsonEvent } from '../../services/contract/ndjson-event.ts';
import { Pseudonymiser } from '../../services/contract/pseudonymise.ts';
import { RegionSimulator } from '../../services/simulator/simulate.ts';

/** A simulated region's events from `from` until `until`, as the producer would pseudonymise them, by episode. */
export function simulatedEpisodes(o: { seed: number; admissionsPerDay: number; from: number; until: number }): Map<string, PatientEvent[]> {
  const pseudo = new Pseudonymiser('simulated-episodes-test-key');
  const events = [...new RegionSimulator({ seed: o.seed, admissionsPerDay: o.admissionsPerDay }, o.from).eventsUntil(o.until)].map((e, i) => parseNdjsonEvent(JSON.stringify(e), i + 1, pseudo));
  const byEpisode = new Map<string, PatientEvent[]>();
  for (const e of events) byEpisode.set(e.episodeId, [...(byEpisode.get(e.episodeId) ?? []), e]);
  return byEpisode;
}
