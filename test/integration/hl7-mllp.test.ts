import net from 'node:net';
import os from 'node:os';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Hl7Message } from '@medplum/core';
import { Hl7Client } from '@medplum/hl7';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { topics } from '../../services/core/config.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../services/api/auth.ts';
import { Pseudonymiser } from '../../services/contract/pseudonymise.ts';
import { API_SECRET, configOf, episodeKeyOf, testPort, isolatedEnv, PSEUDONYM_KEY, waitFor } from '../support/env.ts';
import { stateKeyOf } from '../support/clock-redis.ts';
import { Hl7Process, PipelineProcess, runCli } from '../support/processes.ts';
import { DEFAULT_MAPPING_FILE } from '../../services/sources/hl7/adt-mapping.ts';
import { readSourceTopics, type DeadLetter } from '../support/source-topics.ts';
import { adt, RESERV_OID, SAMORDNING_OID } from '../support/hl7-messages.ts';
import { logEndOffset, stableOffset } from '../support/log-end.ts';
import type { PatientEvent } from '../../services/contract/event.ts';

const KEY = new Pseudonymiser(PSEUDONYM_KEY).patientKey('194003071232');
// 19400307-1232 and the samordningsnummer 19400367-1239 (day 07 + 60), every spelling.
const SPELLINGS = ['194003071232', '19400307-1232', '4003071232', '400307-1232', '194003671239', '4003671239'];
// Local ids under the region's reservnummer OID: one carried, one refused (no PID-7).
const RESERV_IDS = ['991234567', '991234568'];
// The episode of adt()'s default PV1-19 (E-HL7-1) as utklar keys it: the producer edge replaces the visit number by its pseudonym.
const EP1 = episodeKeyOf('E-HL7-1');

const msa = (ack: Hl7Message) => ({ code: ack.getSegment('MSA')?.getField(1)?.toString(), ref: ack.getSegment('MSA')?.getField(2)?.toString(), text: ack.getSegment('MSA')?.getField(3)?.toString() ?? '' });
const frame = (text: string) => Buffer.concat([Buffer.from([0x0b]), Buffer.from(text, 'utf8'), Buffer.from([0x1c, 0x0d])]);

