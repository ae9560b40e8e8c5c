import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../services/api/auth.ts';
import { Pseudonymiser } from '../../services/contract/pseudonymise.ts';
import { topics } from '../../services/core/config.ts';
import { EXTENSIONS } from '../../services/sources/fhir/encounter.ts';
import type { Bundle, OperationOutcome } from '../../services/sources/fhir/fhir-types.ts';
import { stateKeyOf } from '../support/clock-redis.ts';
import { API_SECRET, configOf, episodeKeyOf, isolatedEnv, PSEUDONYM_KEY, waitFor } from '../support/env.ts';
import { encounter, patient, stay, transaction } from '../support/fhir-encounters.ts';
import { PipelineProcess } from '../support/processes.ts';
import { readSourceTopics } from '../support/source-topics.ts';

// Fixed times (autumn 2026, after the DST switch): nothing here depends on today's date.
const KEY = new Pseudonymiser(PSEUDONYM_KEY).patientKey('194003071232');
const SPELLINGS = ['194003071232', '19400307-1232', '4003071232', '400307-1232'];
const ADMITTED = '2026-11-10T08:00:00+01:00';
const MOVED = '2026-11-11T14:30:00+01:00';
// The Encounters' episodes as utklar keys them: the producer edge replaces Encounter.identifier's id by its pseudonym.
const EP1 = episodeKeyOf('E-BUNDLE-1');

/** The EHR's Encounter after one move: admitted to Med 4, on Med 2 since the 11th; the patient only by reference. */
const moved = (id: string, episodeId: string, over: Record<string, unknown> = {}) => encounter({
  id, identifier: [{ system: 'urn:oid:1.2.752.29.4.99', value: episodeId }], meta: { versionId: '2', lastUpdated: '2026-11-11T14:35:00+01:00' },
  subject: { reference: 'Patient/pat-1', display: 'Sven Svensson' },
  location: [stay('Med 4', ADMITTED, 'completed', MOVED), stay('Med 2', MOVED, 'active'), stay('Med 5', '2026-11-20T10:00:00+01:00', 'planned')],
  ...over,
});

