import { withCheckDigit } from '../contract/personnummer.ts';
import { epochDay, isoDate, stockholmDate, fromEpochDay } from '../core/stockholm-time.ts';
import { MinHeap } from './min-heap.ts';
import { CLINICS, HOME_MUNICIPALITIES, PRIMARY_CARE, REGION_CODE, hospitalWeights, type Clinic } from './orebro-region.ts';
import { Rng } from './rng.ts';

/** An event in the public NDJSON form (docs/ndjson-contract.md), personnummer included. */
export type NdjsonEvent = Record<string, string | number | boolean | null> & { type: string; occurredAt: string };

export interface SimulatorOptions {
  seed: number;
  /** Mean admissions per day across the region (Örebro län has roughly 150). */
  admissionsPerDay: number;
}

interface Person {
  personnummer: string;
  birthYear: number;
  home: string;
  primaryCareUnit: string;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * How far off the inskrivningsmeddelande's estimatedDischargeDate is, in days (estimate minus the
 * day the patient is medically done), or null when the notice gives none. Clinics differ as they
 * do on the wards: orthopaedics plans its stays (close, a little late), geriatrics and psychiatry
 * guess early and widely, and psychiatry often gives no date at all. The further ahead the
 * estimate, the wider its error; one in twenty is off by most of a week (a complication).
 */
const ESTIMATE_ERRORS: Record<string, { bias: number; sd: number; missing: number }> = {
  Medicinkliniken: { bias: 0, sd: 1.2, missing: 0.08 },
  'Geriatriska kliniken': { bias: -1, sd: 2, missing: 0.1 },
  Ortopedkliniken: { bias: 0.5, sd: 0.7, missing: 0.05 },
  'Kirurgiska kliniken': { bias: 0, sd: 1, missing: 0.08 },
  'Psykiatriska kliniken': { bias: -2, sd: 3.5, missing: 0.3 },
};

export function estimateError(rng: Rng, clinic: Clinic, daysAhead: number): number | null {
  const e = ESTIMATE_ERRORS[clinic.clinic] ?? { bias: 0, sd: 1.5, missing: 0.1 };
  if (rng.chance(e.missing)) return null;
  const spread = e.sd * Math.sqrt(Math.max(1, daysAhead / 3));
  const tail = rng.chance(0.05) ? (rng.chance(0.5) ? -1 : 1) * rng.uniform(3, 7) : 0;
  return Math.round(e.bias + normal(rng) * spread + tail);
}

