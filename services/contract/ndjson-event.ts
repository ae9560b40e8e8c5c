import { UtklarError } from '../core/errors.ts';
import { epochDay, stockholmDate, type CalendarDate } from '../core/stockholm-time.ts';
import { countyCodes, municipalities } from '../reference/municipalities.ts';
import {
  ADMISSION_TYPES,
  CARE_TYPES,
  DESTINATIONS,
  EVENT_TYPES,
  RESPONSIBLE_PARTIES,
  TRACK_COLOURS,
  type EventType,
  type PatientEvent,
} from './event.ts';
import { ageAt, parsePersonnummer } from './personnummer.ts';
import type { Pseudonymiser } from './pseudonymise.ts';

/**
 * The public NDJSON form (docs/ndjson-contract.md): one flat JSON object per line, tagged by
 * `type`, carrying the raw personnummer (or, for a patient without one, a reservnummer and its
 * issuer). Validation collects every problem on a line so an integrator fixes a file in one pass;
 * messages name fields, never echo personal values.
 */
type Kind =
  | { k: 'text' }
  | { k: 'county' }
  | { k: 'municipality' }
  | { k: 'enum'; values: readonly string[] }
  | { k: 'bool' }
  | { k: 'int'; min: number; max: number }
  | { k: 'timestamp' }
  | { k: 'date' }
  | { k: 'reservnummer' }
  | { k: 'oid' };

interface Field {
  kind: Kind;
  optional?: boolean;
}

const text: Field = { kind: { k: 'text' } };
const optText: Field = { kind: { k: 'text' }, optional: true };
const muni: Field = { kind: { k: 'municipality' } };
const oneOf = (values: readonly string[]): Field => ({ kind: { k: 'enum', values } });
const bool: Field = { kind: { k: 'bool' } };
const optTimestamp: Field = { kind: { k: 'timestamp' }, optional: true };

const ENVELOPE: Record<string, Field> = {
  eventId: text,
  occurredAt: { kind: { k: 'timestamp' } },
  source: text,
  // Exactly one of the two identities; checked after the fields (parseEventObject).
  personnummer: optText,
  reservnummer: { kind: { k: 'reservnummer' }, optional: true },
  reservnummerIssuer: { kind: { k: 'oid' }, optional: true },
  episodeId: text,
  // Whose numbering episodeId is in (a länskod); the producer's UTKLAR_EPISODE_ISSUER when absent.
  episodeIssuer: { kind: { k: 'county' }, optional: true },
};

const FIELDS: Record<EventType, Record<string, Field>> = {
  admission: {
    region: { kind: { k: 'county' } },
    hospital: text,
    clinic: text,
    ward: text,
    businessArea: text,
    careType: oneOf(CARE_TYPES),
    admissionType: oneOf(ADMISSION_TYPES),
    homeMunicipality: muni,
    ageYears: { kind: { k: 'int', min: 0, max: 130 }, optional: true },
    primaryCareUnit: optText,
  },
  'admission-notice': {
    recipientMunicipality: muni,
    estimatedDischargeDate: { kind: { k: 'date' }, optional: true },
    needJudgedAt: optTimestamp,
  },
  'ready-for-discharge': {
    judgedAt: optTimestamp,
    recipientMunicipality: muni,
    trackColour: oneOf(TRACK_COLOURS),
    fastVardkontaktAppointed: bool,
    sipNeeded: bool,
    sipCalledAt: optTimestamp,
  },
  'ready-withdrawn': { reasonCode: optText },
  discharge: {
    destination: oneOf(DESTINATIONS), clinic: text, ward: text,
    informationTransferredAt: optTimestamp, patientDeclinedServices: { kind: { k: 'bool' }, optional: true },
  },
  readmission: { indexEpisodeId: optText },
  'admission-cancelled': { reasonCode: optText },
  'discharge-cancelled': { reasonCode: optText },
  'delay-reason': { reasonCode: text, responsibleParty: oneOf(RESPONSIBLE_PARTIES), endedAt: optTimestamp },
  transfer: { hospital: text, clinic: text, ward: text, businessArea: optText },
};

