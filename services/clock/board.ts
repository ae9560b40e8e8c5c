import { episodeClock, type EpisodeClock } from './episode-clock.ts';
import type { RegionRules } from './rules.ts';
import type { StoredEpisode } from './stored-episode.ts';

/** One row of the coordinators' live board: no personal data, only the pseudonymous episode. */
export interface BoardRow extends Omit<EpisodeClock, 'paymentDayList' | 'conditions'> {
  episodeId: string;
  status: string;
  hospital: string | null;
  clinic: string | null;
  ward: string | null;
  homeMunicipality: string | null;
  ageYears: number | null;
  careType: string | null;
  admittedAt: number | null;
  readySince: number | null;
  trackColour: string | null;
  delayReasons: { reasonCode: string; responsibleParty: string; from: number }[];
  readmission: boolean;
  readmissionOf: string | null;
  problems: string[];
}

/** Clocks are computed at read time from the stored state, so the board is right to the second. */
export function boardRows(episodes: StoredEpisode[], now: number, rules: RegionRules): BoardRow[] {
  return episodes
    .map(({ state: s, readmission }) => {
      const { paymentDayList: _days, conditions: _conditions, ...clock } = episodeClock(s, now, rules);
      const open = s.readyPeriods.find((p) => p.end === null);
      return {
        episodeId: s.episodeId,
        status: s.status,
        hospital: s.admission?.hospital ?? null,
        clinic: s.admission?.clinic ?? null,
        ward: s.admission?.ward ?? null,
        homeMunicipality: s.admission?.homeMunicipality ?? null,
        ageYears: s.admission?.ageYears ?? null,
        careType: s.admission?.careType ?? null,
        admittedAt: s.admittedAt,
        readySince: open?.start ?? null,
        trackColour: open?.trackColour ?? null,
        delayReasons: s.delayReasons.filter((r) => r.until === null).map(({ reasonCode, responsibleParty, from }) => ({ reasonCode, responsibleParty, from })),
        readmission: readmission !== null,
        readmissionOf: readmission?.indexEpisodeId ?? null,
        problems: s.problems,
        ...clock,
      };
    })
    .sort((a, b) => b.utklarDays - a.utklarDays || (a.readySince ?? Infinity) - (b.readySince ?? Infinity) || a.episodeId.localeCompare(b.episodeId));
}
