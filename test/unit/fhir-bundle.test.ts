import { describe, expect, it } from 'vitest';
import { parseEventObject } from '../../services/contract/ndjson-event.ts';
import { Pseudonymiser } from '../../services/contract/pseudonymise.ts';
import { EXTENSIONS, mapEncounter, SYSTEMS } from '../../services/sources/fhir/encounter.ts';
import type { Encounter } from '../../services/sources/fhir/fhir-types.ts';
import { transferEventId, wardHistory } from '../../services/sources/fhir/location-history.ts';
import { planTransaction } from '../../services/sources/fhir/transaction-bundle.ts';
import { loadAdtMapping } from '../../services/sources/hl7/adt-mapping.ts';
import { encounter, patient, stay, transaction } from '../support/fhir-encounters.ts';
import { thrown } from './support/thrown.ts';

// Fixed times (autumn 2026): nothing here depends on today's date.
const ADMITTED = '2026-11-10T08:00:00+01:00';
const MOVED = '2026-11-11T14:30:00+01:00';
const history = [stay('Med 4', ADMITTED, 'completed', MOVED), stay('Med 2', MOVED, 'active')];

const events = (e: Encounter, ctx?: Parameters<typeof mapEncounter>[2]) => {
  const r = mapEncounter(e, 'ehr-fhir', ctx);
  if (!r.ok) throw new Error(`expected events, got ${r.error.message}`);
  return r.events;
};
const refusal = (e: Encounter) => {
  const r = mapEncounter(e, 'x');
  if (r.ok) throw new Error('expected a refusal');
  return { code: r.error.code, message: r.error.message, expression: r.expression };
};

