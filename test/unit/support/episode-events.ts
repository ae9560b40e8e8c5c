import type { DataByType, EventType, PatientEvent } from '../../../services/contract/event.ts';

/** Builders for one episode's events in the clock tests: a default payload per type, overridable. */
export const at = (iso: string): number => Date.parse(iso);

export const DATA: { [T in EventType]: DataByType[T] } = {
  admission: { region: '18', hospital: 'USO', clinic: 'Medicinkliniken', ward: 'Med 2', businessArea: 'Medicin', careType: 'SOMATIC', admissionType: 'ACUTE', homeMunicipality: '1880', ageYears: 82, primaryCareUnit: null },
  'admission-notice': { recipientMunicipality: '1880', estimatedDischargeDate: null },
  'ready-for-discharge': { judgedAt: null, recipientMunicipality: '1880', trackColour: 'NONE', fastVardkontaktAppointed: false, sipNeeded: false, sipCalledAt: null },
  'ready-withdrawn': { reasonCode: null },
  discharge: { destination: 'HOME_WITH_MUNICIPAL_CARE', clinic: 'Medicinkliniken', ward: 'Med 2' },
  readmission: { indexEpisodeId: null },
  'admission-cancelled': { reasonCode: null },
  'discharge-cancelled': { reasonCode: null },
  'delay-reason': { reasonCode: 'AWAITING_HOME_CARE', responsibleParty: 'MUNICIPALITY', endedAt: null },
  transfer: { hospital: 'USO', clinic: 'Medicinkliniken', ward: 'Med 4', businessArea: null },
};

/** A builder whose event ids are `<prefix>-1`, `<prefix>-2`, … (unless one is given). */
export function eventBuilder(prefix: string, episodeId = 'E1', patientKey = 'P1') {
  let seq = 0;
  return <T extends EventType>(type: T, when: string | number, data: Partial<DataByType[T]> = {}, eventId = `${prefix}-${++seq}`): PatientEvent =>
    ({ type, eventId, occurredAt: typeof when === 'number' ? when : at(when), source: 'test', patientKey, episodeId, data: { ...DATA[type], ...data } }) as PatientEvent;
}
