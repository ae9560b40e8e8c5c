import type {
  AdmissionData,
  DelayReasonData,
  DischargeData,
  PatientEvent,
  ReadyData,
} from '../contract/event.ts';

/**
 * The episode state machine. State is a pure fold over the episode's events in event-time
 * order (ties by a fixed type order, then event id), with duplicates dropped by event id. So the
 * same set of events gives the same state whatever order and however often they arrived.
 */
export type EpisodeStatus = 'PENDING' | 'ADMITTED' | 'READY' | 'DISCHARGED' | 'CANCELLED';

export interface ReadyPeriod extends Omit<ReadyData, 'judgedAt'> {
  noticeEventId: string;
  start: number;
  end: number | null;
  endedBy: 'withdrawn' | 'discharge' | null;
}

export interface DelayReasonEntry extends Omit<DelayReasonData, 'endedAt'> {
  from: number;
  until: number | null;
}

export interface EpisodeState {
  episodeId: string;
  patientKey: string;
  status: EpisodeStatus;
  admittedAt: number | null;
  admission: AdmissionData | null;
  admissionNoticeAt: number[];
  /**
   * The earliest time an admission notice says the need for support after discharge was judged.
   * Set only when a notice carries one, so that a state without it stays as it was stored before.
   */
  admissionNeedJudgedAt?: number;
  estimatedDischargeDate: number | null;
  readyPeriods: ReadyPeriod[];
  dischargedAt: number | null;
  discharge: DischargeData | null;
  reportedReadmissionOf: string | null;
  reportedReadmission: boolean;
  delayReasons: DelayReasonEntry[];
  /** Data-quality findings that do not invalidate an event, e.g. a ready notice without inskrivningsmeddelande. */
  problems: string[];
  /**
   * Events the fold ignores because they contradict the episode (a discharge before the
   * admission, a withdrawal with no ready notice, …), each with its reason. Part of the state, so
   * whichever order the events came in, the same events end up rejected; the clock service
   * dead-letters each one when it first appears here.
   */
  rejected: RejectedEvent[];
  /** Event ids folded in, sorted: what this state is made of. */
  eventIds: string[];
  lastEventAt: number;
}

export interface RejectedEvent {
  eventId: string;
  type: PatientEvent['type'];
  reason: string;
}

// Same-millisecond events: the admission first, corrections after what they correct.
const TYPE_ORDER: Record<PatientEvent['type'], number> = {
  admission: 0,
  'admission-notice': 1,
  // A move at the admission's own millisecond is where the patient lies from then on.
  transfer: 1,
  readmission: 2,
  'ready-for-discharge': 3,
  'delay-reason': 4,
  'ready-withdrawn': 5,
  discharge: 6,
  'discharge-cancelled': 7,
  'admission-cancelled': 8,
};

export const compareEvents = (a: PatientEvent, b: PatientEvent): number =>
  a.occurredAt - b.occurredAt || TYPE_ORDER[a.type] - TYPE_ORDER[b.type] || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);

/** Sorted, without duplicate event ids (a resent event is the same event). */
export function canonicalEvents(events: readonly PatientEvent[]): PatientEvent[] {
  const byId = new Map<string, PatientEvent>();
  for (const e of events) if (!byId.has(e.eventId)) byId.set(e.eventId, e);
  return [...byId.values()].sort(compareEvents);
}

