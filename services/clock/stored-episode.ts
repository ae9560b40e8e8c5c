import type { EpisodeState } from './episode-state.ts';
import type { ReadmissionLink } from './readmission.ts';

/** What the clock service keeps per episode in Redis: the folded state and its readmission link. */
export interface StoredEpisode {
  state: EpisodeState;
  readmission: ReadmissionLink | null;
}

/** The index sets an episode belongs to while open (the live board reads them). */
export function openIndexes(s: EpisodeState): { region?: string; municipality?: string; ward?: [string, string] } {
  if (!s.admission || s.status === 'DISCHARGED' || s.status === 'CANCELLED') return {};
  return {
    region: s.admission.region,
    municipality: s.admission.homeMunicipality,
    ward: [s.admission.hospital, s.admission.ward],
  };
}

/** When a closed episode may be forgotten: readmission linkage needs it `retainDays` after it ended. */
export function evictionTime(s: EpisodeState, retainDays: number): number | null {
  if (s.status === 'DISCHARGED' && s.dischargedAt !== null) return s.dischargedAt + (retainDays + 1) * 86_400_000;
  if (s.status === 'CANCELLED') return s.lastEventAt + 86_400_000;
  return null;
}

/**
 * When the timer worker should first look at an open ready period: the notice itself (a notice
 * before 12:00 makes its own day payment day 1, so payment responsibility can start at once);
 * from there it moves from one Stockholm midnight to the next.
 */
export function openTimer(s: EpisodeState): number | null {
  const open = s.readyPeriods.find((p) => p.end === null);
  return open ? open.start : null;
}
