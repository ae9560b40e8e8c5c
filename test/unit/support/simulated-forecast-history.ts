import { stockholmDay } from '../../../services/core/stockholm-time.ts';
import { ageGroup } from '../../../services/facts/episode-fact.ts';
import type { ForecastEpisode } from '../../../services/forecast/forecast-episode.ts';
import { RegionSimulator, type NdjsonEvent } from '../../../services/simulator/simulate.ts';

const dayOf = (iso: string) => stockholmDay(Date.parse(iso));
const isoToDay = (date: string) => Math.round(Date.parse(`${date}T00:00:00Z`) / 86_400_000);

/**
 * The simulated region's stays as the forecast reads them back from ClickHouse, straight from
 * the simulator's events (no pipeline): what the stays' events say, in event-time order.
 */
export function simulatedHistory(seed: number, fromMs: number, untilMs: number, admissionsPerDay = 150): ForecastEpisode[] {
  const byEpisode = new Map<string, NdjsonEvent[]>();
  for (const e of new RegionSimulator({ seed, admissionsPerDay }, fromMs).eventsUntil(untilMs)) {
    const list = byEpisode.get(String(e.episodeId)) ?? [];
    list.push(e);
    byEpisode.set(String(e.episodeId), list);
  }
  const out: ForecastEpisode[] = [];
  for (const events of byEpisode.values()) {
    const admission = events.find((e) => e.type === 'admission');
    if (!admission || events.some((e) => e.type === 'admission-cancelled')) continue;
    const ready = events.find((e) => e.type === 'ready-for-discharge');
    const discharges = events.filter((e) => e.type === 'discharge');
    const cancelled = events.filter((e) => e.type === 'discharge-cancelled').length;
    const discharge = discharges.length > cancelled ? discharges.at(-1) : undefined;
    const pnr = String(admission.personnummer);
    const age = new Date(admission.occurredAt).getUTCFullYear() - Number(pnr.slice(0, 4));
    out.push({
      region: String(admission.region), hospital: String(admission.hospital), ward: String(admission.ward), clinic: String(admission.clinic),
      businessArea: String(admission.businessArea), careType: String(admission.careType), ageGroup: ageGroup(age),
      homeMunicipality: String(admission.homeMunicipality), primaryCareUnit: String(admission.primaryCareUnit),
      recipient: ready ? String(ready.recipientMunicipality) : String(admission.homeMunicipality),
      admittedDay: dayOf(admission.occurredAt),
      notices: events.filter((e) => e.type === 'admission-notice').map((e) => ({ day: dayOf(e.occurredAt), estimate: typeof e.estimatedDischargeDate === 'string' ? isoToDay(e.estimatedDischargeDate) : null })),
      readyDay: ready ? dayOf(ready.occurredAt) : null,
      dischargedDay: discharge ? dayOf(discharge.occurredAt) : null,
    });
  }
  return out;
}
