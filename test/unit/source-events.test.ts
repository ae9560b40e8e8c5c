import { describe, expect, it } from 'vitest';
import { mintToken, parseTokenScope, scopeOf, sourceOf } from '../../services/api/auth.ts';
import { itemsOf } from '../../services/sources/events-endpoint.ts';
import { thrown } from './support/thrown.ts';
import { EXTENSIONS, mapEncounter, operationOutcome, redactEncounter, SYSTEMS } from '../../services/sources/fhir/encounter.ts';
import type { Encounter } from '../../services/sources/fhir/fhir-types.ts';
import { encounter } from '../support/fhir-encounters.ts';
import { loadAdtMapping } from '../../services/sources/hl7/adt-mapping.ts';
import { parseEventObject } from '../../services/contract/ndjson-event.ts';
import { Pseudonymiser } from '../../services/contract/pseudonymise.ts';

const SECRET = 'unit-test-secret-that-is-long-enough';
const NOW = Date.parse('2026-11-23T12:00:00Z');
const err = thrown;
const bearer = (scope: string) => `Bearer ${mintToken(parseTokenScope(scope), SECRET, { subject: 's', ttlSeconds: 60, now: NOW })}`;

describe('source tokens', () => {
  it('a source:<system> token writes as that system and reads nothing', () => {
    expect(sourceOf(bearer('source:lifecare'), SECRET, NOW)).toBe('lifecare');
    expect(err(() => scopeOf(bearer('source:lifecare'), SECRET, NOW))).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/may only send events/) });
  });
  it('a reading token cannot write', () => {
    for (const s of ['region:18', 'municipality:1880', 'unit:USO/Med 1', 'nation']) {
      expect(err(() => sourceOf(bearer(s), SECRET, NOW)).code).toBe('FORBIDDEN');
    }
  });
  it('a source name is a plain identifier', () => {
    expect(err(() => parseTokenScope('source:')).code).toBe('INVALID_REQUEST');
    expect(err(() => parseTokenScope('source:a b')).code).toBe('INVALID_REQUEST');
    expect(parseTokenScope('source:ehr-cosmic.v2')).toEqual({ kind: 'source', source: 'ehr-cosmic.v2' });
  });
  it('an expired or forged source token is UNAUTHORIZED', () => {
    expect(err(() => sourceOf(bearer('source:lifecare'), SECRET, NOW + 61_000)).code).toBe('UNAUTHORIZED');
    expect(err(() => sourceOf(bearer('source:lifecare'), `${SECRET}x`, NOW)).code).toBe('UNAUTHORIZED');
  });
});

describe('POST /api/v1/events bodies', () => {
  it('NDJSON: one item per non-empty line, numbered as in the body; a line that is no JSON is an item with its error', () => {
    const items = itemsOf('{"a":1}\r\n\n{"b":2}\nnot json\n');
    expect(items.map((i) => [i.ref, i.value, i.error?.code])).toEqual([[1, { a: 1 }, undefined], [3, { b: 2 }, undefined], [4, undefined, 'INVALID_JSON']]);
    expect(items[2]!.raw).toBe('not json');
  });
  it('a JSON array: one item per element; a broken array is one bad item', () => {
    expect(itemsOf(' [{"a":1},{"b":2}]').map((i) => [i.ref, i.value, i.raw])).toEqual([[1, { a: 1 }, '{"a":1}'], [2, { b: 2 }, '{"b":2}']]);
    expect(itemsOf('[{"a":1},').map((i) => [i.ref, i.error?.code])).toEqual([[1, 'INVALID_JSON']]);
  });
});