// ISO 8601 with an explicit offset: a local time without one is ambiguous around DST.
const ISO_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// A region's local id: EHRs use letters, digits and dashes (e.g. "SE-2026-000123", "99123456").
const RESERVNUMMER = /^[A-Za-z0-9-]{1,40}$/;
const OID = /^[0-2](\.(0|[1-9]\d*))+$/;

function isCalendarDate(text: string): CalendarDate | undefined {
  const m = ISO_DATE.exec(text);
  if (!m) return undefined;
  const d = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  const probe = new Date(Date.UTC(d.year, d.month - 1, d.day));
  return probe.getUTCDate() === d.day && probe.getUTCMonth() === d.month - 1 ? d : undefined;
}

function convert(name: string, value: unknown, kind: Kind, problems: string[]): unknown {
  const bad = (expected: string) => {
    problems.push(`${name}: expected ${expected}`);
    return undefined;
  };
  switch (kind.k) {
    case 'text':
      if (typeof value !== 'string' || value.trim() === '' || value.length > 200 || /[\u0000-\u001f]/.test(value)) {
        return bad('a non-empty string of at most 200 printable characters');
      }
      return value;
    case 'county':
      return typeof value === 'string' && countyCodes.has(value) ? value : bad('a länskod such as "18"');
    case 'municipality':
      return typeof value === 'string' && municipalities.has(value) ? value : bad('a kommunkod such as "1880"');
    case 'enum': {
      const up = typeof value === 'string' ? value.toUpperCase().replace(/-/g, '_') : undefined;
      return up !== undefined && kind.values.includes(up) ? up : bad(`one of ${kind.values.join(', ')}`);
    }
    case 'bool':
      return typeof value === 'boolean' ? value : bad('true or false');
    case 'int':
      return Number.isInteger(value) && (value as number) >= kind.min && (value as number) <= kind.max
        ? value
        : bad(`an integer ${kind.min}–${kind.max}`);
    case 'timestamp': {
      // Date.parse rolls 30 February over into March: the calendar date is checked first.
      if (typeof value === 'string' && ISO_TS.test(value) && isCalendarDate(value.slice(0, 10))) {
        const ms = Date.parse(value);
        if (!Number.isNaN(ms)) return ms;
      }
      return bad('an ISO 8601 time with offset, e.g. "2026-02-01T11:30:00+01:00"');
    }
    case 'date': {
      const d = typeof value === 'string' ? isCalendarDate(value) : undefined;
      return d ? epochDay(d) : bad('a date "YYYY-MM-DD"');
    }
    case 'reservnummer': {
      const t = typeof value === 'string' ? value.trim() : undefined;
      return t !== undefined && RESERVNUMMER.test(t) ? t : bad("1–40 letters, digits or '-'");
    }
    case 'oid':
      return typeof value === 'string' && value.length <= 128 && OID.test(value) ? value : bad('the issuing authority\'s OID, e.g. "1.2.752.97.3.1.3"');
  }
}

export interface NdjsonProblem {
  line: number;
  code: 'INVALID_JSON' | 'INVALID_EVENT';
  problems: string[];
}

export function parseNdjsonEvent(lineText: string, lineNo: number, pseudonymiser: Pseudonymiser): PatientEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(lineText);
  } catch (e) {
    // Only the position: V8's message quotes the text around the error, which may be a personnummer.
    const at = /position (\d+)/.exec((e as Error).message)?.[1];
    throw new UtklarError('INVALID_JSON', `line ${lineNo}: not valid JSON${at === undefined ? '' : ` (at character ${at})`}`, {
      details: { line: lineNo, problems: ['not valid JSON'] },
    });
  }
  return parseEventObject(raw, lineNo, pseudonymiser);
}

