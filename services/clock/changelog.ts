import { eligibilityFacts } from './eligibility.ts';
import type { StoredEpisode } from './stored-episode.ts';

/** The changelog message for an episode's new state (schemas/episode-state.avsc). Pure. */
export function stateChanged(stored: StoredEpisode, version: number, causedBy: string) {
  const { state: s, readmission } = stored;
  const a = s.admission;
  return {
    changeId: `${s.episodeId}:${version}`,
    episodeId: s.episodeId,
    patientKey: s.patientKey,
    version,
    causedBy,
    status: s.status,
    region: a?.region ?? null,
    hospital: a?.hospital ?? null,
    clinic: a?.clinic ?? null,
    ward: a?.ward ?? null,
    businessArea: a?.businessArea ?? null,
    careType: a?.careType ?? null,
    admissionType: a?.admissionType ?? null,
    homeMunicipality: a?.homeMunicipality ?? null,
    ageYears: a?.ageYears ?? null,
    admittedAt: s.admittedAt,
    dischargedAt: s.dischargedAt,
    destination: s.discharge?.destination ?? null,
    readyPeriods: s.readyPeriods.map((p) => ({
      start: p.start,
      end: p.end,
      endedBy: p.endedBy,
      trackColour: p.trackColour,
      recipientMunicipality: p.recipientMunicipality,
      fastVardkontaktAppointed: p.fastVardkontaktAppointed,
      sipNeeded: p.sipNeeded,
      sipCalledAt: p.sipCalledAt,
    })),
    delayReasons: s.delayReasons.map((r) => ({ reasonCode: r.reasonCode, responsibleParty: r.responsibleParty, from: r.from, until: r.until })),
    readmissionOf: readmission?.indexEpisodeId ?? null,
    readmissionSource: readmission?.source ?? null,
    problems: s.problems,
    primaryCareUnit: a?.primaryCareUnit ?? null,
    admissionNoticeAt: s.admissionNoticeAt,
    dischargeClinic: s.discharge?.clinic ?? null,
    readmissionIndexClinic: readmission?.indexDischargeClinic ?? null,
    lastEventAt: s.lastEventAt,
    ...eligibilityFacts(s),
  };
}
export type StateChanged = ReturnType<typeof stateChanged>;