describe('FHIR R4 Encounter → the event contract', () => {
  it('in-progress is an admission, finished a discharge, entered-in-error a cancellation; the version is the event', () => {
    expect(mapEncounter(encounter(), 'ehr-fhir')).toEqual({
      ok: true,
      events: [{
        type: 'admission', eventId: 'fhir:ehr-fhir:Encounter/enc-1/_history/1', source: 'ehr-fhir', personnummer: '194003071232', episodeId: 'E-FHIR-1',
        occurredAt: '2026-11-10T08:00:00+01:00', region: '18', hospital: 'USO', clinic: 'Medicinkliniken', ward: 'Med 4', businessArea: 'Medicinkliniken',
        careType: 'SOMATIC', admissionType: 'ACUTE', homeMunicipality: '1880',
      }],
    });
    const finished = encounter({ meta: { versionId: '2' }, status: 'finished', period: { start: '2026-11-10T08:00:00+01:00', end: '2026-11-14T11:00:00+01:00' }, hospitalization: { dischargeDisposition: { coding: [{ code: 'snf' }] } } });
    expect(mapEncounter(finished, 'ehr-fhir')).toMatchObject({ ok: true, events: [{ type: 'discharge', eventId: 'fhir:ehr-fhir:Encounter/enc-1/_history/2', occurredAt: '2026-11-14T11:00:00+01:00', destination: 'SHORT_TERM_CARE', ward: 'Med 4' }] });
    expect(mapEncounter(encounter({ meta: { versionId: '3', lastUpdated: '2026-11-10T09:00:00+01:00' }, status: 'entered-in-error' }), 'ehr-fhir')).toMatchObject({ ok: true, events: [{ type: 'admission-cancelled', occurredAt: '2026-11-10T09:00:00+01:00', reasonCode: 'ENTERED_IN_ERROR' }] });
    // Without a version, the status is the event.
    expect(mapEncounter(encounter({ meta: undefined }), 'x')).toMatchObject({ ok: true, events: [{ eventId: 'fhir:x:Encounter/enc-1/in-progress' }] });
  });

  it('refuses what the contract cannot carry, naming the element', () => {
    const no = (e: Encounter) => {
      const r = mapEncounter(e, 'x');
      if (r.ok) throw new Error('expected a refusal');
      return { code: r.error.code, message: r.error.message, expression: r.expression };
    };
    expect(no(encounter({ subject: { identifier: { system: 'urn:oid:1.2.752.29.4.3', value: 'LOCAL-77' } } }))).toMatchObject({ code: 'UNMAPPABLE_MESSAGE', expression: ['Encounter.subject.identifier.system'], message: expect.stringMatching(/is none of personnummer/) });
    // A reservnummer carries no birth date: an admission needs the Patient's (a transaction Bundle).
    const reservnummerOids = loadAdtMapping().identifiers.reservnummer;
    const reserv = mapEncounter(encounter({ subject: { identifier: { system: 'urn:oid:1.2.752.97.3.1.3', value: '991234567' } } }), 'x', { reservnummerOids });
    expect(reserv).toMatchObject({ ok: false, expression: ['Encounter.subject'], error: { code: 'UNMAPPABLE_MESSAGE', message: expect.stringMatching(/reservnummer admission needs the patient's birth date/) } });
    expect(no(encounter({ class: { code: 'AMB' } }))).toMatchObject({ expression: ['Encounter.class'], message: expect.stringMatching(/'AMB' is not inpatient care/) });
    expect(no(encounter({ status: 'planned' }))).toMatchObject({ expression: ['Encounter.status'] });
    expect(no(encounter({ extension: [] }))).toMatchObject({ expression: ['Encounter.extension'], message: expect.stringMatching(/länskod/) });
    expect(no(encounter({ status: 'finished', hospitalization: { dischargeDisposition: { coding: [{ code: 'zzz' }] } }, period: { end: '2026-11-14T11:00:00+01:00' } }))).toMatchObject({ expression: ['Encounter.hospitalization.dischargeDisposition'] });
  });

  it('answers in OperationOutcome and dead-letters no name', () => {
    expect(operationOutcome('error', 'x', { code: 'UNMAPPABLE_MESSAGE', expression: ['Encounter.class'] })).toEqual({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'business-rule', diagnostics: 'x', details: { coding: [{ system: 'https://utklar.se/error-code', code: 'UNMAPPABLE_MESSAGE' }] }, expression: ['Encounter.class'] }],
    });
    const kept = JSON.parse(redactEncounter({ ...encounter(), text: { status: 'generated', div: '<div>Sven</div>' } }));
    expect(kept.subject).toEqual({ identifier: { system: SYSTEMS.personnummer, value: '194003071232' } });
    expect(kept.text).toBeUndefined();
  });
});

describe('FHIR: a finished Encounter carries the discharge\'s payment conditions in extensions', () => {
  const base = encounter().extension!;
  const finished = (...extension: object[]) => encounter({
    meta: { versionId: '2' }, status: 'finished', period: { start: '2026-11-10T08:00:00+01:00', end: '2026-11-14T11:00:00+01:00' },
    extension: [...base, ...extension],
  });
  const discharge = (e: Encounter) => {
    const r = mapEncounter(e, 'ehr-fhir');
    if (!r.ok) throw new Error(`expected events, got ${r.error.message}`);
    return r.events.at(-1)!;
  };
  const refusal = (e: Encounter) => {
    const r = mapEncounter(e, 'x');
    if (r.ok) throw new Error('expected a refusal');
    return { code: r.error.code, message: r.error.message, expression: r.expression };
  };
  const informed = (valueDateTime: unknown) => ({ url: EXTENSIONS.informationTransferredAt, valueDateTime });
  const declined = (valueBoolean: unknown) => ({ url: EXTENSIONS.patientDeclinedServices, valueBoolean });

  it('information-transferred-at (valueDateTime) and patient-declined-services (valueBoolean); the contract takes them', () => {
    expect(EXTENSIONS).toMatchObject({
      informationTransferredAt: 'https://utklar.se/fhir/StructureDefinition/information-transferred-at',
      patientDeclinedServices: 'https://utklar.se/fhir/StructureDefinition/patient-declined-services',
    });
    const event = discharge(finished(informed('2026-11-14T10:30:00+01:00'), declined(true)));
    expect(event).toMatchObject({ type: 'discharge', occurredAt: '2026-11-14T11:00:00+01:00', informationTransferredAt: '2026-11-14T09:30:00.000Z', patientDeclinedServices: true });
    const ev = parseEventObject(event, 1, new Pseudonymiser('unit-test-pseudonym-key'));
    expect(ev.type === 'discharge' && ev.data).toMatchObject({ informationTransferredAt: Date.parse('2026-11-14T09:30:00Z'), patientDeclinedServices: true });
    // FHIR allows up to nine digits of a second and Z; false is a statement too.
    expect(discharge(finished(informed('2026-11-13T16:05:07.123456789Z'), declined(false)))).toMatchObject({ informationTransferredAt: '2026-11-13T16:05:07.123Z', patientDeclinedServices: false });
  });

  it('absent: left out of the discharge (null in the contract); an in-progress Encounter does not read them', () => {
    const event = discharge(finished());
    for (const name of ['informationTransferredAt', 'patientDeclinedServices']) expect(event).not.toHaveProperty(name);
    const ev = parseEventObject(event, 1, new Pseudonymiser('unit-test-pseudonym-key'));
    expect(ev.type === 'discharge' && ev.data).toMatchObject({ informationTransferredAt: null, patientDeclinedServices: null });
    const admission = mapEncounter(encounter({ extension: [...base, informed('i morgon'), declined('ja')] }), 'x');
    expect(admission).toMatchObject({ ok: true, events: [{ type: 'admission' }] });
    for (const name of ['informationTransferredAt', 'patientDeclinedServices']) expect((admission as { events: object[] }).events[0]).not.toHaveProperty(name);
  });

  it('invalid: refused 422-style, naming the extension (and its value) by position', () => {
    // base holds region and home municipality: the new extension is Encounter.extension[2].
    for (const value of ['2026-11-14', '2026-11', '2026-11-14T10:30:00', '2026-11-14T10:30+01:00', '2026-02-30T10:30:00+01:00', '2026-11-14T24:00:00+01:00', 20261114, null]) {
      expect(refusal(finished(informed(value))), String(value)).toEqual({
        code: 'UNMAPPABLE_MESSAGE', expression: ['Encounter.extension[2].valueDateTime'],
        message: 'Encounter.extension[2].valueDateTime: expected a date, time and zone such as 2026-11-14T10:30:00+01:00',
      });
    }
    expect(refusal(finished({ url: EXTENSIONS.informationTransferredAt, valueString: '2026-11-14T10:30:00+01:00' }))).toEqual({
      code: 'UNMAPPABLE_MESSAGE', expression: ['Encounter.extension[2]'], message: `Encounter.extension[2]: ${EXTENSIONS.informationTransferredAt} takes a valueDateTime`,
    });
    for (const bad of [declined('true'), declined('Y'), declined(1), { url: EXTENSIONS.patientDeclinedServices, valueCode: 'Y' }]) {
      expect(refusal(finished(bad)), JSON.stringify(bad)).toEqual({
        code: 'UNMAPPABLE_MESSAGE', expression: ['Encounter.extension[2]'], message: `Encounter.extension[2]: ${EXTENSIONS.patientDeclinedServices} takes a valueBoolean (true or false)`,
      });
    }
    expect(refusal(finished(informed('2026-11-14T10:30:00+01:00'), declined('no'))).expression).toEqual(['Encounter.extension[3]']);
  });
});
