import type { Hl7Message } from '@medplum/core';
import { ageAt } from '../../contract/personnummer.ts';
import { UtklarError } from '../../core/errors.ts';
import type { CalendarDate } from '../../core/stockholm-time.ts';
import type { AdtMapping, FieldName } from './adt-mapping.ts';
import { parseHl7Time, valueAt } from './hl7-values.ts';

/**
 * One ADT message → one event in the NDJSON contract's public form (with the personnummer or
 * reservnummer: the shared ingest path validates and pseudonymises it), or why not:
 * - AR: not a well-formed ADT message (no message type or control id, no PID or PV1);
 * - AE: well-formed, but the contract cannot express it (a trigger it does not map, no usable
 *   id, a code the mapping does not know, a missing value).
 * Pure: the listener does the I/O.
 */
export type AdtResult =
  | { ok: true; controlId: string; trigger: string; event: Record<string, unknown> }
  | { ok: false; ack: 'AE' | 'AR'; controlId: string | null; trigger: string | null; error: UtklarError };

/** What each supported trigger becomes, and which time is its occurredAt. */
const TRIGGERS = {
  A01: { type: 'admission', time: 'admittedAt' },
  A02: { type: 'transfer', time: 'transferredAt' },
  A03: { type: 'discharge', time: 'dischargedAt' },
  A08: { type: 'admission', time: 'recordedAt' },
  A11: { type: 'admission-cancelled', time: 'recordedAt' },
  A13: { type: 'discharge-cancelled', time: 'recordedAt' },
} as const;

const unmappable = (message: string) => new UtklarError('UNMAPPABLE_MESSAGE', message);

class Problem extends Error {}

export function mapAdt(message: Hl7Message, mapping: AdtMapping): AdtResult {
  const msh = message.getSegment('MSH')!;
  const controlId = msh.getComponent(10, 1).trim() || null;
  const type = msh.getComponent(9, 1).trim();
  const trigger = (msh.getComponent(9, 2).trim() || message.getSegment('EVN')?.getComponent(1, 1).trim() || '').toUpperCase() || null;
  const reject = (ack: 'AE' | 'AR', error: UtklarError): AdtResult => ({ ok: false, ack, controlId, trigger, error });
  const malformed = (m: string) => reject('AR', new UtklarError('MALFORMED_MESSAGE', m));

  if (controlId === null) return malformed('MSH-10 (message control id) is empty');
  if (type === '' || trigger === null) return malformed('MSH-9 (message type^trigger event) is empty');
  if (type !== 'ADT') return malformed(`MSH-9: ${type}^${trigger} is not an ADT message; this listener takes ADT only`);
  const spec = TRIGGERS[trigger as keyof typeof TRIGGERS];
  if (!spec) return reject('AE', unmappable(`ADT^${trigger} is not mapped (mapped: ${Object.keys(TRIGGERS).join(', ')})`));
  for (const seg of ['PID', 'PV1']) if (!message.getSegment(seg)) return malformed(`ADT^${trigger} without a ${seg} segment`);

  const problems: string[] = [];
  const field = (name: FieldName): string | null => {
    const f = mapping.fields[name];
    if (f.value !== null) return f.value;
    if (f.from === null) return null;
    const loc = f.from!.find((l) => valueAt(message, l) !== '');
    const raw = loc ? valueAt(message, loc) : '';
    const where = f.from!.map((l) => l.text).join(', ');
    if (raw === '') {
      if (f.ifEmpty !== null) return f.ifEmpty;
      if (!f.optional) problems.push(`${name}: ${where} ${f.from!.length > 1 ? 'are' : 'is'} empty`);
      return null;
    }
    if (f.codes === null) return raw;
    const coded = Object.hasOwn(f.codes, raw) ? f.codes[raw]! : f.otherwise;
    if (coded === null) problems.push(`${name}: code '${raw}' in ${loc!.text} is not in the mapping's codes (${Object.keys(f.codes).join(', ')})`);
    return coded;
  };
  const time = (name: FieldName): string | null => {
    const f = mapping.fields[name];
    const loc = f.from?.find((l) => valueAt(message, l) !== '');
    if (!loc) {
      if (!f.optional) problems.push(`${name}: ${f.from?.map((l) => l.text).join(', ')} empty`);
      return null;
    }
    const t = parseHl7Time(valueAt(message, loc), mapping.localTimeZone);
    if (!t.ok) problems.push(`${name} (${loc.text}): ${t.problem}`);
    return t.ok ? t.iso : null;
  };

  try {
    const patient = identity(message, mapping);
    const occurredAt = time(spec.time);
    const event: Record<string, unknown> = {
      type: spec.type,
      eventId: eventIdOf(message, controlId),
      occurredAt,
      source: mapping.source,
      ...patient,
      episodeId: field('episodeId'),
    };
    if (spec.type === 'admission') {
      for (const name of ['region', 'hospital', 'clinic', 'ward', 'businessArea', 'careType', 'admissionType', 'homeMunicipality'] as const) event[name] = field(name);
      // The contract derives the age from a personnummer; a reservnummer has no birth date in it.
      if ('reservnummer' in patient) {
        const age = ageFromPid7(message, occurredAt, problems);
        if (age !== null) event.ageYears = age;
      }
      const pcu = field('primaryCareUnit');
      if (pcu !== null) event.primaryCareUnit = pcu;
    } else if (spec.type === 'discharge') {
      for (const name of ['destination', 'clinic', 'ward'] as const) event[name] = field(name);
      // Payment conditions (docs/agreements.md). Left out when the message does not say: the
      // clock then sees no transfer shown and no refusal, as for an NDJSON discharge without them.
      const informed = time('informationTransferredAt');
      if (informed !== null) event.informationTransferredAt = informed;
      const declined = field('patientDeclinedServices');
      if (declined !== null) event.patientDeclinedServices = declined === 'true';
    } else if (spec.type === 'transfer') {
      // PV1 carries where the patient lies now; PV1-6 (prior location) is not needed: the fold keeps the history.
      for (const name of ['hospital', 'clinic', 'ward', 'businessArea'] as const) event[name] = field(name);
    }
    if (problems.length > 0) return reject('AE', unmappable(`ADT^${trigger}: ${problems.join('; ')}`));
    return { ok: true, controlId, trigger, event };
  } catch (e) {
    if (e instanceof Problem) return reject('AE', unmappable(`ADT^${trigger}: ${e.message}`));
    throw e;
  }
}

