import type { Hl7Message } from '@medplum/core';
import { UtklarError } from '../../core/errors.ts';
import type { AdtMapping, FieldName } from './adt-mapping.ts';
import { parseHl7Time, valueAt } from './hl7-values.ts';

/**
 * One ADT message → one event in the NDJSON contract's public form (with the personnummer: the
 * shared ingest path validates and pseudonymises it), or why not:
 * - AR: not a well-formed ADT message (no message type or control id, no PID or PV1);
 * - AE: well-formed, but the contract cannot express it (a trigger it does not map, a
 *   reservnummer, a code the mapping does not know, a missing value).
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
      problems.push(`${name}: ${f.from?.map((l) => l.text).join(', ')} empty`);
      return null;
    }
    const t = parseHl7Time(valueAt(message, loc), mapping.localTimeZone);
    if (!t.ok) problems.push(`${name} (${loc.text}): ${t.problem}`);
    return t.ok ? t.iso : null;
  };

  try {
    const personnummer = identity(message, mapping);
    const event: Record<string, unknown> = {
      type: spec.type,
      eventId: eventIdOf(message, controlId),
      occurredAt: time(spec.time),
      source: mapping.source,
      personnummer,
      episodeId: field('episodeId'),
    };
    if (spec.type === 'admission') {
      for (const name of ['region', 'hospital', 'clinic', 'ward', 'businessArea', 'careType', 'admissionType', 'homeMunicipality'] as const) event[name] = field(name);
      const pcu = field('primaryCareUnit');
      if (pcu !== null) event.primaryCareUnit = pcu;
    } else if (spec.type === 'discharge') {
      for (const name of ['destination', 'clinic', 'ward'] as const) event[name] = field(name);
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

/**
 * The patient's personnummer or samordningsnummer from PID-3, told apart by the assigning
 * authority's OID (CX.4, ISO form `&OID&ISO` or the OID alone). A reservnummer is a local,
 * temporary id: the contract keys the pseudonym on a personnummer, so it cannot be carried yet.
 */
export function identity(message: Hl7Message, mapping: AdtMapping): string {
  const pid3 = message.getSegment('PID')!.getField(3);
  const sub = message.context.subcomponentSeparator;
  const found: { kind: 'personnummer' | 'samordningsnummer' | 'reservnummer'; id: string }[] = [];
  for (let r = 0; r < (pid3?.components.length ?? 0); r++) {
    const id = pid3!.getComponent(1, undefined, r).trim();
    const authority = pid3!.getComponent(4, undefined, r).split(sub).map((s) => s.trim());
    const oid = authority[1] || authority[0] || '';
    if (id === '' || oid === '') continue;
    if (oid === mapping.identifiers.personnummer) found.push({ kind: 'personnummer', id });
    else if (oid === mapping.identifiers.samordningsnummer) found.push({ kind: 'samordningsnummer', id });
    else if (mapping.identifiers.reservnummer.includes(oid)) found.push({ kind: 'reservnummer', id });
  }
  const usable = found.find((f) => f.kind !== 'reservnummer');
  if (usable) {
    // A samordningsnummer's day is 61–91: one filed under the other OID is a sender's mistake.
    const day = Number(usable.id.replace(/\D/g, '').slice(-6, -4));
    if (usable.kind === 'samordningsnummer' && !(day > 60)) throw new Problem('PID-3: the id under the samordningsnummer OID is not a samordningsnummer (day 61–91)');
    if (usable.kind === 'personnummer' && day > 60) throw new Problem('PID-3: the id under the personnummer OID is a samordningsnummer (day 61–91)');
    return usable.id;
  }
  if (found.length > 0) {
    throw new Problem(`PID-3: only a reservnummer; the event contract needs a personnummer or samordningsnummer (the pseudonym is keyed on it), so reservnummer patients are not carried yet`);
  }
  throw new Problem(`PID-3: no identifier with the personnummer (${mapping.identifiers.personnummer}) or samordningsnummer (${mapping.identifiers.samordningsnummer}) OID`);
}