/**
 * The same validation and pseudonymisation for an event that arrived as a value rather than a
 * line: a JSON array element over HTTP, or an HL7 message mapped to the contract's fields.
 */
export function parseEventObject(raw: unknown, lineNo: number, pseudonymiser: Pseudonymiser): PatientEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UtklarError('INVALID_JSON', `line ${lineNo}: expected a JSON object`, {
      details: { line: lineNo, problems: ['expected a JSON object'] },
    });
  }
  const obj = raw as Record<string, unknown>;
  const problems: string[] = [];
  const type = obj.type as EventType;
  if (!EVENT_TYPES.includes(type)) {
    problems.push(`type: expected one of ${EVENT_TYPES.join(', ')}`);
  }
  const spec = { ...ENVELOPE, ...(FIELDS[type] ?? {}) };
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(spec)) {
    const value = obj[name];
    if (value === undefined || value === null) {
      if (!field.optional) problems.push(`${name}: required`);
      else out[name] = null;
      continue;
    }
    out[name] = convert(name, value, field.kind, problems);
  }
  for (const name of Object.keys(obj)) {
    if (name !== 'type' && !Object.hasOwn(spec, name)) problems.push(`${name}: unknown field`);
  }

  let patientKey: string | undefined;
  let age: number | undefined;
  const given = (name: string) => obj[name] !== undefined && obj[name] !== null;
  if (given('personnummer') && given('reservnummer')) problems.push('personnummer, reservnummer: give exactly one of them');
  if (!given('personnummer') && !given('reservnummer')) problems.push('personnummer: required (or, for a patient without one, reservnummer and reservnummerIssuer)');
  if (given('reservnummer') && !given('reservnummerIssuer')) problems.push('reservnummerIssuer: required with a reservnummer (a local id is unique only within its issuer)');
  if (given('reservnummerIssuer') && !given('reservnummer')) problems.push('reservnummerIssuer: only together with reservnummer');
  if (given('reservnummer') && !given('personnummer')) {
    // No birth date in a reservnummer to derive it from, and the Avro admission's ageYears is not nullable.
    if (type === 'admission' && !given('ageYears')) problems.push('ageYears: required for a reservnummer patient (a reservnummer carries no birth date)');
    if (typeof out.reservnummer === 'string' && typeof out.reservnummerIssuer === 'string') {
      patientKey = pseudonymiser.reservnummerKey(out.reservnummerIssuer, out.reservnummer);
    }
  } else if (typeof out.personnummer === 'string' && typeof out.occurredAt === 'number') {
    try {
      const pnr = parsePersonnummer(out.personnummer, stockholmDate(out.occurredAt));
      patientKey = pseudonymiser.patientKey(pnr.normalised);
      age = ageAt(pnr.birthDate, out.occurredAt);
      if (age < 0) problems.push('personnummer: birth date lies after occurredAt');
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (problems.length > 0) {
    throw new UtklarError('INVALID_EVENT', `line ${lineNo}: ${problems.join('; ')}`, {
      details: { line: lineNo, problems },
    });
  }

  const { eventId, occurredAt, source, episodeId, episodeIssuer, personnummer: _p, reservnummer: _r, reservnummerIssuer: _i, ...data } = out;
  if (type === 'admission' && data.ageYears === null) data.ageYears = age;
  // The source's episode ids never leave the producer (docs/ndjson-contract.md, "Episode ids are pseudonymised too").
  const issuer = typeof episodeIssuer === 'string' ? episodeIssuer : pseudonymiser.episodeIssuer;
  if (type === 'readmission' && typeof data.indexEpisodeId === 'string') data.indexEpisodeId = pseudonymiser.episodeKey(issuer, data.indexEpisodeId);
  return {
    type,
    eventId: eventId as string,
    occurredAt: occurredAt as number,
    source: source as string,
    patientKey: patientKey!,
    episodeId: pseudonymiser.episodeKey(issuer, episodeId as string),
    data,
  } as unknown as PatientEvent;
}