/**
 * The event id is the sender's own message control id (MSH-10), unique per sending system, so a
 * message sent again (an ACK lost on the way back) is the same event and the pipeline folds it
 * once. The sending application and facility keep two senders' ids apart.
 */
export function eventIdOf(message: Hl7Message, controlId: string): string {
  const msh = message.getSegment('MSH')!;
  const part = (i: number) => msh.getComponent(i, 1).trim().replace(/[^A-Za-z0-9._-]/g, '_');
  return `hl7:${part(3)}:${part(4)}:${controlId}`.slice(0, 200);
}

/** Who the event is about, in the contract's fields: a personnummer (or samordningsnummer), else a reservnummer. */
export type PatientIdentity = { personnummer: string } | { reservnummer: string; reservnummerIssuer: string };

/**
 * The patient's id from PID-3, told apart by the assigning authority's OID (CX.4, ISO form
 * `&OID&ISO` or the OID alone). A personnummer or samordningsnummer wins over a reservnummer in
 * another repetition: the reservnummer is a local, temporary id, and its pseudonym does not link
 * to the person's (Pseudonymiser.reservnummerKey), so the national id is the better key whenever
 * the EHR has it.
 */
export function identity(message: Hl7Message, mapping: AdtMapping): PatientIdentity {
  const pid3 = message.getSegment('PID')!.getField(3);
  const sub = message.context.subcomponentSeparator;
  const found: { kind: 'personnummer' | 'samordningsnummer' | 'reservnummer'; id: string; oid: string }[] = [];
  for (let r = 0; r < (pid3?.components.length ?? 0); r++) {
    const id = pid3!.getComponent(1, undefined, r).trim();
    const authority = pid3!.getComponent(4, undefined, r).split(sub).map((s) => s.trim());
    const oid = authority[1] || authority[0] || '';
    if (id === '' || oid === '') continue;
    if (oid === mapping.identifiers.personnummer) found.push({ kind: 'personnummer', id, oid });
    else if (oid === mapping.identifiers.samordningsnummer) found.push({ kind: 'samordningsnummer', id, oid });
    else if (mapping.identifiers.reservnummer.includes(oid)) found.push({ kind: 'reservnummer', id, oid });
  }
  const usable = found.find((f) => f.kind !== 'reservnummer');
  if (usable) {
    // A samordningsnummer's day is 61–91: one filed under the other OID is a sender's mistake.
    const day = Number(usable.id.replace(/\D/g, '').slice(-6, -4));
    if (usable.kind === 'samordningsnummer' && !(day > 60)) throw new Problem('PID-3: the id under the samordningsnummer OID is not a samordningsnummer (day 61–91)');
    if (usable.kind === 'personnummer' && day > 60) throw new Problem('PID-3: the id under the personnummer OID is a samordningsnummer (day 61–91)');
    return { personnummer: usable.id };
  }
  const reserv = found.find((f) => f.kind === 'reservnummer');
  if (reserv) return { reservnummer: reserv.id, reservnummerIssuer: reserv.oid };
  throw new Problem(`PID-3: no identifier with the personnummer (${mapping.identifiers.personnummer}), samordningsnummer (${mapping.identifiers.samordningsnummer}) or a reservnummer OID (${mapping.identifiers.reservnummer.join(', ') || 'none configured'})`);
}

// HL7 DT or DTM: the date part is what a birth date needs; a time or offset after it is ignored.
const BIRTH = /^(\d{4})(\d{2})(\d{2})(?:\d{2,6}(?:\.\d{1,4})?)?(?:[+-]\d{4})?$/;

/**
 * Age in whole years at the admission (the contract's `ageAt`: the Stockholm calendar date), from
 * PID-7. Problems name the field, never the birth date.
 */
function ageFromPid7(message: Hl7Message, occurredAt: string | null, problems: string[]): number | null {
  const text = message.getSegment('PID')!.getComponent(7, 1).trim();
  if (text === '') {
    problems.push('PID-7 (date of birth) is empty: a reservnummer carries no birth date, and an admission needs the age');
    return null;
  }
  const m = BIRTH.exec(text);
  const birth: CalendarDate | null = m ? { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) } : null;
  const probe = birth ? new Date(Date.UTC(birth.year, birth.month - 1, birth.day)) : null;
  if (!birth || !probe || probe.getUTCFullYear() !== birth.year || probe.getUTCMonth() !== birth.month - 1 || probe.getUTCDate() !== birth.day) {
    problems.push('PID-7 (date of birth): expected a date YYYYMMDD');
    return null;
  }
  if (occurredAt === null) return null;
  const age = ageAt(birth, Date.parse(occurredAt));
  if (age < 0) {
    problems.push('PID-7 (date of birth) lies after the admission');
    return null;
  }
  return age;
}
