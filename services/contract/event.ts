/**
 * The event contract in its in-process form. The Avro schema (schemas/patient-event.avsc) is the
 * wire truth; this module maps between it and the flat `type`-tagged objects the code uses.
 */
export const EVENT_TYPES = [
  'admission',
  'admission-notice',
  'ready-for-discharge',
  'ready-withdrawn',
  'discharge',
  'readmission',
  'admission-cancelled',
  'discharge-cancelled',
  'delay-reason',
  'transfer',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const CARE_TYPES = ['SOMATIC', 'PSYCHIATRIC'] as const;
export const ADMISSION_TYPES = ['ACUTE', 'PLANNED'] as const;
export const TRACK_COLOURS = ['NONE', 'BLUE', 'GREEN', 'YELLOW', 'RED'] as const;
export const DESTINATIONS = [
  'HOME',
  'HOME_WITH_MUNICIPAL_CARE',
  'SHORT_TERM_CARE',
  'NURSING_HOME',
  'OTHER_HOSPITAL',
  'DECEASED',
  'OTHER',
] as const;

export const RESPONSIBLE_PARTIES = ['REGION', 'MUNICIPALITY', 'PATIENT_OR_FAMILY'] as const;

export interface AdmissionData {
  region: string;
  hospital: string;
  clinic: string;
  ward: string;
  businessArea: string;
  careType: (typeof CARE_TYPES)[number];
  admissionType: (typeof ADMISSION_TYPES)[number];
  homeMunicipality: string;
  ageYears: number;
  primaryCareUnit: string | null;
}
export interface AdmissionNoticeData {
  recipientMunicipality: string;
  /** Days since 1970-01-01. */
  estimatedDischargeDate: number | null;
  /** When the need for support after discharge was judged, if after admission (the 24 h run from the later). */
  needJudgedAt?: number | null;
}
export interface ReadyData {
  judgedAt: number | null;
  recipientMunicipality: string;
  trackColour: (typeof TRACK_COLOURS)[number];
  fastVardkontaktAppointed: boolean;
  sipNeeded: boolean;
  sipCalledAt: number | null;
}
export interface ReasonData {
  reasonCode: string | null;
}
export interface DischargeData {
  destination: (typeof DESTINATIONS)[number];
  clinic: string;
  ward: string;
  /** When the discharge information reached the municipality and primary care (a payment condition). */
  informationTransferredAt?: number | null;
  /** The patient declined the municipality's services (a payment condition). */
  patientDeclinedServices?: boolean | null;
}
export interface ReadmissionData {
  indexEpisodeId: string | null;
}

/** Where the patient lies from occurredAt on (HL7 A02): the board and the open-ward counts follow. */
export interface TransferData {
  hospital: string;
  clinic: string;
  ward: string;
  /** Unchanged when null (a move between wards of one verksamhetsområde). */
  businessArea: string | null;
}

export interface DelayReasonData {
  reasonCode: string;
  responsibleParty: (typeof RESPONSIBLE_PARTIES)[number];
  endedAt: number | null;
}

export interface DataByType {
  admission: AdmissionData;
  'admission-notice': AdmissionNoticeData;
  'ready-for-discharge': ReadyData;
  'ready-withdrawn': ReasonData;
  discharge: DischargeData;
  readmission: ReadmissionData;
  'admission-cancelled': ReasonData;
  'discharge-cancelled': ReasonData;
  'delay-reason': DelayReasonData;
  transfer: TransferData;
}

interface Envelope {
  eventId: string;
  /** UTC epoch milliseconds. */
  occurredAt: number;
  source: string;
  patientKey: string;
  episodeId: string;
}

export type PatientEvent = {
  [T in EventType]: Envelope & { type: T; data: DataByType[T] };
}[EventType];

const NS = 'se.utklar.events.v1';
export const AVRO_RECORD: Record<EventType, string> = {
  admission: `${NS}.Admission`,
  'admission-notice': `${NS}.AdmissionNotice`,
  'ready-for-discharge': `${NS}.ReadyForDischarge`,
  'ready-withdrawn': `${NS}.ReadyWithdrawn`,
  discharge: `${NS}.Discharge`,
  readmission: `${NS}.Readmission`,
  'admission-cancelled': `${NS}.AdmissionCancelled`,
  'discharge-cancelled': `${NS}.DischargeCancelled`,
  'delay-reason': `${NS}.DelayReason`,
  transfer: `${NS}.Transfer`,
};
const TYPE_OF_RECORD = new Map(Object.entries(AVRO_RECORD).map(([t, r]) => [r, t as EventType]));

/** The Avro value: avsc wraps a union of several records as `{ fullName: record }`. */
export interface AvroPatientEvent extends Envelope {
  payload: Record<string, unknown>;
}

export function toAvro(ev: PatientEvent): AvroPatientEvent {
  const { type, data, ...envelope } = ev;
  return { ...envelope, payload: { [AVRO_RECORD[type]]: data } };
}

export function fromAvro(value: AvroPatientEvent): PatientEvent {
  const [recordName, data] = Object.entries(value.payload)[0] ?? [];
  // Records added later by a BACKWARD evolution are unknown to this build: say so precisely.
  const type = recordName === undefined ? undefined : TYPE_OF_RECORD.get(recordName);
  if (type === undefined) throw new Error(`unknown payload record '${recordName}'`);
  const { payload: _payload, ...envelope } = value;
  return { ...envelope, type, data } as PatientEvent;
}
