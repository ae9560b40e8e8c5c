import type { EpisodeState } from './episode-state.ts';

/**
 * The episode as it stood at instant `at`, for a timer firing late (e.g. during a replay): ready
 * periods that began later are left out and those that ended later are still open at `at`.
 */
export function stateAsOf(s: EpisodeState, at: number): EpisodeState {
  return {
    ...s,
    readyPeriods: s.readyPeriods
      .filter((p) => p.start <= at)
      .map((p) => (p.end !== null && p.end > at ? { ...p, end: null, endedBy: null } : p)),
  };
}