describe('Encounter.location as the ward history', () => {
  it('the admission carries the first ward; each later ward is a transfer at its period.start, with the Encounter\'s hospital and clinic', () => {
    const [admission, transfer, ...rest] = events(encounter({ location: history }));
    expect(rest).toEqual([]);
    expect(admission).toMatchObject({ type: 'admission', eventId: 'fhir:ehr-fhir:Encounter/enc-1/_history/1', occurredAt: ADMITTED, ward: 'Med 4' });
    expect(transfer).toEqual({
      type: 'transfer', eventId: transferEventId('fhir:ehr-fhir:Encounter/enc-1', { index: 1, ward: 'Med 2', start: MOVED, identity: 'Location/med-2' }),
      source: 'ehr-fhir', personnummer: '194003071232', episodeId: 'E-FHIR-1', occurredAt: MOVED,
      hospital: 'USO', clinic: 'Medicinkliniken', ward: 'Med 2', businessArea: 'Medicinkliniken',
    });
    expect(transfer!.eventId).toMatch(/^fhir:ehr-fhir:Encounter\/enc-1\/location\/2026-11-11T13:30:00\.000Z\/[0-9a-f]{12}$/);
  });

  it('a move keeps its event id in every later version, whatever order or time spelling the source uses', () => {
    const v1 = events(encounter({ location: history }));
    const v2 = events(encounter({ meta: { versionId: '2' }, location: [{ ...history[1]!, period: { start: '2026-11-11T13:30:00Z' } }, history[0]!] }));
    expect(v2[0]).toMatchObject({ type: 'admission', eventId: 'fhir:ehr-fhir:Encounter/enc-1/_history/2', ward: 'Med 4' });
    expect(v2[1]!.eventId).toBe(v1[1]!.eventId);
    // Another ward at the same instant is another move.
    const other = events(encounter({ location: [history[0]!, stay('Med 3', MOVED, 'active')] }));
    expect(other[1]!.eventId).not.toBe(v1[1]!.eventId);
  });

  it('ordered by period.start, not by position or status; planned and reserved locations, beds and rooms are ignored', () => {
    const stays = wardHistory([
      stay('Med 2', MOVED, 'active'),
      stay('Avd 9', '2026-11-12T09:00:00+01:00', 'planned'),
      { ...stay('Avd 8', '2026-11-12T09:00:00+01:00'), status: 'reserved' as const },
      { ...stay('Säng 3', MOVED, 'active'), physicalType: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/location-physical-type', code: 'bd' }] } },
      { ...stay('Med 4', ADMITTED), physicalType: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/location-physical-type', code: 'wa' }] } },
    ]);
    expect(stays.map((s) => [s.index, s.ward])).toEqual([[4, 'Med 4'], [0, 'Med 2']]);
  });

  it('a single location without a period is the admission ward (as before); the ward may be an identifier value', () => {
    expect(wardHistory([{ location: { display: 'Med 4' }, status: 'active' }])).toEqual([{ index: 0, ward: 'Med 4', start: undefined, identity: 'Med 4' }]);
    expect(wardHistory([{ location: { identifier: { system: 'urn:oid:1.2.752.29.4.5', value: 'MED4' } } }])[0]).toMatchObject({ ward: 'MED4', identity: 'urn:oid:1.2.752.29.4.5|MED4' });
  });

  it('a finished Encounter is its moves and then the discharge from the last ward', () => {
    const finished = events(encounter({ meta: { versionId: '3' }, status: 'finished', period: { start: ADMITTED, end: '2026-11-14T11:00:00+01:00' }, location: [history[0]!, { ...history[1]!, status: 'completed' }] }));
    expect(finished.map((e) => [e.type, e.ward])).toEqual([['transfer', 'Med 2'], ['discharge', 'Med 2']]);
    expect(finished[0]!.eventId).toBe(events(encounter({ location: history }))[1]!.eventId);
  });

  it('refuses a history it cannot read, naming the location', () => {
    expect(refusal(encounter({ location: [history[0]!, { ...history[1]!, period: undefined }, { location: { display: 'Med 5' } }] }))).toMatchObject({
      code: 'UNMAPPABLE_MESSAGE', expression: ['Encounter.location[2].period.start'],
    });
    expect(refusal(encounter({ location: [history[0]!, { location: { reference: 'Location/x' }, period: { start: MOVED } }] }))).toMatchObject({ expression: ['Encounter.location[1].location'] });
    expect(refusal(encounter({ location: [history[0]!, stay('Med 2', 'den elfte')] }))).toMatchObject({ expression: ['Encounter.location[1].period.start'] });
    expect(refusal(encounter({ location: [stay('Med 4', '2026-11-09T08:00:00+01:00'), stay('Med 2', '2026-11-09T20:00:00+01:00')] }))).toMatchObject({
      expression: ['Encounter.location[1].period.start'], message: expect.stringMatching(/before the admission/),
    });
    expect(refusal(encounter({ location: [stay('Avd 9', MOVED, 'planned')] }))).toMatchObject({ expression: ['Encounter.location'] });
  });
});

describe('a transaction Bundle → one all-or-nothing item per Encounter', () => {
  const withPatient = encounter({ subject: { reference: 'Patient/pat-1' }, location: history });

  it('takes the patient from the Patient entry the subject refers to (by id or by fullUrl), and answers each entry', () => {
    const plan = planTransaction(transaction(patient(), withPatient), 'ehr-fhir');
    expect(plan.entries).toEqual([
      { index: 0, resourceType: 'Patient', method: 'PUT', usedBy: [1] },
      { index: 1, resourceType: 'Encounter', method: 'PUT', usedBy: [] },
    ]);
    expect(plan.items).toHaveLength(1);
    expect(plan.items[0]).toMatchObject({ ref: 2, rawFormat: 'json' });
    expect((plan.items[0]!.values as Record<string, unknown>[]).map((e) => [e.type, e.personnummer, e.ward])).toEqual([['admission', '194003071232', 'Med 4'], ['transfer', '194003071232', 'Med 2']]);
    const byUuid = transaction(patient({ id: undefined }), encounter({ subject: { reference: 'urn:uuid:00000000-0000-4000-8000-000000000000' } }));
    byUuid.entry![0]!.request = { method: 'POST', url: 'Patient' };
    expect(planTransaction(byUuid, 'x').items[0]!.error).toBeUndefined();
  });

  it('the dead-letter form of an entry keeps no name, address, birth date or local id', () => {
    const plan = planTransaction(transaction(patient(), encounter({ id: 'enc-2', subject: { reference: 'Patient/pat-1' }, class: { code: 'AMB' } })), 'x');
    const raw = JSON.parse(plan.items[0]!.raw);
    expect(raw.subject).toEqual({ resourceType: 'Patient', id: 'pat-1', identifier: [{ system: 'urn:oid:1.2.752.29.4.3', value: '***' }, { system: SYSTEMS.personnummer, value: '194003071232' }] });
    for (const personal of ['Svensson', 'Storgatan', '1940-03-07', 'LOCAL-77']) expect(plan.items[0]!.raw).not.toContain(personal);
  });

  it('the dead-letter form keeps the Encounter\'s identifier (the vårdtillfälle id) as the pseudonym its events carry, or hidden', () => {
    const ps = new Pseudonymiser('unit-test-pseudonym-key-0123456789', { episodeIssuer: '18' });
    const episode = (id: string) => `episodeKey:${ps.episodeKey(ps.episodeIssuer, id)}`;
    const body = transaction(patient(), encounter({ id: 'enc-2', subject: { reference: 'Patient/pat-1' }, class: { code: 'AMB' } }));
    const [item] = planTransaction(body, 'x', [], episode).items;
    expect(JSON.parse(item!.raw).resource.identifier.map((i: { value: string }) => i.value)).toEqual([episode('E-FHIR-1')]);
    expect(item!.raw).not.toContain('E-FHIR-1');
    // The same key as the events': an accepted Encounter's episodeId is that pseudonym.
    const [admission] = events(encounter());
    expect(parseEventObject(admission, 1, ps).episodeId).toBe(episode('E-FHIR-1').slice('episodeKey:'.length));
    expect(planTransaction(body, 'x').items[0]!.raw).not.toContain('E-FHIR-1');
  });

  it('names the entry and element of what cannot be mapped', () => {
    const plan = planTransaction(transaction(patient(), withPatient, encounter({ id: 'enc-2', class: { code: 'AMB' } })), 'x');
    expect(plan.items.map((i) => [i.ref, i.error?.code])).toEqual([[2, undefined], [3, 'UNMAPPABLE_MESSAGE']]);
    expect(plan.items[1]!.error!.message).toMatch(/^Bundle\.entry\[2\]\.resource\.class: 'AMB' is not inpatient care/);
    expect(plan.expressions.get(3)).toEqual(['Bundle.entry[2].resource.class']);
    const dangling = planTransaction(transaction(encounter({ subject: { reference: 'Patient/nobody' } })), 'x');
    expect(dangling.expressions.get(1)).toEqual(['Bundle.entry[0].resource.subject.reference']);
    const noId = planTransaction(transaction(patient({ identifier: [{ system: 'urn:oid:1.2.752.29.4.3', value: 'LOCAL-77' }] }), withPatient), 'x');
    expect(noId.expressions.get(2)).toEqual(['Bundle.entry[0].resource.identifier']);
  });

  it('a finished Encounter\'s payment-condition extensions reach its discharge; a bad one names the entry\'s extension', () => {
    const finished = (...extension: object[]) => encounter({
      subject: { reference: 'Patient/pat-1' }, status: 'finished', period: { start: ADMITTED, end: '2026-11-14T11:00:00+01:00' },
      extension: [...encounter().extension!, ...extension],
    });
    const good = planTransaction(transaction(patient(), finished({ url: EXTENSIONS.informationTransferredAt, valueDateTime: '2026-11-14T10:30:00+01:00' }, { url: EXTENSIONS.patientDeclinedServices, valueBoolean: false })), 'x');
    expect((good.items[0]!.values as Record<string, unknown>[]).at(-1)).toMatchObject({ type: 'discharge', informationTransferredAt: '2026-11-14T09:30:00.000Z', patientDeclinedServices: false });
    const bad = planTransaction(transaction(patient(), finished({ url: EXTENSIONS.informationTransferredAt, valueDateTime: '2026-11-14' })), 'x');
    expect(bad.expressions.get(2)).toEqual(['Bundle.entry[1].resource.extension[2].valueDateTime']);
    expect(bad.items[0]!.error!.message).toMatch(/^Bundle\.entry\[1\]\.resource\.extension\[2\]\.valueDateTime: expected a date, time and zone/);
  });

  it('a POSTed Encounter without an id is known by its identifier; a PUT without one by its URL', () => {
    const posted = transaction(encounter({ id: undefined }));
    posted.entry![0]!.request = { method: 'POST', url: 'Encounter' };
    expect((planTransaction(posted, 'x').items[0]!.values as { eventId: string }[])[0]!.eventId).toBe('fhir:x:Encounter/E-FHIR-1/_history/1');
    const put = transaction(encounter({ id: undefined }));
    put.entry![0]!.request = { method: 'PUT', url: 'Encounter/enc-9' };
    expect((planTransaction(put, 'x').items[0]!.values as { eventId: string }[])[0]!.eventId).toBe('fhir:x:Encounter/enc-9/_history/1');
  });

  it('refuses what is not a transaction of Encounters and Patients by PUT or POST as a bad request, naming where', () => {
    const bad = (body: unknown) => {
      const e = thrown(() => planTransaction(body, 'x'));
      return { code: e.code, expression: e.details.expression, message: e.message };
    };
    expect(bad(encounter())).toMatchObject({ code: 'INVALID_REQUEST', expression: ['Bundle'] });
    expect(bad({ ...transaction(encounter()), type: 'batch' })).toMatchObject({ expression: ['Bundle.type'], message: expect.stringMatching(/batch is not taken/) });
    expect(bad({ ...transaction(encounter()), type: 'collection' })).toMatchObject({ expression: ['Bundle.type'] });
    expect(bad({ resourceType: 'Bundle', type: 'transaction', entry: [] })).toMatchObject({ expression: ['Bundle.entry'] });
    expect(bad(transaction(encounter(), { resourceType: 'Observation', id: 'o' } as never))).toMatchObject({ expression: ['Bundle.entry[1].resource.resourceType'] });
    const deleted = transaction(encounter());
    deleted.entry![0]!.request = { method: 'DELETE', url: 'Encounter/enc-1' };
    expect(bad(deleted)).toMatchObject({ expression: ['Bundle.entry[0].request.method'] });
    const elsewhere = transaction(encounter());
    elsewhere.entry![0]!.request = { method: 'PUT', url: 'Encounter/enc-2' };
    expect(bad(elsewhere)).toMatchObject({ expression: ['Bundle.entry[0].request.url'] });
  });
});

describe('a reservnummer (the region\'s reservnummer OIDs, as for HL7)', () => {
  const RESERV = 'urn:oid:1.2.752.97.3.1.3';
  // The region's list is the HL7 mapping file's: the default file lists 1.2.752.97.3.1.3.
  const oids = loadAdtMapping().identifiers.reservnummer;
  const pseudonymiser = new Pseudonymiser('unit-test-pseudonym-key');
  const reservPatient = patient({ identifier: [{ system: RESERV, value: 'SE-2026-000123' }], birthDate: '1938-11-10' });
  const enc = encounter({ subject: { reference: 'Patient/pat-1' }, location: history });

  it('becomes reservnummer + reservnummerIssuer on every event, the admission with ageYears from Patient.birthDate, and the contract takes them', () => {
    expect(oids).toContain('1.2.752.97.3.1.3');
    const plan = planTransaction(transaction(reservPatient, enc), 'ehr-fhir', oids);
    const values = plan.items[0]!.values as Record<string, unknown>[];
    expect(values.map((e) => [e.type, e.reservnummer, e.reservnummerIssuer, e.ageYears, e.personnummer])).toEqual([
      // 88 on the day of the admission (the birthday is that day).
      ['admission', 'SE-2026-000123', '1.2.752.97.3.1.3', 88, undefined],
      ['transfer', 'SE-2026-000123', '1.2.752.97.3.1.3', undefined, undefined],
    ]);
    const parsed = values.map((v, i) => parseEventObject(v, i + 1, pseudonymiser));
    expect(new Set(parsed.map((e) => e.patientKey))).toEqual(new Set([pseudonymiser.reservnummerKey('1.2.752.97.3.1.3', 'SE-2026-000123')]));
    expect(parsed[0]!.data).toMatchObject({ ageYears: 88 });
  });

  it('a personnummer beside it wins; an OID the region has not listed is no reservnummer', () => {
    const both = patient({ identifier: [{ system: RESERV, value: 'SE-2026-000123' }, { system: SYSTEMS.personnummer, value: '194003071232' }] });
    const [admission] = planTransaction(transaction(both, enc), 'x', oids).items[0]!.values as Record<string, unknown>[];
    expect(admission).toMatchObject({ personnummer: '194003071232' });
    expect(Object.keys(admission!).filter((k) => k.startsWith('reserv') || k === 'ageYears')).toEqual([]);
    const elsewhere = planTransaction(transaction(reservPatient, enc), 'x', ['1.2.752.99.1']);
    expect(elsewhere.expressions.get(2)).toEqual(['Bundle.entry[0].resource.identifier']);
    expect(elsewhere.items[0]!.error!.message).toMatch(/reservnummer \(urn:oid:1\.2\.752\.99\.1\)/);
    // The logical reference works too, with the listed OIDs.
    expect(mapEncounter(encounter({ subject: { identifier: { system: 'urn:oid:1.2.752.99.1', value: 'R1' } }, status: 'finished', period: { start: ADMITTED, end: '2026-11-14T11:00:00+01:00' } }), 'x', { reservnummerOids: ['1.2.752.99.1'] }))
      .toMatchObject({ ok: true, events: [{ type: 'discharge', reservnummer: 'R1', reservnummerIssuer: '1.2.752.99.1' }] });
  });

  it('an admission without a usable birth date is refused, naming the element', () => {
    const expressionOf = (p: ReturnType<typeof patient>) => planTransaction(transaction(p, enc), 'x', oids).expressions.get(2);
    expect(expressionOf(patient({ identifier: reservPatient.identifier, birthDate: undefined }))).toEqual(['Bundle.entry[0].resource.birthDate']);
    expect(expressionOf(patient({ identifier: reservPatient.identifier, birthDate: '1938' }))).toEqual(['Bundle.entry[0].resource.birthDate']);
    expect(expressionOf(patient({ identifier: reservPatient.identifier, birthDate: '2026-12-01' }))).toEqual(['Bundle.entry[0].resource.birthDate']);
    // A discharge needs no age.
    const finished = encounter({ subject: { reference: 'Patient/pat-1' }, status: 'finished', period: { start: ADMITTED, end: '2026-11-14T11:00:00+01:00' } });
    expect(planTransaction(transaction(patient({ identifier: reservPatient.identifier, birthDate: undefined }), finished), 'x', oids).items[0]!.error).toBeUndefined();
  });

  it('the dead-letter form keeps no reservnummer', () => {
    const plan = planTransaction(transaction(reservPatient, encounter({ subject: { reference: 'Patient/pat-1', identifier: { system: RESERV, value: 'SE-2026-000123' } }, class: { code: 'AMB' } })), 'x', oids);
    expect(plan.items[0]!.raw).not.toContain('SE-2026-000123');
    expect(JSON.parse(plan.items[0]!.raw).resource.subject.identifier).toEqual({ system: RESERV, value: '***' });
  });
});
