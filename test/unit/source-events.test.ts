import { describe, expect, it } from 'vitest';
import { mintToken, parseTokenScope, scopeOf, sourceOf } from '../../services/api/auth.ts';
import { itemsOf } from '../../services/sources/events-endpoint.ts';
import { thrown } from './support/thrown.ts';
import { mapEncounter, operationOutcome, redactEncounter, SYSTEMS } from '../../services/sources/fhir/encounter.ts';
import type { Encounter } from '../../services/sources/fhir/fhir-types.ts';
import { encounter } from '../support/fhir-encounters.ts';
import { loadAdtMapping } from '../../services/sources/hl7/adt-mapping.ts';

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
