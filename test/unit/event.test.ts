import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { AVRO_RECORD, EVENT_TYPES, fromAvro, toAvro, type AvroPatientEvent, type PatientEvent } from '../../services/contract/event.ts';
import { parseNdjsonEvent } from '../../services/contract/ndjson-event.ts';
import { NDJSON_BY_TYPE, line, pseudonymiser } from './sample-events.ts';

const schema = JSON.parse(readFileSync(new URL('../../schemas/patient-event.avsc', import.meta.url), 'utf8'));
const type = avro.Type.forSchema(schema);

const sample = (t: (typeof EVENT_TYPES)[number]): PatientEvent => parseNdjsonEvent(line(NDJSON_BY_TYPE[t]), 1, pseudonymiser);

/** avsc decodes into class instances; compare plain data. */
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v));

describe('toAvro / fromAvro', () => {
  it('names a distinct, namespaced Avro record for every event type', () => {
    const names = EVENT_TYPES.map((t) => AVRO_RECORD[t]);
    expect(new Set(names).size).toBe(EVENT_TYPES.length);
    for (const n of names) expect(n).toMatch(/^se\.utklar\.events\.v1\.[A-Z][A-Za-z]+$/);
  });

  it.each(EVENT_TYPES.map((t) => [t]))('wraps the %s payload under its record name and round-trips', (t) => {
    const ev = sample(t);
    const av = toAvro(ev);
    expect(av).not.toHaveProperty('type');
    expect(av).not.toHaveProperty('data');
    expect(Object.keys(av.payload)).toEqual([AVRO_RECORD[t]]);
    expect(av.payload[AVRO_RECORD[t]]).toEqual(ev.data);
    expect(av.patientKey).toBe(ev.patientKey);
    expect(fromAvro(av)).toEqual(ev);
  });

  it('throws on a payload record this build does not know, naming it', () => {
    const av: AvroPatientEvent = { ...toAvro(sample('discharge')), payload: { 'se.utklar.events.v1.Death': { ward: 'x' } } };
    expect(() => fromAvro(av)).toThrow(/unknown payload record 'se\.utklar\.events\.v1\.Death'/);
  });

  it('throws on an empty payload', () => {
    const av: AvroPatientEvent = { ...toAvro(sample('discharge')), payload: {} };
    expect(() => fromAvro(av)).toThrow(/unknown payload record/);
  });
});

describe('Avro binary round trip with schemas/patient-event.avsc', () => {
  it('declares one union branch per event type, in the contract order', () => {
    const payload = (schema.fields as { name: string; type: { name: string }[] }[]).find((f) => f.name === 'payload')!;
    expect(payload.type.map((r) => `se.utklar.events.v1.${r.name}`)).toEqual(EVENT_TYPES.map((t) => AVRO_RECORD[t]));
  });

  it.each(EVENT_TYPES.map((t) => [t]))('encodes and decodes a %s event unchanged', (t) => {
    const ev = sample(t);
    const buf = type.toBuffer(toAvro(ev));
    expect(buf.length).toBeGreaterThan(0);
    const decoded = type.fromBuffer(buf) as AvroPatientEvent;
    expect(fromAvro(plain(decoded))).toEqual(ev);
    expect(type.isValid(toAvro(ev))).toBe(true);
  });

  it('round-trips the null branches of optional fields', () => {
    const { primaryCareUnit: _p, ...adm } = NDJSON_BY_TYPE.admission;
    const { judgedAt: _j, sipCalledAt: _s, ...ready } = NDJSON_BY_TYPE['ready-for-discharge'];
    for (const obj of [adm, ready, { ...NDJSON_BY_TYPE['admission-notice'], estimatedDischargeDate: null }, { ...NDJSON_BY_TYPE.readmission, indexEpisodeId: null }]) {
      const ev = parseNdjsonEvent(line(obj), 1, pseudonymiser);
      expect(fromAvro(plain(type.fromBuffer(type.toBuffer(toAvro(ev))) as AvroPatientEvent))).toEqual(ev);
    }
  });

  it('refuses to encode a payload that does not fit its record', () => {
    const ev = sample('ready-for-discharge');
    const broken = { ...ev, data: { ...ev.data, trackColour: 'PURPLE' } } as unknown as PatientEvent;
    expect(type.isValid(toAvro(broken))).toBe(false);
    expect(() => type.toBuffer(toAvro(broken))).toThrow();
    const missing = { ...sample('admission'), data: { region: '18' } } as unknown as PatientEvent;
    expect(() => type.toBuffer(toAvro(missing))).toThrow();
  });
});
