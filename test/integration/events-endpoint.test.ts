import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { topics } from '../../services/core/config.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../services/api/auth.ts';
import { Pseudonymiser } from '../../services/contract/pseudonymise.ts';
import { configOf, episodeKeyOf, isolatedEnv, API_SECRET, PSEUDONYM_KEY, waitFor } from '../support/env.ts';
import { stateKeyOf } from '../support/clock-redis.ts';
import { PipelineProcess } from '../support/processes.ts';
import { readSourceTopics } from '../support/source-topics.ts';
import { encounter } from '../support/fhir-encounters.ts';

// Fixed times (autumn 2026, after the DST switch): nothing here depends on today's date.
const PNR = '19400307-1232';
const KEY = new Pseudonymiser(PSEUDONYM_KEY).patientKey('194003071232');
const SPELLINGS = ['194003071232', '19400307-1232', '4003071232', '400307-1232'];
// The episodes as utklar keys them: the producer edge replaces the source's ids by their pseudonyms.
const EP_HTTP = episodeKeyOf('E-HTTP-1');
const EP_FHIR = episodeKeyOf('E-FHIR-1');

const admission = {
  type: 'admission', eventId: 'ehr-http-1', occurredAt: '2026-11-02T08:15:00+01:00', source: 'lifecare', personnummer: PNR,
  episodeId: 'E-HTTP-1', region: '18', hospital: 'USO', clinic: 'Medicinkliniken', ward: 'Med 2', businessArea: 'Medicin',
  careType: 'SOMATIC', admissionType: 'ACUTE', homeMunicipality: '1880',
};
const notice = { type: 'admission-notice', eventId: 'lc-http-2', occurredAt: '2026-11-02T14:00:00+01:00', source: 'lifecare', personnummer: PNR, episodeId: 'E-HTTP-1', recipientMunicipality: '1880' };
const ready = {
  type: 'ready-for-discharge', eventId: 'lc-http-3', occurredAt: '2026-11-04T10:30:00+01:00', source: 'lifecare', personnummer: PNR, episodeId: 'E-HTTP-1',
  recipientMunicipality: '1880', trackColour: 'GREEN', fastVardkontaktAppointed: true, sipNeeded: false,
};
// Invalid: a kommunkod that does not exist. Its personnummer must not reach the dead letter.
const badMunicipality = { ...notice, eventId: 'lc-http-bad', recipientMunicipality: '9999' };
const otherSource = { ...notice, eventId: 'ehr-http-other', source: 'ehr-cosmic' };