/** A standard normal draw (Box–Muller). */
function normal(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

/**
 * A deterministic discrete-event simulation of the region: admissions arrive as a Poisson
 * process, each stay's whole story (notices, ready, withdrawals, corrections, discharge,
 * readmission) is drawn up front and its events queued by time; `eventsUntil` drains the queue.
 */
export class RegionSimulator {
  readonly #rng: Rng;
  /** Its own stream, so that adding moves between wards left every other draw (and seed) as it was. */
  readonly #moves: Rng;
  /** Its own stream too: how wrong each admission notice's estimate is leaves every other draw as it was. */
  readonly #estimates: Rng;
  readonly #queue = new MinHeap<{ kind: 'event'; event: NdjsonEvent } | { kind: 'arrival' } | { kind: 'readmit'; person: Person; indexEpisode: string }>();
  #eventSeq = 0;
  #episodeSeq = 0;
  #clock: number;

  constructor(
    private readonly opts: SimulatorOptions,
    startMs: number,
  ) {
    this.#rng = new Rng(opts.seed);
    this.#moves = new Rng(opts.seed + 7919);
    this.#estimates = new Rng(opts.seed + 104_729);
    this.#clock = startMs;
    this.#scheduleArrival(startMs);
  }

  /** All events with occurredAt <= untilMs, in time order. */
  *eventsUntil(untilMs: number): Generator<NdjsonEvent> {
    while ((this.#queue.peekPriority() ?? Infinity) <= untilMs) {
      const at = this.#queue.peekPriority()!;
      const item = this.#queue.pop()!;
      this.#clock = at;
      if (item.kind === 'arrival') {
        this.#scheduleArrival(at);
        this.#stay(this.#newPerson(at), at, false, null);
      } else if (item.kind === 'readmit') {
        this.#stay(item.person, at, true, item.indexEpisode);
      } else {
        yield item.event;
      }
    }
  }

  #scheduleArrival(after: number): void {
    this.#queue.push(after + this.#rng.exponential(DAY / this.opts.admissionsPerDay), { kind: 'arrival' });
  }

  #newPerson(at: number): Person {
    const rng = this.#rng;
    const thisYear = stockholmDate(at).year;
    const age = rng.chance(0.3) ? rng.int(18, 64) : Math.min(104, 65 + Math.floor(rng.exponential(11)));
    const birthYear = thisYear - age;
    const month = rng.int(1, 12);
    const day = rng.int(1, 28);
    const serial = String(rng.int(0, 999)).padStart(3, '0');
    const nine = `${birthYear}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}${serial}`;
    return {
      personnummer: withCheckDigit(nine),
      birthYear,
      home: rng.weighted(HOME_MUNICIPALITIES),
      primaryCareUnit: PRIMARY_CARE[rng.int(0, PRIMARY_CARE.length - 1)]!,
    };
  }

  #emit(at: number, type: string, person: Person, episodeId: string, source: string, fields: Record<string, string | number | boolean | null>): void {
    const event: NdjsonEvent = {
      type,
      eventId: `sim-${this.opts.seed}-${++this.#eventSeq}`,
      occurredAt: new Date(Math.round(at)).toISOString(),
      source,
      personnummer: person.personnummer,
      episodeId,
      ...fields,
    };
    this.#queue.push(Math.round(at), { kind: 'event', event });
  }

  /** Moves a time to a working hour on the same Stockholm day (notices are sent in daytime). */
  #daytime(at: number, fromHour = 8, toHour = 16): number {
    const d = stockholmDate(at);
    const midnightUtc = Date.UTC(d.year, d.month - 1, d.day);
    // Stockholm is UTC+1/+2; one hour's error in the hour-of-day is harmless for a simulation.
    return Math.max(at, midnightUtc + (this.#rng.uniform(fromHour, toHour) - 1) * HOUR);
  }

  #stay(person: Person, admittedAt: number, isReadmission: boolean, indexEpisode: string | null): void {
    const rng = this.#rng;
    const episodeId = `VT-${this.opts.seed}-${++this.#episodeSeq}`;
    const age = stockholmDate(admittedAt).year - person.birthYear;
    const psychiatric = rng.chance(0.1);
    const clinic: Clinic = psychiatric
      ? CLINICS.find((c) => c.psychiatric)!
      : age >= 75 && rng.chance(0.35)
        ? CLINICS[1]!
        : rng.weighted(CLINICS.filter((c) => !c.psychiatric && c.businessArea !== 'Geriatrik').map((c, i) => [c, [5, 2, 2][i] ?? 1] as const));
    const ward = clinic.wards[rng.int(0, clinic.wards.length - 1)]!;
    const hospital = rng.weighted(hospitalWeights(person.home));
    const acute = isReadmission || rng.chance(0.75);
    const ehr = 'ehr-sim';
    const coordination = 'lifecare-sim';

    this.#emit(admittedAt, 'admission', person, episodeId, ehr, {
      region: REGION_CODE,
      hospital: hospital.code,
      clinic: clinic.clinic,
      ward,
      businessArea: clinic.businessArea,
      careType: psychiatric ? 'PSYCHIATRIC' : 'SOMATIC',
      admissionType: acute ? 'ACUTE' : 'PLANNED',
      homeMunicipality: person.home,
      primaryCareUnit: person.primaryCareUnit,
    });
    if (rng.chance(0.01)) {
      this.#emit(admittedAt + rng.uniform(10 * 60_000, 3 * HOUR), 'admission-cancelled', person, episodeId, ehr, { reasonCode: 'REGISTERED_IN_ERROR' });
      return;
    }
    if (isReadmission && rng.chance(0.5)) {
      this.#emit(admittedAt + rng.uniform(60_000, HOUR), 'readmission', person, episodeId, ehr, { indexEpisodeId: indexEpisode });
    }

    const medicallyDone = admittedAt + rng.logNormal(psychiatric ? 9 : 3, 0.7) * DAY;
    const needsMunicipalCare = rng.chance(psychiatric ? 0.15 : age >= 80 ? 0.45 : age >= 65 ? 0.22 : 0.05);
    let dischargeAt: number;
    if (needsMunicipalCare) {
      const noticeDelay = rng.weighted([[rng.uniform(1, 20), 90], [rng.uniform(24, 48), 8]] as const) * HOUR;
      if (!rng.chance(0.02)) {
        // The main stream's draw stays (every later draw of the seed as it was); the error is the clinic's.
        rng.int(-1, 2);
        const estimate = estimateError(this.#estimates, clinic, (medicallyDone - admittedAt - noticeDelay) / DAY);
        this.#emit(admittedAt + noticeDelay, 'admission-notice', person, episodeId, coordination, {
          recipientMunicipality: person.home,
          estimatedDischargeDate: estimate === null ? null : isoDate(fromEpochDay(epochDay(stockholmDate(medicallyDone)) + estimate)),
        });
      }
      let readyAt = Math.max(this.#daytime(medicallyDone), admittedAt + noticeDelay + HOUR);
      const colour = rng.weighted([['BLUE', 25], ['GREEN', 35], ['YELLOW', 25], ['RED', 15]] as const);
      const sipNeeded = colour === 'YELLOW' || colour === 'RED' || (colour === 'GREEN' && rng.chance(0.3));
      const ready = (at: number) =>
        this.#emit(at, 'ready-for-discharge', person, episodeId, coordination, {
          judgedAt: new Date(Math.round(at - rng.uniform(0, 2) * HOUR)).toISOString(),
          recipientMunicipality: person.home,
          trackColour: colour,
          fastVardkontaktAppointed: colour !== 'BLUE' && rng.chance(0.85),
          sipNeeded,
          sipCalledAt: sipNeeded ? new Date(Math.round(at + rng.weighted([[rng.uniform(2, 70), 9], [rng.uniform(80, 140), 1]] as const) * HOUR)).toISOString() : null,
        });
      ready(readyAt);
      if (rng.chance(0.06)) {
        const withdrawnAt = readyAt + rng.uniform(2 * HOUR, 2 * DAY);
        this.#emit(withdrawnAt, 'ready-withdrawn', person, episodeId, coordination, { reasonCode: 'CONDITION_WORSENED' });
        readyAt = this.#daytime(withdrawnAt + rng.uniform(1, 4) * DAY);
        ready(readyAt);
      }
      const wait = rng.weighted([[0, 40], [1, 25], [2, 13], [3, 7], [rng.int(4, 6), 8], [rng.int(7, 13), 5], [rng.int(14, 30), 2]] as const);
      dischargeAt = Math.max(readyAt + 30 * 60_000, this.#daytime(readyAt + wait * DAY, 10, 17));
      if (wait >= 1) {
        // Coordinators record why the patient still waits, most often on the municipal side.
        const [reasonCode, responsibleParty] = rng.weighted([
          [['AWAITING_HOME_CARE', 'MUNICIPALITY'], 40],
          [['AWAITING_SHORT_TERM_PLACE', 'MUNICIPALITY'], 30],
          [['AWAITING_SIP', 'REGION'], 15],
          [['PATIENT_DECLINES_OFFER', 'PATIENT_OR_FAMILY'], 15],
        ] as const);
        this.#emit(Math.min(readyAt + rng.uniform(2, 20) * HOUR, dischargeAt - 10 * 60_000), 'delay-reason', person, episodeId, coordination, { reasonCode, responsibleParty, endedAt: null });
      }
    } else {
      dischargeAt = Math.max(admittedAt + 2 * HOUR, this.#daytime(medicallyDone, 9, 18));
    }

    const destination = needsMunicipalCare
      ? rng.weighted([['HOME_WITH_MUNICIPAL_CARE', 55], ['SHORT_TERM_CARE', 30], ['NURSING_HOME', 10], ['DECEASED', 2], ['OTHER', 3]] as const)
      : rng.weighted([['HOME', 92], ['OTHER_HOSPITAL', 4], ['DECEASED', 2], ['OTHER', 2]] as const);
    // Some patients move to another ward of the clinic on the way (HL7 A02), and leave from there.
    let dischargeWard = ward;
    if (clinic.wards.length > 1 && this.#moves.chance(0.12)) {
      const others = clinic.wards.filter((w) => w !== ward);
      dischargeWard = others[this.#moves.int(0, others.length - 1)]!;
      const movedAt = admittedAt + this.#moves.uniform(0.2, 0.6) * (dischargeAt - admittedAt);
      this.#emit(movedAt, 'transfer', person, episodeId, ehr, { hospital: hospital.code, clinic: clinic.clinic, ward: dischargeWard });
    }
    const discharge = (at: number) =>
      this.#emit(at, 'discharge', person, episodeId, ehr, { destination, clinic: clinic.clinic, ward: dischargeWard });
    discharge(dischargeAt);
    if (rng.chance(0.01)) {
      const cancelledAt = dischargeAt + rng.uniform(10 * 60_000, 2 * HOUR);
      this.#emit(cancelledAt, 'discharge-cancelled', person, episodeId, ehr, { reasonCode: 'REGISTERED_IN_ERROR' });
      dischargeAt = cancelledAt + rng.uniform(3 * HOUR, DAY);
      discharge(dischargeAt);
    }
    if (destination !== 'DECEASED' && rng.chance(needsMunicipalCare ? 0.12 : 0.07)) {
      const after = Math.min(30, 1 + Math.floor(rng.exponential(8))) * DAY + rng.uniform(0, DAY / 2);
      this.#queue.push(dischargeAt + after, { kind: 'readmit', person, indexEpisode: episodeId });
    }
  }
}