describe('utklar hl7: ADT over MLLP into the event contract', () => {
  const env = isolatedEnv('server', { UTKLAR_EVICT_EVERY_MS: '0' });
  const config = configOf(env);
  const redis = new Redis(config.redisUrl);
  const port = testPort();
  let pipeline: PipelineProcess;
  let hl7: Hl7Process;
  let client: Hl7Client;
  const kafka = new Kafka({ clientId: 'hl7-test', brokers: config.kafkaBrokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const send = async (text: string) => msa(await client.sendAndWait(Hl7Message.parse(text), { timeoutMs: 20_000 }));
  const eventsOf = async (until: (e: PatientEvent[], d: DeadLetter[]) => boolean) => readSourceTopics(config, until);

  beforeAll(async () => {
    pipeline = new PipelineProcess(env);
    hl7 = new Hl7Process(env, port, port + 1);
    await Promise.all([pipeline.healthy(), hl7.ready()]);
    client = new Hl7Client({ host: '127.0.0.1', port });
    await admin.connect();
  });

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await admin.disconnect();
    await hl7?.stop();
    await pipeline?.stop();
    redis.disconnect();
  });

  it('A01 → AA once the admission is on Kafka, and the pipeline admits the episode', async () => {
    const ack = await send(adt({ trigger: 'A01', controlId: 'MSG-A01' }));
    // Asked the moment the AA arrived: the log already holds the event (its log end, read
    // uncommitted). The commit marker follows: the coordinator writes markers after answering the
    // commit, so the last stable offset (admin's read_committed answer) is waited for, not raced.
    const topic = topics(config.namespace).patientEvents;
    expect(ack).toMatchObject({ code: 'AA', ref: 'MSG-A01' });
    expect(await logEndOffset(kafka, topic)).toBeGreaterThanOrEqual(1);
    await waitFor('the commit marker', async () => ((await stableOffset(admin, topic)) >= 2 ? true : undefined), 10_000);
    const { events } = await eventsOf((e) => e.length >= 1);
    expect(events).toEqual([expect.objectContaining({
      type: 'admission', eventId: 'hl7:COSMIC:USO:MSG-A01', occurredAt: Date.parse('2026-11-02T07:15:00Z'), source: 'ehr-hl7', patientKey: KEY, episodeId: EP1,
      data: { region: '18', hospital: 'USO', clinic: 'Medicinkliniken', ward: 'Med 2', businessArea: 'Medicinkliniken', careType: 'SOMATIC', admissionType: 'ACUTE', homeMunicipality: '1880', ageYears: 86, primaryCareUnit: 'VC Kumla' },
    })]);
    const regionToken = mintToken({ kind: 'region', region: '18' }, API_SECRET, { subject: 'test', ttlSeconds: 3600 });
    await waitFor('E-HL7-1 admitted on the board', async () => {
      const b = await (await fetch(`${pipeline.url}/board?region=18`, { headers: { authorization: `Bearer ${regionToken}` } })).json() as { episodes: { episodeId: string; status: string; ward: string }[] };
      return b.episodes.find((e) => e.episodeId === EP1 && e.status === 'ADMITTED' && e.ward === 'Med 2');
    });
  });

  it('the same message again (same MSH-10) is AA and changes nothing', async () => {
    const key = await stateKeyOf(redis, config.namespace, EP1);
    const before = await redis.hget(key, 'state');
    expect(await send(adt({ trigger: 'A01', controlId: 'MSG-A01' }))).toMatchObject({ code: 'AA', ref: 'MSG-A01' });
    const { events } = await eventsOf((e) => e.length >= 2);
    expect(new Set(events.map((e) => e.eventId))).toEqual(new Set(['hl7:COSMIC:USO:MSG-A01']));
    await waitFor('the resent admission applied', async () => (Number(await redis.hget(key, 'version')) >= 2 ? true : undefined));
    expect(await redis.hlen(`${key}:events`)).toBe(1);
    expect(await redis.hget(key, 'state')).toBe(before);
  });

  it('A08 corrects the admission (ward), A03 discharges, A13 undoes the discharge, A11 cancels', async () => {
    expect(await send(adt({ trigger: 'A08', controlId: 'MSG-A08', recorded: '202611021000+0100', ward: 'Med 3' }))).toMatchObject({ code: 'AA' });
    expect(await send(adt({ trigger: 'A03', controlId: 'MSG-A03', recorded: '202611061105+0100', discharged: '202611061100+0100', dischargeDisposition: '06', extra: ['ZSU|202611061030+0100|Y'] }))).toMatchObject({ code: 'AA' });
    const key = await stateKeyOf(redis, config.namespace, EP1);
    const state = async () => JSON.parse((await redis.hget(key, 'state')) ?? 'null')?.state as { status: string; admission: { ward: string }; discharge: { destination: string } | null; admittedAt: number };
    const discharged = await waitFor('discharged', async () => ((await state())?.status === 'DISCHARGED' ? state() : undefined));
    expect(discharged.admission.ward).toBe('Med 3');
    expect(discharged.admittedAt).toBe(Date.parse('2026-11-02T07:15:00Z'));
    expect(discharged.discharge?.destination).toBe('HOME_WITH_MUNICIPAL_CARE');
    expect(await send(adt({ trigger: 'A13', controlId: 'MSG-A13', recorded: '202611061200+0100' }))).toMatchObject({ code: 'AA' });
    await waitFor('inpatient again', async () => ((await state())?.status === 'ADMITTED' ? true : undefined));
    expect(await send(adt({ trigger: 'A11', controlId: 'MSG-A11', recorded: '202611061300+0100' }))).toMatchObject({ code: 'AA' });
    await waitFor('cancelled', async () => ((await state())?.status === 'CANCELLED' ? true : undefined));
    const { events } = await eventsOf((e) => e.length >= 6);
    expect(events.slice(2).map((e) => [e.type, e.eventId])).toEqual([
      ['admission', 'hl7:COSMIC:USO:MSG-A08'], ['discharge', 'hl7:COSMIC:USO:MSG-A03'], ['discharge-cancelled', 'hl7:COSMIC:USO:MSG-A13'], ['admission-cancelled', 'hl7:COSMIC:USO:MSG-A11'],
    ]);
    // The payment conditions from the shipped mapping's ZSU segment, through Avro.
    expect(events.find((e) => e.eventId === 'hl7:COSMIC:USO:MSG-A03')!.data).toMatchObject({ informationTransferredAt: Date.parse('2026-11-06T09:30:00Z'), patientDeclinedServices: true });
  });

  it('a samordningsnummer is carried like a personnummer', async () => {
    const ack = await send(adt({ trigger: 'A01', controlId: 'MSG-SAM', episodeId: 'E-HL7-SAM', pid3: `194003671239^^^&${SAMORDNING_OID}&ISO` }));
    expect(ack).toMatchObject({ code: 'AA' });
    const { events } = await eventsOf((e) => e.some((x) => x.eventId === 'hl7:COSMIC:USO:MSG-SAM'));
    expect(events.find((x) => x.eventId === 'hl7:COSMIC:USO:MSG-SAM')!.patientKey).toBe(new Pseudonymiser(PSEUDONYM_KEY).patientKey('194003671239'));
  });

  it('a reservnummer A01 is carried under its own key, with the age from PID-7, and the pipeline admits the episode', async () => {
    const ack = await send(adt({ trigger: 'A01', controlId: 'MSG-RES', episodeId: 'E-HL7-RES', pid3: `${RESERV_IDS[0]}^^^&${RESERV_OID}&ISO`, ward: 'Med 5' }));
    expect(ack).toMatchObject({ code: 'AA', ref: 'MSG-RES' });
    const resKey = new Pseudonymiser(PSEUDONYM_KEY).reservnummerKey(RESERV_OID, RESERV_IDS[0]!);
    expect(resKey).not.toBe(KEY);
    const { events, rawEvents } = await eventsOf((e) => e.some((x) => x.eventId === 'hl7:COSMIC:USO:MSG-RES'));
    expect(events.find((x) => x.eventId === 'hl7:COSMIC:USO:MSG-RES')).toEqual(expect.objectContaining({
      type: 'admission', occurredAt: Date.parse('2026-11-02T07:15:00Z'), source: 'ehr-hl7', patientKey: resKey, episodeId: episodeKeyOf('E-HL7-RES'),
      // PID-7 19400307, admitted 2 November 2026.
      data: expect.objectContaining({ ward: 'Med 5', homeMunicipality: '1880', ageYears: 86 }),
    }));
    // Nothing past the edge holds the local id: not the Avro value, not the key.
    for (const m of rawEvents) expect([m.value!.toString('latin1'), m.key?.toString('latin1') ?? ''].some((t) => t.includes(RESERV_IDS[0]!))).toBe(false);
    const key = await stateKeyOf(redis, config.namespace, episodeKeyOf('E-HL7-RES'));
    const stored = await waitFor('E-HL7-RES admitted in the clock', async () => {
      const st = JSON.parse((await redis.hget(key, 'state')) ?? 'null')?.state as { status: string; patientKey: string; admission: { ward: string; ageYears: number } } | undefined;
      return st?.status === 'ADMITTED' ? st : undefined;
    });
    expect(stored).toMatchObject({ patientKey: resKey, admission: { ward: 'Med 5', ageYears: 86 } });
    const regionToken = mintToken({ kind: 'region', region: '18' }, API_SECRET, { subject: 'test', ttlSeconds: 3600 });
    await waitFor('E-HL7-RES admitted on the board', async () => {
      const b = await (await fetch(`${pipeline.url}/board?region=18`, { headers: { authorization: `Bearer ${regionToken}` } })).json() as { episodes: { episodeId: string; status: string; ward: string }[] };
      return b.episodes.find((e) => e.episodeId === episodeKeyOf('E-HL7-RES') && e.status === 'ADMITTED' && e.ward === 'Med 5');
    });
  });

  it('A02 moves the patient: the stored state and the open-ward index follow to the new ward', async () => {
    expect(await send(adt({ trigger: 'A01', controlId: 'MSG-MOVE-1', episodeId: 'E-HL7-MOVE', ward: 'Med 2' }))).toMatchObject({ code: 'AA' });
    expect(await send(adt({ trigger: 'A02', controlId: 'MSG-MOVE-2', episodeId: 'E-HL7-MOVE', recorded: '202611031000+0100', ward: 'Med 4' }))).toMatchObject({ code: 'AA' });
    const key = await stateKeyOf(redis, config.namespace, episodeKeyOf('E-HL7-MOVE'));
    const ward = async () => (JSON.parse((await redis.hget(key, 'state')) ?? 'null')?.state as { admission: { ward: string } } | undefined)?.admission.ward;
    expect(await waitFor('moved to Med 4', async () => ((await ward()) === 'Med 4' ? 'Med 4' : undefined))).toBe('Med 4');
    const tag = key.slice(0, key.indexOf(':clock:'));
    const inWard = async (w: string) => redis.sismember(`${tag}:clock:open:ward:USO/${w}`, episodeKeyOf('E-HL7-MOVE'));
    expect([await inWard('Med 2'), await inWard('Med 4')]).toEqual([0, 1]);
    const { events } = await eventsOf((e) => e.some((x) => x.eventId === 'hl7:COSMIC:USO:MSG-MOVE-2'));
    expect(events.find((x) => x.eventId === 'hl7:COSMIC:USO:MSG-MOVE-2')).toMatchObject({ type: 'transfer', occurredAt: Date.parse('2026-11-03T09:00:00Z'), data: { hospital: 'USO', ward: 'Med 4' } });
  });

  it('answers AE with the reason and dead-letters the raw message without personal data: an unmapped trigger, a reservnummer admission without PID-7, an unknown code', async () => {
    const a05 = await send(adt({ trigger: 'A05', controlId: 'MSG-A05', extra: ['NK1|1|Svensson^Anna|SPO|Storgatan 1^^Örebro|019-654321'] }));
    expect(a05).toMatchObject({ code: 'AE', ref: 'MSG-A05' });
    expect(a05.text).toMatch(/A05 is not mapped \(mapped: A01, A02, A03/);
    const reserv = await send(adt({ trigger: 'A01', controlId: 'MSG-RES-NODOB', episodeId: 'E-HL7-RES-NODOB', pid3: `${RESERV_IDS[1]}^^^&${RESERV_OID}&ISO`, birthDate: '' }));
    expect(reserv).toMatchObject({ code: 'AE', ref: 'MSG-RES-NODOB' });
    expect(reserv.text).toMatch(/PID-7 \(date of birth\) is empty/);
    const code = await send(adt({ trigger: 'A01', controlId: 'MSG-CODE', episodeId: 'E-HL7-CODE', admissionType: 'X' }));
    expect(code).toMatchObject({ code: 'AE' });
    expect(code.text).toMatch(/admissionType: code 'X' in PV1-4.1 is not in the mapping's codes/);
    const { dead, events } = await eventsOf((_e, d) => d.length >= 3);
    expect(events.some((e) => ['E-HL7-RES-NODOB', 'E-HL7-CODE'].map((id) => episodeKeyOf(id)).includes(e.episodeId) || e.eventId.endsWith('MSG-A05'))).toBe(false);
    expect(dead.map((d) => [d.headers['dlq-code'], d.headers['dlq-consumer'], d.headers['dlq-source-topic'], d.entry.rawFormat])).toEqual([
      ['UNMAPPABLE_MESSAGE', 'hl7-listener', `mllp:${port}`, 'hl7v2'],
      ['UNMAPPABLE_MESSAGE', 'hl7-listener', `mllp:${port}`, 'hl7v2'],
      ['UNMAPPABLE_MESSAGE', 'hl7-listener', `mllp:${port}`, 'hl7v2'],
    ]);
    expect(dead[0]!.headers['dlq-reason']).toMatch(/ADT\^A05 is not mapped/);
    const raw = dead[0]!.entry.raw as string;
    // Structure, MSH, PV1 and the identity's pseudonym are kept; name, address, phone, next of kin are not.
    expect(raw.split('\r').map((s) => s.slice(0, 3))).toEqual(['MSH', 'EVN', 'PID', 'PD1', 'PV1', 'NK1']);
    expect(raw).toContain('|ADT^A05^ADT_A01|MSG-A05|');
    expect(raw).toContain(`PID|1||patientKey:${KEY}^^^&1.2.752.129.2.1.3.1&ISO^PN||***||***|***|||***^^***^^***^***^***^^1880||***`);
    expect(raw).toContain('NK1|***|***|***|***|***');
    for (const s of ['Svensson', 'Storgatan', '019-', 'Anna']) expect(raw.includes(s), s).toBe(false);
    // The visit number (PV1-19) is kept as the episode's pseudonym, never as the source sent it.
    expect(raw).toContain(`|episodeKey:${EP1}|`);
    expect(dead[2]!.entry.raw as string).toContain(`|episodeKey:${episodeKeyOf('E-HL7-CODE')}|`);
    for (const d of dead) expect(d.text.includes('E-HL7-'), `a source episode id in ${d.headers['dlq-reason']}`).toBe(false);
    expect(dead[1]!.headers['dlq-reason']).toMatch(/PID-7 \(date of birth\) is empty/);
    expect(dead[1]!.entry.raw as string).toContain(`PID|1||***^^^&${RESERV_OID}&ISO||`);
    expect(dead[1]!.text.includes(RESERV_IDS[1]!)).toBe(false);
  });

  it('answers AR for a malformed message (no MSH-10, not ADT, not HL7 at all) and dead-letters it', async () => {
    // A message without a control id cannot be awaited by id (Hl7Client refuses it): sent raw.
    const raw = async (bytes: Buffer) => new Promise<string>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => s.write(bytes));
      let got = '';
      s.on('data', (d) => {
        got += d.toString('utf8');
        if (got.includes('\x1c\r')) {
          s.destroy();
          resolve(got.slice(1, got.indexOf('\x1c')));
        }
      });
      s.on('error', reject);
    });
    const noIdAck = Hl7Message.parse(await raw(frame(adt({ trigger: 'A01', controlId: 'X' }).replace('|X|P|2.5', '||P|2.5'))));
    expect(msa(noIdAck)).toMatchObject({ code: 'AR', text: expect.stringMatching(/MSH-10/) });
    expect(await send(adt({ trigger: 'R01', controlId: 'MSG-ORU', messageType: 'ORU^R01^ORU_R01' }))).toMatchObject({ code: 'AR', text: expect.stringMatching(/not an ADT message/) });
    const garbage = Hl7Message.parse(await raw(frame('hello, this is no HL7')));
    expect(msa(garbage)).toMatchObject({ code: 'AR', ref: '', text: expect.stringMatching(/must start with MSH/) });
    const { dead } = await eventsOf((_e, d) => d.filter((x) => x.headers['dlq-code'] === 'MALFORMED_MESSAGE').length >= 3);
    const malformed = dead.filter((x) => x.headers['dlq-code'] === 'MALFORMED_MESSAGE');
    expect(malformed.map((d) => d.headers['dlq-reason'])).toEqual([
      expect.stringMatching(/MSH-10/), expect.stringMatching(/ORU\^R01 is not an ADT message/), expect.stringMatching(/must start with MSH/),
    ]);
  });

  it('a connection dropped mid-message loses nothing acknowledged and stores nothing half-sent', async () => {
    // Acknowledged, then the connection dies in the middle of the next frame.
    expect(await send(adt({ trigger: 'A01', controlId: 'MSG-DROP-1', episodeId: 'E-HL7-DROP' }))).toMatchObject({ code: 'AA' });
    const half = frame(adt({ trigger: 'A03', controlId: 'MSG-DROP-2', episodeId: 'E-HL7-DROP', discharged: '202611061100+0100' }));
    await new Promise<void>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => s.write(half.subarray(0, 120), () => {
        s.destroy();
        resolve();
      }));
      s.on('error', reject);
    });
    // A full frame whose ACK the sender never reads: stored, and the resend is the same event.
    await new Promise<void>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => s.write(half, () => setTimeout(() => {
        s.destroy();
        resolve();
      }, 50)));
      s.on('error', reject);
    });
    const fresh = new Hl7Client({ host: '127.0.0.1', port });
    try {
      expect(msa(await fresh.sendAndWait(Hl7Message.parse(adt({ trigger: 'A03', controlId: 'MSG-DROP-2', episodeId: 'E-HL7-DROP', discharged: '202611061100+0100' })), { timeoutMs: 20_000 }))).toMatchObject({ code: 'AA' });
    } finally {
      await fresh.close();
    }
    const { events } = await eventsOf((e) => e.filter((x) => x.episodeId === episodeKeyOf('E-HL7-DROP')).length >= 3);
    const drop = events.filter((x) => x.episodeId === episodeKeyOf('E-HL7-DROP'));
    expect(drop.map((e) => e.eventId)).toEqual(['hl7:COSMIC:USO:MSG-DROP-1', 'hl7:COSMIC:USO:MSG-DROP-2', 'hl7:COSMIC:USO:MSG-DROP-2']);
    const key = await stateKeyOf(redis, config.namespace, episodeKeyOf('E-HL7-DROP'));
    await waitFor('E-HL7-DROP discharged once', async () => (JSON.parse((await redis.hget(key, 'state')) ?? 'null')?.state.status === 'DISCHARGED' ? true : undefined));
    expect(await redis.hlen(`${key}:events`)).toBe(2);
  });

  it('refuses to start with a mapping file it cannot use, naming each problem', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'utklar-hl7-')), 'region.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(DEFAULT_MAPPING_FILE, 'utf8')), typo: true, fields: { ...JSON.parse(readFileSync(DEFAULT_MAPPING_FILE, 'utf8')).fields, ward: { from: ['PV1.3'] } } }));
    const r = await runCli(['hl7', '--port', '0', '--metrics-port', '0', '--mapping', file], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`utklar: CONFIG: HL7 mapping ${file}: `);
    expect(r.stderr).toContain('$.typo: unknown key');
    expect(r.stderr).toContain('$.fields.ward.from[0]: expected a location');
  });

  it('counts messages by ACK code in /metrics, and logs no personnummer', async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${port + 1}/metrics`)).text();
    const count = (code: string) => Number(new RegExp(`utklar_source_messages_answered_total\\{channel="hl7",code="${code}"\\} (\\d+)`).exec(metrics)?.[1]);
    // AA: A01, its resend, A08, A03, A13, A11, the samordningsnummer, the reservnummer, the move test's A01 and A02, and the drop test's A01, A03 and A03 again.
    expect([count('AA'), count('AE'), count('AR')]).toEqual([13, 3, 3]);
    for (const pnr of [...SPELLINGS, ...RESERV_IDS]) {
      expect(hl7.output.includes(pnr), `${pnr} in the hl7 log`).toBe(false);
      expect(pipeline.output.includes(pnr), `${pnr} in the pipeline log`).toBe(false);
    }
  });

  // Last: it takes the events topic away. Kafka (auto-create off) then refuses the event.
  it('answers AR when Kafka cannot take the event, stores and dead-letters nothing, and takes the resent message once Kafka can', async () => {
    const topic = topics(config.namespace).patientEvents;
    const partitions = (await admin.fetchTopicOffsets(topic)).length;
    await admin.deleteTopics({ topics: [topic] });
    await waitFor('the events topic gone', async () => (!(await admin.listTopics()).includes(topic) ? true : undefined));
    const message = adt({ trigger: 'A01', controlId: 'MSG-DOWN', episodeId: 'E-HL7-DOWN' });
    const down = msa(await client.sendAndWait(Hl7Message.parse(message), { timeoutMs: 100_000 }));
    expect(down).toMatchObject({ code: 'AR', ref: 'MSG-DOWN', text: expect.stringMatching(/not stored, send again/) });
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }] });
    expect(msa(await client.sendAndWait(Hl7Message.parse(message), { timeoutMs: 100_000 }))).toMatchObject({ code: 'AA', ref: 'MSG-DOWN' });
    const { events, dead } = await eventsOf((e) => e.length >= 1);
    expect(events.map((e) => e.eventId)).toEqual(['hl7:COSMIC:USO:MSG-DOWN']);
    expect(dead.some((d) => JSON.stringify(d.entry).includes('MSG-DOWN'))).toBe(false);
  }, 240_000);

  /** Frames written one after the other on one raw socket; resolves with the text of each ACK frame, in order. */
  const rawAcks = (frames: Buffer[]) => new Promise<string[]>((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(Buffer.concat(frames)));
    let got = Buffer.alloc(0);
    s.on('data', (d) => {
      got = Buffer.concat([got, d]);
      const acks = got.toString('utf8').split('\x1c\r').filter((f) => f.startsWith('\x0b')).map((f) => f.slice(1));
      if (acks.length === frames.length) {
        s.destroy();
        resolve(acks);
      }
    });
    s.on('error', reject);
    s.setTimeout(30_000, () => reject(new Error(`${got.length} bytes of ACKs after 30 s`)));
  });

  it('reads a message by the encoding characters it declares: the v2.7 truncation character, and other separators in MSH-1/MSH-2', async () => {
    const truncation = adt({ trigger: 'A01', controlId: 'MSG-ENC-1', episodeId: 'E-HL7-ENC-1' }).replace('MSH|^~\\&|', 'MSH|^~\\&#|');
    expect(await send(truncation)).toMatchObject({ code: 'AA', ref: 'MSG-ENC-1' });
    // Field #, component *, repetition !, escape $, subcomponent @: '&' is then plain text, and
    // $T$ the declared subcomponent separator.
    const other: Record<string, string> = { '|': '#', '^': '*', '~': '!', '\\': '$', '&': '@' };
    const declared = adt({ trigger: 'A01', controlId: 'MSG-ENC-2', episodeId: 'E-HL7-ENC-2', ward: 'WARD' }).replace(/[|^~\\&]/g, (ch) => other[ch]!).replace('WARD', 'K&M 2$T$3');
    expect(declared.startsWith('MSH#*!$@#COSMIC#USO#')).toBe(true);
    const ack = await client.sendAndWait(Hl7Message.parse(declared), { timeoutMs: 20_000 });
    // Answered in the sender's own separators.
    expect(ack.toString().startsWith('MSH#*!$@#')).toBe(true);
    expect(msa(ack)).toMatchObject({ code: 'AA', ref: 'MSG-ENC-2' });
    const encoded = ['E-HL7-ENC-1', 'E-HL7-ENC-2'].map((id) => episodeKeyOf(id));
    const { events } = await eventsOf((e) => e.filter((x) => encoded.includes(x.episodeId)).length >= 2);
    const admission = { region: '18', hospital: 'USO', clinic: 'Medicinkliniken', businessArea: 'Medicinkliniken', careType: 'SOMATIC', admissionType: 'ACUTE', homeMunicipality: '1880', ageYears: 86, primaryCareUnit: 'VC Kumla' };
    expect(events.filter((x) => encoded.includes(x.episodeId)).map(({ eventId, patientKey, occurredAt, data }) => ({ eventId, patientKey, occurredAt, data }))).toEqual([
      { eventId: 'hl7:COSMIC:USO:MSG-ENC-1', patientKey: KEY, occurredAt: Date.parse('2026-11-02T07:15:00Z'), data: { ...admission, ward: 'Med 2' } },
      { eventId: 'hl7:COSMIC:USO:MSG-ENC-2', patientKey: KEY, occurredAt: Date.parse('2026-11-02T07:15:00Z'), data: { ...admission, ward: 'K&M 2@3' } },
    ]);
  });

  it('answers AR and dead-letters a message whose encoding characters are not usable, and the connection goes on', async () => {
    const good = adt({ trigger: 'A01', controlId: 'MSG-ENC-OK', episodeId: 'E-HL7-ENC-OK' });
    const same = adt({ trigger: 'A01', controlId: 'MSG-ENC-BAD-1', episodeId: 'E-HL7-ENC-BAD' }).replace('MSH|^~\\&|', 'MSH|^^^^|');
    const short = adt({ trigger: 'A01', controlId: 'MSG-ENC-BAD-2', episodeId: 'E-HL7-ENC-BAD' }).replace('MSH|^~\\&|', 'MSH|^~\\|');
    const acks = (await rawAcks([frame(same), frame(short), frame(good)])).map((a) => msa(Hl7Message.parse(a)));
    expect(acks).toEqual([
      // MSA-3 as sent: the declared characters escaped (\F\ is |, \S\ is ^).
      { code: 'AR', ref: 'MSG-ENC-BAD-1', text: expect.stringMatching(/^MSH-1\/MSH-2: encoding characters "\\F\\(\\S\\){4}" are not/) },
      { code: 'AR', ref: 'MSG-ENC-BAD-2', text: expect.stringMatching(/MSH-1\/MSH-2: encoding characters/) },
      { code: 'AA', ref: 'MSG-ENC-OK', text: 'OK' },
    ]);
    const { events, dead } = await eventsOf((e, d) => e.some((x) => x.episodeId === episodeKeyOf('E-HL7-ENC-OK')) && d.filter((x) => /MSG-ENC-BAD/.test(x.text)).length >= 2);
    expect(events.some((x) => x.episodeId === episodeKeyOf('E-HL7-ENC-BAD'))).toBe(false);
    const bad = dead.filter((x) => /MSG-ENC-BAD/.test(x.text));
    expect(bad.map((d) => [d.headers['dlq-code'], d.headers['dlq-reason']])).toEqual([
      ['MALFORMED_MESSAGE', expect.stringMatching(/encoding characters/)], ['MALFORMED_MESSAGE', expect.stringMatching(/encoding characters/)],
    ]);
    // Fields cannot be told apart with such separators: only the MSH line is kept.
    for (const d of bad) expect((d.entry.raw as string).split('\r')).toEqual([expect.stringMatching(/^MSH\|.*\|ADT\^A01\^ADT_A01\|MSG-ENC-BAD-\d\|P\|2\.5/)]);
  });

  it('takes a 1 MB message, its event stored once (AA); one over --max-message-bytes is answered AR, its head dead-lettered, and the connection goes on', async () => {
    // A long tail of free-text OBX segments, as some EHRs attach notes to an ADT message.
    const notes = (n: number) => Array.from({ length: n }, (_, i) => `OBX|${i + 1}|TX|NOTE^Anteckning||${'Patienten mår efter omständigheterna bra. '.repeat(24)}||||||F`);
    const big = adt({ trigger: 'A01', controlId: 'MSG-BIG-1', episodeId: 'E-HL7-BIG', extra: notes(1000) });
    expect(Buffer.byteLength(big)).toBeGreaterThan(1_000_000);
    expect(await send(big)).toMatchObject({ code: 'AA', ref: 'MSG-BIG-1' });
    // 9 MiB: past the default 8 MiB.
    const huge = adt({ trigger: 'A01', controlId: 'MSG-BIG-2', episodeId: 'E-HL7-HUGE', extra: notes(9000) });
    expect(Buffer.byteLength(huge)).toBeGreaterThan(9 * 1024 * 1024);
    const refused = await client.sendAndWait(Hl7Message.parse(huge), { timeoutMs: 60_000 });
    expect(msa(refused)).toMatchObject({ code: 'AR', ref: 'MSG-BIG-2', text: expect.stringMatching(/larger than 8388608 bytes/) });
    // The same connection, the next message.
    expect(await send(adt({ trigger: 'A08', controlId: 'MSG-BIG-3', episodeId: 'E-HL7-BIG', recorded: '202611021000+0100', ward: 'Med 4' }))).toMatchObject({ code: 'AA', ref: 'MSG-BIG-3' });
    const { events, dead } = await eventsOf((e, d) => e.some((x) => x.eventId.endsWith('MSG-BIG-3')) && d.some((x) => x.text.includes('MSG-BIG-2')));
    expect(events.filter((x) => x.episodeId === episodeKeyOf('E-HL7-BIG') || x.episodeId === episodeKeyOf('E-HL7-HUGE')).map((x) => x.eventId)).toEqual(['hl7:COSMIC:USO:MSG-BIG-1', 'hl7:COSMIC:USO:MSG-BIG-3']);
    // (The pipeline is not asked: the test before took its topic away.)
    const letter = dead.find((x) => x.text.includes('MSG-BIG-2'))!;
    expect([letter.headers['dlq-code'], letter.headers['dlq-reason']]).toEqual(['MALFORMED_MESSAGE', expect.stringMatching(/larger than 8388608 bytes/)]);
    // The head as any dead letter keeps it (notes hidden), and not more than Kafka takes.
    const raw = letter.entry.raw as string;
    expect(raw.startsWith('MSH|^~\\&|COSMIC|USO|')).toBe(true);
    expect(raw).toContain('\rOBX|***|***|***||***||||||***\r');
    expect(raw.includes('Patienten')).toBe(false);
    expect(letter.text.length).toBeLessThan(1_000_000);
  }, 120_000);
});