export function foldEpisode(events: readonly PatientEvent[]): EpisodeState {
  const sorted = canonicalEvents(events);
  const first = sorted[0];
  if (!first) throw new Error('an episode needs at least one event');
  const s: EpisodeState = {
    episodeId: first.episodeId,
    patientKey: first.patientKey,
    status: 'PENDING',
    admittedAt: null,
    admission: null,
    admissionNoticeAt: [],
    estimatedDischargeDate: null,
    readyPeriods: [],
    dischargedAt: null,
    discharge: null,
    reportedReadmissionOf: null,
    reportedReadmission: false,
    delayReasons: [],
    problems: [],
    rejected: [],
    eventIds: sorted.map((e) => e.eventId).sort(),
    lastEventAt: sorted[sorted.length - 1]!.occurredAt,
  };
  let cancelled = false;
  /** The latest move: it stays where the patient lies when a later admission message corrects the admission's data. */
  let moved: Pick<AdmissionData, 'hospital' | 'clinic' | 'ward'> & { businessArea?: string } | null = null;
  const open = () => s.readyPeriods.find((p) => p.end === null);
  const problem = (p: string) => {
    if (!s.problems.includes(p)) s.problems.push(p);
  };

  const reject = (e: PatientEvent, reason: string) => void s.rejected.push({ eventId: e.eventId, type: e.type, reason });
  // Once the admission is known, nothing but its cancellation can precede it. Until it is known,
  // events wait for it (it may still arrive within the allowed lateness).
  const admissionAt = sorted.find((e) => e.type === 'admission')?.occurredAt ?? null;

  for (const e of sorted) {
    if (admissionAt !== null && e.occurredAt < admissionAt && e.type !== 'admission-cancelled') {
      reject(e, `${e.type} at ${new Date(e.occurredAt).toISOString()} precedes the admission at ${new Date(admissionAt).toISOString()}`);
      continue;
    }
    if (e.type !== 'admission' && s.admittedAt === null) problem(`${e.type}-before-admission`);
    switch (e.type) {
      case 'admission':
        // A repeated admission message corrects the data; the first time stays the admission time.
        s.admittedAt ??= e.occurredAt;
        s.admission = moved ? { ...e.data, ...moved } : e.data;
        cancelled = false;
        break;
      case 'transfer': {
        // Flagged, not refused: a discharge cancelled later in event time makes the move count,
        // and a refusal could not be taken back by it.
        if (s.dischargedAt !== null) problem('transfer-after-discharge');
        const { hospital, clinic, ward, businessArea } = e.data;
        moved = { hospital, clinic, ward, ...(businessArea !== null ? { businessArea } : {}) };
        if (s.admission) s.admission = { ...s.admission, ...moved };
        break;
      }
      case 'admission-cancelled':
        cancelled = true;
        break;
      case 'admission-notice':
        s.admissionNoticeAt.push(e.occurredAt);
        if (e.data.needJudgedAt != null) s.admissionNeedJudgedAt = Math.min(s.admissionNeedJudgedAt ?? Infinity, e.data.needJudgedAt);
        s.estimatedDischargeDate = e.data.estimatedDischargeDate ?? s.estimatedDischargeDate;
        break;
      case 'ready-for-discharge': {
        if (s.dischargedAt !== null) {
          reject(e, 'ready-for-discharge after the patient was discharged');
          break;
        }
        const current = open();
        const { judgedAt: _judged, ...details } = e.data;
        // A second notice while one is open restates it (e.g. a new track colour); the clock runs on.
        if (current) Object.assign(current, details);
        else s.readyPeriods.push({ ...details, noticeEventId: e.eventId, start: e.occurredAt, end: null, endedBy: null });
        break;
      }
      case 'ready-withdrawn': {
        const current = open();
        if (current) {
          current.end = e.occurredAt;
          current.endedBy = 'withdrawn';
        } else reject(e, 'ready-withdrawn without an open ready notice');
        break;
      }
      case 'discharge': {
        if (s.dischargedAt !== null) problem('discharged-twice');
        s.dischargedAt = e.occurredAt;
        s.discharge = e.data;
        const current = open();
        if (current) {
          current.end = e.occurredAt;
          current.endedBy = 'discharge';
        }
        break;
      }
      case 'discharge-cancelled': {
        if (s.dischargedAt === null) {
          reject(e, 'discharge-cancelled without a discharge');
          break;
        }
        // The patient never left: a period the discharge closed runs on.
        const closedByDischarge = s.readyPeriods.find((p) => p.endedBy === 'discharge' && p.end === s.dischargedAt);
        if (closedByDischarge) {
          closedByDischarge.end = null;
          closedByDischarge.endedBy = null;
        }
        s.dischargedAt = null;
        s.discharge = null;
        break;
      }
      case 'readmission':
        s.reportedReadmission = true;
        s.reportedReadmissionOf = e.data.indexEpisodeId ?? s.reportedReadmissionOf;
        break;
      case 'delay-reason': {
        const { endedAt, ...reason } = e.data;
        const existing = s.delayReasons.find((r) => r.reasonCode === reason.reasonCode && r.until === null);
        if (existing) {
          existing.responsibleParty = reason.responsibleParty;
          existing.until = endedAt;
        } else s.delayReasons.push({ ...reason, from: e.occurredAt, until: endedAt });
        break;
      }
    }
  }
  if (s.readyPeriods.length > 0 && s.admissionNoticeAt.length === 0) problem('ready-without-admission-notice');
  if (s.dischargedAt !== null && s.admission && s.readyPeriods.length === 0 && s.discharge?.destination !== 'HOME' && s.discharge?.destination !== 'DECEASED' && s.discharge?.destination !== 'OTHER_HOSPITAL') {
    problem('discharge-to-municipal-care-without-ready-notice');
  }
  s.status = cancelled ? 'CANCELLED' : s.dischargedAt !== null ? 'DISCHARGED' : open() ? 'READY' : s.admittedAt !== null ? 'ADMITTED' : 'PENDING';
  return s;
}
