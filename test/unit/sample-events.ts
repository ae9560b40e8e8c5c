import type { EventType } from '../../services/contract/event.ts';
import { Pseudonymiser } from '../../services/contract/pseudonymise.ts';

/** Shared by the unit tests: a test-only key and one valid NDJSON line per event type. */
export const TEST_KEY = 'unit-test-pseudonym-key-0123456789';
export const pseudonymiser = new Pseudonymiser(TEST_KEY);

export const PNR = '194003071232';

const envelope = (type: EventType, n: number) => ({
  type,
  eventId: `unit-${n}`,
  occurredAt: '2026-02-03T10:30:00+01:00',
  source: 'unit-test',
  personnummer: '19400307-1232',
  episodeId: 'E-1',
});

export const NDJSON_BY_TYPE: Record<EventType, Record<string, unknown>> = {
  admission: {
    ...envelope('admission', 1),
    region: '18',
    hospital: 'USO',
    clinic: 'Medicinkliniken',
    ward: 'Med 2',
    businessArea: 'Medicin',
    careType: 'SOMATIC',
    admissionType: 'ACUTE',
    homeMunicipality: '1881',
    primaryCareUnit: 'VC Kumla',
  },
  'admission-notice': {
    ...envelope('admission-notice', 2),
    recipientMunicipality: '1881',
    estimatedDischargeDate: '2026-02-04',
  },
  'ready-for-discharge': {
    ...envelope('ready-for-discharge', 3),
    judgedAt: '2026-02-03T09:45:00+01:00',
    recipientMunicipality: '1881',
    trackColour: 'GREEN',
    fastVardkontaktAppointed: true,
    sipNeeded: true,
    sipCalledAt: '2026-02-04T13:00:00+01:00',
  },
  'ready-withdrawn': { ...envelope('ready-withdrawn', 4), reasonCode: 'CONDITION_WORSENED' },
  discharge: {
    ...envelope('discharge', 5),
    destination: 'HOME_WITH_MUNICIPAL_CARE',
    clinic: 'Medicinkliniken',
    ward: 'Med 2',
  },
  readmission: { ...envelope('readmission', 6), indexEpisodeId: 'E-0' },
  'admission-cancelled': { ...envelope('admission-cancelled', 7), reasonCode: 'REGISTERED_IN_ERROR' },
  'discharge-cancelled': { ...envelope('discharge-cancelled', 8), reasonCode: null },
  'delay-reason': { ...envelope('delay-reason', 9), reasonCode: 'AWAITING_HOME_CARE', responsibleParty: 'MUNICIPALITY', endedAt: null },
  transfer: { ...envelope('transfer', 10), hospital: 'USO', clinic: 'Medicinkliniken', ward: 'Med 4' },
};

export const line = (obj: Record<string, unknown>): string => JSON.stringify(obj);