describe('POST /api/v1/fhir: a transaction Bundle of Encounters and their Patients', () => {
  const env = isolatedEnv('server', { UTKLAR_EVICT_EVERY_MS: '0' });
  const config = configOf(env);
  const redis = new Redis(config.redisUrl);
  const admin = new Kafka({ clientId: 'fhir-bundle-test', brokers: config.kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
  let pipeline: PipelineProcess;
  const token = (scope: Parameters<typeof mintToken>[0]) => mintToken(scope, API_SECRET, { subject: 'test', ttlSeconds: 3600 });
  const ehr = token({ kind: 'source', source: 'ehr-fhir' });
  const post = async (body: unknown, auth = ehr) => {
    const r = await fetch(`${pipeline.url}/api/v1/fhir`, { method: 'POST', headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) });
    return { status: r.status, contentType: r.headers.get('content-type'), body: await r.json() as Omit<Bundle, 'resourceType'> & Omit<OperationOutcome, 'resourceType'> & { resourceType: string } };
  };
  /** Messages on the events topic, commit markers included: unchanged means no transaction was committed. */
  const highWater = async (topic = topics(config.namespace).patientEvents) => (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  const bundle = transaction(patient(), moved('enc-b1', 'E-BUNDLE-1'));

  beforeAll(async () => {
    pipeline = new PipelineProcess(env);
    await pipeline.healthy();
    await admin.connect();
  });

  afterAll(async () => {
    await admin.disconnect();
    await pipeline?.stop();
    redis.disconnect();
  });

  it('admits and moves the patient: a transaction-response once Kafka has both events, and the pipeline has the patient on the second ward', async () => {
    const r = await post(bundle);
    // Asked the moment the answer arrived: Kafka already has both events and the commit marker.
    expect(await highWater()).toBeGreaterThanOrEqual(3);
    expect(r.status).toBe(200);
    expect(r.contentType).toMatch(/application\/fhir\+json/);
    expect(r.body).toMatchObject({ resourceType: 'Bundle', type: 'transaction-response' });
    expect(r.body.entry!.map((e) => e.response!.status)).toEqual(['200 OK', '200 OK']);
    expect(r.body.entry![0]!.response!.outcome!.issue![0]!.diagnostics).toMatch(/the patient of Bundle\.entry\[1\]; not stored/);
    expect(r.body.entry![1]!.response!.outcome!.issue![0]!.diagnostics).toMatch(/^accepted as events fhir:ehr-fhir:Encounter\/enc-b1\/_history\/2, fhir:ehr-fhir:Encounter\/enc-b1\/location\/2026-11-11T13:30:00\.000Z\/[0-9a-f]{12}$/);

    const { events } = await readSourceTopics(config, (ev) => ev.filter((e) => e.episodeId === EP1).length >= 2);
    expect(events.filter((e) => e.episodeId === EP1).map((e) => [e.type, e.patientKey, e.occurredAt, e.data])).toEqual([
      ['admission', KEY, Date.parse(ADMITTED), expect.objectContaining({ hospital: 'USO', ward: 'Med 4', clinic: 'Medicinkliniken', homeMunicipality: '1880', ageYears: 86 })],
      ['transfer', KEY, Date.parse(MOVED), { hospital: 'USO', clinic: 'Medicinkliniken', ward: 'Med 2', businessArea: 'Medicinkliniken' }],
    ]);

    const key = await stateKeyOf(redis, config.namespace, EP1);
    const ward = async () => (JSON.parse((await redis.hget(key, 'state')) ?? 'null')?.state as { admission: { ward: string } } | undefined)?.admission.ward;
    expect(await waitFor('moved to Med 2', async () => ((await ward()) === 'Med 2' ? 'Med 2' : undefined))).toBe('Med 2');
    const tag = key.slice(0, key.indexOf(':clock:'));
    const inWard = async (w: string) => redis.sismember(`${tag}:clock:open:ward:USO/${w}`, EP1);
    expect([await inWard('Med 4'), await inWard('Med 2'), await inWard('Med 5')]).toEqual([0, 1, 0]);
  });

  it('the same Bundle again (a FHIR source resends the whole Encounter) is the same events and changes no state', async () => {
    const key = await stateKeyOf(redis, config.namespace, EP1);
    const before = { state: await redis.hget(key, 'state'), version: Number(await redis.hget(key, 'version')) };
    const again = await post(bundle);
    expect(again.status).toBe(200);
    const { events } = await readSourceTopics(config, (ev) => ev.filter((e) => e.episodeId === EP1).length >= 4);
    const ids = events.filter((e) => e.episodeId === EP1).map((e) => e.eventId);
    expect(ids.slice(2)).toEqual(ids.slice(0, 2));
    // The clock folds each event id once: the resent pair is applied and folds to the same state.
    await waitFor('the resent events applied', async () => (Number(await redis.hget(key, 'version')) >= before.version + 2 ? true : undefined));
    expect(await redis.hlen(`${key}:events`)).toBe(2);
    expect(await redis.hget(key, 'state')).toBe(before.state);
    await waitFor('ClickHouse has one row per event id', async () => {
      const byType = (await pipeline.status()).clickhouse.eventsByType;
      return byType.admission === 1 && byType.transfer === 1 ? true : undefined;
    });
  });

  it('one entry that cannot be mapped: nothing is sent, 422 names the entry and element, only that entry is dead-lettered, without personal data', async () => {
    const before = await highWater();
    const r = await post(transaction(patient(), moved('enc-b2', 'E-BUNDLE-GOOD'), moved('enc-b3', 'E-BUNDLE-BAD', { class: { code: 'AMB' } })));
    expect(r.status).toBe(422);
    expect(r.body).toEqual({
      resourceType: 'OperationOutcome',
      issue: [{
        severity: 'error', code: 'business-rule', diagnostics: expect.stringMatching(/^Bundle\.entry\[2\]\.resource\.class: 'AMB' is not inpatient care/),
        details: { coding: [{ system: 'https://utklar.se/error-code', code: 'UNMAPPABLE_MESSAGE' }] }, expression: ['Bundle.entry[2].resource.class'],
      }],
    });
    // One that fails the contract (no such kommunkod) is refused the same way.
    const badKommun = moved('enc-b4', 'E-BUNDLE-BAD2', { extension: [{ url: EXTENSIONS.region, valueString: '18' }, { url: EXTENSIONS.homeMunicipality, valueString: '9999' }] });
    const r2 = await post(transaction(patient(), moved('enc-b2', 'E-BUNDLE-GOOD'), badKommun));
    expect(r2.status).toBe(422);
    expect(r2.body.issue).toEqual([expect.objectContaining({ code: 'invalid', expression: ['Bundle.entry[2].resource'], diagnostics: expect.stringMatching(/^Bundle\.entry\[2\] \(admission [^)]+\): homeMunicipality: expected a kommunkod/) })]);
    expect(await highWater()).toBe(before);

    // A later event of the same patient lands in the same partition: once it is read, anything sent before it would have been too.
    const marker = await post(transaction(patient(), moved('enc-b5', 'E-BUNDLE-MARK')));
    expect(marker.status).toBe(200);
    const { events, dead } = await readSourceTopics(config, (ev, dl) => ev.some((e) => e.episodeId === episodeKeyOf('E-BUNDLE-MARK')) && dl.filter((d) => d.headers['dlq-source-topic'] === 'http:/api/v1/fhir').length >= 2);
    const refused = ['E-BUNDLE-GOOD', 'E-BUNDLE-BAD', 'E-BUNDLE-BAD2'].map((id) => episodeKeyOf(id));
    expect(events.filter((e) => refused.includes(e.episodeId))).toEqual([]);
    const bundleDead = dead.filter((d) => d.headers['dlq-source-topic'] === 'http:/api/v1/fhir');
    expect(bundleDead.map((d) => [d.headers['dlq-code'], d.headers['dlq-consumer'], d.entry.ref])).toEqual([['UNMAPPABLE_MESSAGE', 'api-fhir', 3], ['INVALID_EVENT', 'api-fhir', 3]]);
    const raw = JSON.parse(bundleDead[0]!.entry.raw as string);
    expect(raw.resource.id).toBe('enc-b3');
    expect(raw.subject.identifier).toContainEqual({ system: 'urn:oid:1.2.752.129.2.1.3.1', value: `patientKey:${KEY}` });
    const everything = bundleDead.map((d) => d.text + JSON.stringify(d.headers)).join('\n');
    for (const personal of [...SPELLINGS, 'Svensson', 'Storgatan', '1940-03-07', 'LOCAL-77']) expect(everything.includes(personal), `${personal} in a dead letter`).toBe(false);
  });

  it('a patient known only by a reservnummer: admitted with the age from Patient.birthDate, keyed by the reservnummer; without a birth date 422 naming it', async () => {
    const reservPatient = patient({ identifier: [{ system: 'urn:oid:1.2.752.97.3.1.3', value: 'SE-2026-000123' }], birthDate: '1938-11-10' });
    const r = await post(transaction(reservPatient, moved('enc-r1', 'E-BUNDLE-RESERV')));
    expect(r.status).toBe(200);
    const reservKey = new Pseudonymiser(PSEUDONYM_KEY).reservnummerKey('1.2.752.97.3.1.3', 'SE-2026-000123');
    const { events } = await readSourceTopics(config, (ev) => ev.filter((e) => e.episodeId === episodeKeyOf('E-BUNDLE-RESERV')).length >= 2);
    expect(events.filter((e) => e.episodeId === episodeKeyOf('E-BUNDLE-RESERV')).map((e) => [e.type, e.patientKey, (e.data as { ageYears?: number }).ageYears])).toEqual([
      ['admission', reservKey, 88],
      ['transfer', reservKey, undefined],
    ]);
    const noBirth = await post(transaction(patient({ identifier: reservPatient.identifier, birthDate: undefined }), moved('enc-r2', 'E-BUNDLE-RESERV2')));
    expect(noBirth.status).toBe(422);
    expect(noBirth.body.issue).toEqual([expect.objectContaining({ expression: ['Bundle.entry[0].resource.birthDate'], diagnostics: expect.stringMatching(/^Bundle\.entry\[1\]: Bundle\.entry\[0\]\.resource\.birthDate: required for a reservnummer admission/) })]);
    const { dead } = await readSourceTopics(config, (_e, dl) => dl.some((d) => (d.entry.raw as string).includes('enc-r2')));
    expect(dead.find((d) => (d.entry.raw as string).includes('enc-r2'))!.text.includes('SE-2026-000123')).toBe(false);
  });

  it('refuses a batch, and what is no transaction of Encounters and Patients, with 400 and nothing sent or dead-lettered; a reading token 403', async () => {
    const before = [await highWater(), await highWater(topics(config.namespace).deadLetter)];
    const batch = await post({ ...bundle, type: 'batch' });
    expect(batch.status).toBe(400);
    expect(batch.body.issue![0]).toMatchObject({ code: 'invalid', expression: ['Bundle.type'], diagnostics: expect.stringMatching(/batch is not taken/) });
    expect((await post(encounter())).status).toBe(400);
    expect((await post(bundle, token({ kind: 'region', region: '18' }))).status).toBe(403);
    expect([await highWater(), await highWater(topics(config.namespace).deadLetter)]).toEqual(before);
  });

  it('logs no personnummer, reservnummer or name', () => {
    expect(pipeline.output.length).toBeGreaterThan(0);
    for (const personal of [...SPELLINGS, 'SE-2026-000123', 'Svensson']) expect(pipeline.output.includes(personal), `${personal} in the log`).toBe(false);
  });
});