describe('POST /api/v1/events: a source system sends events without the CLI', () => {
  const env = isolatedEnv('server', { UTKLAR_EVICT_EVERY_MS: '0' });
  const config = configOf(env);
  const redis = new Redis(config.redisUrl);
  let pipeline: PipelineProcess;
  const token = (scope: Parameters<typeof mintToken>[0]) => mintToken(scope, API_SECRET, { subject: 'test', ttlSeconds: 3600 });
  const lifecare = token({ kind: 'source', source: 'lifecare' });
  const post = (body: string, auth = lifecare) =>
    fetch(`${pipeline.url}/api/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/x-ndjson' }, body });
  let highWater = 0;
  let first: { status: number; body: { received: number; accepted: number; rejected: number; results: Record<string, unknown>[] } };

  beforeAll(async () => {
    pipeline = new PipelineProcess(env);
    await pipeline.healthy();
    const r = await post([admission, notice, badMunicipality, otherSource].map((e) => JSON.stringify(e)).join('\n') + `\n{"type":"admission", "personnummer":"${PNR}"` + '\n');
    // Asked the moment the answer arrived: Kafka already has both events (and the commit marker).
    const admin = new Kafka({ clientId: 'events-test', brokers: config.kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    highWater = (await admin.fetchTopicOffsets(topics(config.namespace).patientEvents)).reduce((n, p) => n + Number(p.high), 0);
    await admin.disconnect();
    first = { status: r.status, body: await r.json() as never };
  });

  afterAll(async () => {
    await pipeline?.stop();
    redis.disconnect();
  });

  it('answers each NDJSON line: valid ones accepted, invalid and malformed ones rejected with the reason', () => {
    expect(first.status).toBe(200);
    expect(highWater).toBeGreaterThanOrEqual(3);
    expect(first.body).toMatchObject({ received: 5, accepted: 2, rejected: 3 });
    expect(first.body.results).toEqual([
      { line: 1, status: 'accepted', eventId: 'ehr-http-1' },
      { line: 2, status: 'accepted', eventId: 'lc-http-2' },
      { line: 3, status: 'rejected', code: 'INVALID_EVENT', message: expect.stringMatching(/recipientMunicipality: expected a kommunkod/) },
      { line: 4, status: 'rejected', code: 'FORBIDDEN', message: expect.stringMatching(/only send events of source 'lifecare'/) },
      { line: 5, status: 'rejected', code: 'INVALID_JSON', message: 'line 5: not valid JSON' },
    ]);
  });

  it('puts the accepted events on the events topic, pseudonymised, and the rejected ones on the dead-letter topic, scrubbed', async () => {
    const { events, dead, rawEvents } = await readSourceTopics(config, (ev, dl) => ev.length >= 2 && dl.length >= 3);
    expect(events.map((e) => [e.eventId, e.type, e.patientKey, e.episodeId])).toEqual([
      ['ehr-http-1', 'admission', KEY, EP_HTTP],
      ['lc-http-2', 'admission-notice', KEY, EP_HTTP],
    ]);
    expect(dead).toHaveLength(3);
    expect(dead.map((d) => [d.headers['dlq-code'], d.headers['dlq-consumer'], d.headers['dlq-source-topic'], d.entry.ref])).toEqual([
      ['INVALID_EVENT', 'api-events', 'http:/api/v1/events', 3],
      ['FORBIDDEN', 'api-events', 'http:/api/v1/events', 4],
      ['INVALID_JSON', 'api-events', 'http:/api/v1/events', 5],
    ]);
    expect(dead[0]!.headers['dlq-reason']).toMatch(/recipientMunicipality/);
    // The raw line is kept, with the personnummer replaced by its patientKey and the episode id by its pseudonym.
    expect(JSON.parse(dead[0]!.entry.raw as string)).toEqual({ ...badMunicipality, personnummer: `patientKey:${KEY}`, episodeId: `episodeKey:${EP_HTTP}` });
    expect(dead[2]!.entry.raw).toBe(`{"type":"admission", "personnummer":"patientKey:${KEY}"`);
    const everything = [...dead.map((d) => d.text + JSON.stringify(d.headers)), ...rawEvents.map((m) => m.value!.toString('latin1'))].join('\n');
    for (const pnr of SPELLINGS) expect(everything.includes(pnr), `${pnr} on a topic`).toBe(false);
    expect(everything.includes('E-HTTP-1'), 'the source episode id on a topic').toBe(false);
  });

  it('takes a JSON array too, and the pipeline applies it: the episode is ready on the board', async () => {
    const r = await post(JSON.stringify([ready]));
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ received: 1, accepted: 1, rejected: 0 });
    const board = await waitFor('E-HTTP-1 ready on the board', async () => {
      const b = await (await fetch(`${pipeline.url}/board?region=18`, { headers: { authorization: `Bearer ${token({ kind: 'region', region: '18' })}` } })).json() as { episodes: { episodeId: string; status: string; trackColour: string }[] };
      return b.episodes.find((e) => e.episodeId === EP_HTTP && e.status === 'READY');
    });
    expect(board.trackColour).toBe('GREEN');
  });

  it('a resent request changes nothing downstream (the eventIds are the idempotency keys)', async () => {
    const key = await stateKeyOf(redis, config.namespace, EP_HTTP);
    await waitFor('three events applied', async () => ((await redis.hlen(`${key}:events`)) === 3 ? true : undefined));
    const before = await redis.hget(key, 'state');
    const again = await post([admission, notice].map((e) => JSON.stringify(e)).join('\n'));
    expect(await again.json()).toMatchObject({ accepted: 2 });
    // Both copies are on the topic; the clock folds each eventId once.
    await readSourceTopics(config, (ev) => ev.length >= 5);
    // (The clock re-applies a resent event, folding to the same state.)
    await waitFor('the resent events applied', async () => (Number(await redis.hget(key, 'version')) >= 5 ? true : undefined));
    expect(await redis.hlen(`${key}:events`)).toBe(3);
    expect(await redis.hget(key, 'state')).toBe(before);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await pipeline.status()).clickhouse.eventsByType).toEqual({ admission: 1, 'admission-notice': 1, 'ready-for-discharge': 1 });
  });

  it('needs a source token: none is 401, a reading token 403, and a source token cannot read', async () => {
    const none = await fetch(`${pipeline.url}/api/v1/events`, { method: 'POST', body: JSON.stringify(ready) });
    expect(none.status).toBe(401);
    const reader = await post(JSON.stringify(ready), token({ kind: 'region', region: '18' }));
    expect(reader.status).toBe(403);
    expect(await reader.json()).toMatchObject({ error: 'FORBIDDEN', message: expect.stringMatching(/needs a source:<system> token/) });
    const read = await fetch(`${pipeline.url}/api/v1/overview`, { headers: { authorization: `Bearer ${lifecare}` } });
    expect(read.status).toBe(403);
    const get = await fetch(`${pipeline.url}/api/v1/events`, { headers: { authorization: `Bearer ${lifecare}` } });
    expect(get.status).toBe(405);
  });

  describe('POST /api/v1/fhir/Encounter', () => {
    const postFhir = (body: unknown, auth = token({ kind: 'source', source: 'ehr-fhir' })) =>
      fetch(`${pipeline.url}/api/v1/fhir/Encounter`, { method: 'POST', headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) });

    it('admits and discharges through the same path, answering OperationOutcome once Kafka has the event', async () => {
      const admitted = await postFhir(encounter());
      expect(admitted.status).toBe(200);
      expect(admitted.headers.get('content-type')).toMatch(/application\/fhir\+json/);
      expect(await admitted.json()).toEqual({ resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', diagnostics: 'accepted as event fhir:ehr-fhir:Encounter/enc-1/_history/1' }] });
      const finished = encounter({ meta: { versionId: '2' }, status: 'finished', period: { start: '2026-11-10T08:00:00+01:00', end: '2026-11-14T11:00:00+01:00' }, hospitalization: { dischargeDisposition: { coding: [{ code: 'home' }] } } });
      expect((await postFhir(finished)).status).toBe(200);
      // The same version again is the same event.
      expect((await postFhir(encounter())).status).toBe(200);
      const { events } = await readSourceTopics(config, (ev) => ev.filter((e) => e.episodeId === EP_FHIR).length >= 3);
      expect(events.filter((e) => e.episodeId === EP_FHIR).map((e) => [e.type, e.eventId, e.patientKey, e.occurredAt])).toEqual([
        ['admission', 'fhir:ehr-fhir:Encounter/enc-1/_history/1', KEY, Date.parse('2026-11-10T07:00:00Z')],
        ['discharge', 'fhir:ehr-fhir:Encounter/enc-1/_history/2', KEY, Date.parse('2026-11-14T10:00:00Z')],
        ['admission', 'fhir:ehr-fhir:Encounter/enc-1/_history/1', KEY, Date.parse('2026-11-10T07:00:00Z')],
      ]);
      const key = await stateKeyOf(redis, config.namespace, EP_FHIR);
      await waitFor('E-FHIR-1 discharged', async () => (JSON.parse((await redis.hget(key, 'state')) ?? 'null')?.state.status === 'DISCHARGED' ? true : undefined));
      expect(await redis.hlen(`${key}:events`)).toBe(2);
    });

    it('refuses an Encounter it cannot map with 422 and the element, dead-lettered without the name; no Encounter is 400; a reading token 403', async () => {
      const reserv = await postFhir(encounter({ id: 'enc-2', subject: { identifier: { system: 'urn:oid:1.2.752.97.3.1.3', value: '991234567' }, display: 'Anna Andersson' } }));
      expect(reserv.status).toBe(422);
      // A reservnummer has no birth date in it: an admission needs the Patient's (a transaction Bundle, test/integration/fhir-bundle.test.ts).
      expect(await reserv.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'business-rule', expression: ['Encounter.subject'], diagnostics: expect.stringMatching(/birth date/) }] });
      const badKommun = await postFhir(encounter({ id: 'enc-3', extension: [{ url: 'https://utklar.se/fhir/StructureDefinition/region', valueString: '18' }, { url: 'https://utklar.se/fhir/StructureDefinition/home-municipality', valueString: '9999' }] }));
      expect(badKommun.status).toBe(422);
      expect(await badKommun.json()).toMatchObject({ issue: [{ code: 'invalid', diagnostics: expect.stringMatching(/homeMunicipality: expected a kommunkod/) }] });
      const notEncounter = await postFhir({ resourceType: 'Patient' });
      expect(notEncounter.status).toBe(400);
      expect((await postFhir(encounter(), token({ kind: 'region', region: '18' }))).status).toBe(403);
      const { dead } = await readSourceTopics(config, (_e, d) => d.filter((x) => x.headers['dlq-consumer'] === 'api-fhir').length >= 2);
      const fhirDead = dead.filter((x) => x.headers['dlq-consumer'] === 'api-fhir');
      expect(fhirDead.map((d) => [d.headers['dlq-code'], d.headers['dlq-source-topic']])).toEqual([['UNMAPPABLE_MESSAGE', 'http:/api/v1/fhir/Encounter'], ['INVALID_EVENT', 'http:/api/v1/fhir/Encounter']]);
      expect(fhirDead.some((d) => d.text.includes('Andersson') || d.text.includes('991234567'))).toBe(false);
      expect(JSON.parse(fhirDead[1]!.entry.raw as string).subject).toEqual({ identifier: { system: 'urn:oid:1.2.752.129.2.1.3.1', value: `patientKey:${KEY}` } });
    });
  });

  it('counts what it received and how it answered in the pipeline\'s /metrics', async () => {
    const metrics = await (await fetch(`${pipeline.url}/metrics`)).text();
    const value = (name: string, labels: string) => Number(new RegExp(`${name}\\{${labels}\\} (\\d+)`).exec(metrics)?.[1]);
    // 5 lines, the array of 1, the resent 2.
    expect(value('utklar_source_messages_received_total', 'channel="http"')).toBe(8);
    expect(value('utklar_source_messages_answered_total', 'channel="http",code="accepted"')).toBe(5);
    expect(value('utklar_source_messages_answered_total', 'channel="http",code="rejected"')).toBe(3);
    expect(value('utklar_source_messages_dead_lettered_total', 'channel="http",code="INVALID_EVENT"')).toBe(1);
  });

  it('logs no personnummer', () => {
    expect(pipeline.output.length).toBeGreaterThan(0);
    for (const pnr of SPELLINGS) expect(pipeline.output.includes(pnr), `${pnr} in the log`).toBe(false);
  });
});
