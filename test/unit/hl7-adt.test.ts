import { Hl7Message } from '@medplum/core';
import { describe, expect, it } from 'vitest';
import { loadAdtMapping, parseAdtMapping } from '../../services/sources/hl7/adt-mapping.ts';
import { mapAdt, type AdtResult } from '../../services/sources/hl7/map-adt.ts';
import { parseHl7Time, unescapeHl7 } from '../../services/sources/hl7/hl7-values.ts';
import { redactHl7 } from '../../services/sources/hl7/redact.ts';
import { buildAck } from '../../services/sources/hl7/mllp-listener.ts';
import { scrubEventJson, scrubPersonnummer } from '../../services/sources/scrub.ts';
import { Pseudonymiser } from '../../services/contract/pseudonymise.ts';
import { parseEventObject } from '../../services/contract/ndjson-event.ts';
import type { UtklarError } from '../../services/core/errors.ts';
import { adt, PNR_OID, RESERV_OID, SAMORDNING_OID } from '../support/hl7-messages.ts';

const mapping = loadAdtMapping();
const map = (text: string) => mapAdt(Hl7Message.parse(text), mapping);
const rejected = (r: AdtResult) => {
  if (r.ok) throw new Error(`expected a rejection, got ${JSON.stringify(r.event)}`);
  return { ack: r.ack, code: r.error.code, message: r.error.message };
};
const ps = new Pseudonymiser('unit-test-pseudonym-key');

describe('ADT → the event contract (the shipped mapping)', () => {
  it('maps A01 to an admission with every field from its location and code table', () => {
    expect(map(adt({ trigger: 'A01', controlId: 'C1' }))).toEqual({
      ok: true, controlId: 'C1', trigger: 'A01',
      event: {
        type: 'admission', eventId: 'hl7:COSMIC:USO:C1', occurredAt: '2026-11-02T07:15:00.000Z', source: 'ehr-hl7', personnummer: '194003071232', episodeId: 'E-HL7-1',
        region: '18', hospital: 'USO', clinic: 'Medicinkliniken', ward: 'Med 2', businessArea: 'Medicinkliniken', careType: 'SOMATIC', admissionType: 'ACUTE',
        homeMunicipality: '1880', primaryCareUnit: 'VC Kumla',
      },
    });
  });

  it('maps A03 to a discharge at PV1-45 with the disposition coded, and an empty disposition to OTHER', () => {
    const a03 = map(adt({ trigger: 'A03', controlId: 'C2', discharged: '202611061100+0100', dischargeDisposition: '20' }));
    expect(a03).toMatchObject({ ok: true, event: { type: 'discharge', occurredAt: '2026-11-06T10:00:00.000Z', destination: 'DECEASED', clinic: 'Medicinkliniken', ward: 'Med 2' } });
    expect(Object.keys((a03 as { event: object }).event)).not.toContain('region');
    expect(map(adt({ trigger: 'A03', controlId: 'C3', discharged: '202611061100+0100' }))).toMatchObject({ ok: true, event: { destination: 'OTHER' } });
    // A disposition the table does not know is not guessed.
    expect(rejected(map(adt({ trigger: 'A03', controlId: 'C4', discharged: '202611061100+0100', dischargeDisposition: '99' })))).toMatchObject({ ack: 'AE', message: expect.stringMatching(/destination: code '99' in PV1-36.1/) });
  });

  it('maps A11 and A13 to cancellations at the recorded time, A08 to a repeated admission (the contract corrects with it)', () => {
    expect(map(adt({ trigger: 'A11', controlId: 'C5', recorded: '202611021000+0100' }))).toMatchObject({ ok: true, event: { type: 'admission-cancelled', occurredAt: '2026-11-02T09:00:00.000Z', episodeId: 'E-HL7-1' } });
    expect(map(adt({ trigger: 'A13', controlId: 'C6', recorded: '202611061200+0100' }))).toMatchObject({ ok: true, event: { type: 'discharge-cancelled', occurredAt: '2026-11-06T11:00:00.000Z' } });
    const a08 = map(adt({ trigger: 'A08', controlId: 'C7', recorded: '202611031000+0100', ward: 'Med 3' }));
    expect(a08).toMatchObject({ ok: true, event: { type: 'admission', eventId: 'hl7:COSMIC:USO:C7', occurredAt: '2026-11-03T09:00:00.000Z', ward: 'Med 3' } });
  });

  it('takes the event id from MSH-10 and the sender, so the same message twice is the same event', () => {
    const a = map(adt({ trigger: 'A01', controlId: 'SAME', recorded: '202611020815+0100' }));
    const b = map(adt({ trigger: 'A01', controlId: 'SAME', recorded: '202611020816+0100' }));
    expect((a as unknown as { event: { eventId: string } }).event.eventId).toBe((b as unknown as { event: { eventId: string } }).event.eventId);
    const other = map(adt({ trigger: 'A01', controlId: 'SAME' }).replace('|COSMIC|USO|', '|MELIOR|LIO|'));
    expect((other as unknown as { event: { eventId: string } }).event.eventId).toBe('hl7:MELIOR:LIO:SAME');
  });

  it('maps A02 to a transfer at EVN-6 (else EVN-2) with the new location from PV1', () => {
    const a02 = map(adt({ trigger: 'A02', controlId: 'C22', recorded: '202611031000+0100', ward: 'Med 4' }));
    expect(a02).toEqual({
      ok: true, controlId: 'C22', trigger: 'A02',
      event: {
        type: 'transfer', eventId: 'hl7:COSMIC:USO:C22', occurredAt: '2026-11-03T09:00:00.000Z', source: 'ehr-hl7', personnummer: '194003071232', episodeId: 'E-HL7-1',
        hospital: 'USO', clinic: 'Medicinkliniken', ward: 'Med 4', businessArea: 'Medicinkliniken',
      },
    });
    const occurred = adt({ trigger: 'A02', controlId: 'C23', recorded: '202611031000+0100' }).replace('EVN|A02|202611031000+0100', 'EVN|A02|202611031000+0100||||202611030930+0100');
    expect(map(occurred)).toMatchObject({ ok: true, event: { occurredAt: '2026-11-03T08:30:00.000Z' } });
  });

  it('answers AE for what the contract cannot carry: unmapped triggers, a wrong OID, unknown codes, missing values', () => {
    expect(rejected(map(adt({ trigger: 'A05', controlId: 'C8' })))).toEqual({ ack: 'AE', code: 'UNMAPPABLE_MESSAGE', message: expect.stringMatching(/^ADT\^A05 is not mapped \(mapped: A01, A02, A03, A08, A11, A13\)/) });
    expect(rejected(map(adt({ trigger: 'A04', controlId: 'C9' })))).toMatchObject({ ack: 'AE', message: expect.stringMatching(/ADT\^A04 is not mapped/) });
    expect(rejected(map(adt({ trigger: 'A01', controlId: 'C11', pid3: '194003071232^^^&1.2.3.4&ISO' })))).toMatchObject({ ack: 'AE', message: expect.stringMatching(/no identifier with the personnummer/) });
    expect(rejected(map(adt({ trigger: 'A01', controlId: 'C12', pid3: `194003071232^^^&${SAMORDNING_OID}&ISO` })))).toMatchObject({ message: expect.stringMatching(/not a samordningsnummer/) });
    expect(rejected(map(adt({ trigger: 'A01', controlId: 'C13', pid3: `194003671239^^^&${PNR_OID}&ISO` })))).toMatchObject({ message: expect.stringMatching(/is a samordningsnummer/) });
    const both = rejected(map(adt({ trigger: 'A01', controlId: 'C14', admissionType: 'Z', ward: '' })));
    expect(both.message).toMatch(/ward: PV1-3.1 is empty; .*admissionType: code 'Z' in PV1-4.1/);
  });

  it('takes the personnummer from whichever PID-3 repetition carries its OID (a reservnummer beside it is ignored)', () => {
    const r = map(adt({ trigger: 'A01', controlId: 'C15', pid3: `991234567^^^&${RESERV_OID}&ISO~194003671239^^^&${SAMORDNING_OID}&ISO` }));
    expect(r).toMatchObject({ ok: true, event: { personnummer: '194003671239' } });
    const event = (r as { event: Record<string, unknown> }).event;
    // The contract derives the age from the personnummer: PID-7 is not read, no reservnummer is sent.
    for (const name of ['reservnummer', 'reservnummerIssuer', 'ageYears']) expect(event).not.toHaveProperty(name);
    expect(map(adt({ trigger: 'A01', controlId: 'C15b', pid3: `194003071232^^^&${PNR_OID}&ISO~991234567^^^&${RESERV_OID}&ISO`, birthDate: '' }))).toMatchObject({ ok: true, event: { personnummer: '194003071232' } });
  });
});

describe('ADT for a patient known only by a reservnummer', () => {
  const RES = `991234567^^^&${RESERV_OID}&ISO`;

  it('A01: the reservnummer and its issuer, and the age from PID-7 at the admission', () => {
    expect(map(adt({ trigger: 'A01', controlId: 'R1', pid3: RES }))).toEqual({
      ok: true, controlId: 'R1', trigger: 'A01',
      event: {
        type: 'admission', eventId: 'hl7:COSMIC:USO:R1', occurredAt: '2026-11-02T07:15:00.000Z', source: 'ehr-hl7', reservnummer: '991234567', reservnummerIssuer: RESERV_OID, episodeId: 'E-HL7-1',
        region: '18', hospital: 'USO', clinic: 'Medicinkliniken', ward: 'Med 2', businessArea: 'Medicinkliniken', careType: 'SOMATIC', admissionType: 'ACUTE',
        homeMunicipality: '1880', ageYears: 86, primaryCareUnit: 'VC Kumla',
      },
    });
  });

  it('the contract takes the mapped event: keyed in the reservnummer namespace, with the age from PID-7', () => {
    const r = map(adt({ trigger: 'A01', controlId: 'R2', pid3: RES }));
    const ev = parseEventObject((r as { event: unknown }).event, 1, ps);
    expect(ev.patientKey).toBe(ps.reservnummerKey(RESERV_OID, '991234567'));
    expect(ev.patientKey).not.toBe(ps.patientKey('194003071232'));
    expect(ev.type === 'admission' && ev.data.ageYears).toBe(86);
    expect(JSON.stringify(ev)).not.toContain('991234567');
  });

  it('counts the age on the Stockholm calendar date of the admission (PID-7 as a date or a time)', () => {
    const age = (admitted: string, birthDate: string) => (map(adt({ trigger: 'A01', controlId: 'R3', pid3: RES, admitted, birthDate })) as unknown as { event: { ageYears: number } }).event.ageYears;
    // 00:30 on the birthday in Stockholm is still 6 March in UTC.
    expect(age('202603070030+0100', '19400307')).toBe(86);
    expect(age('202603062359+0100', '19400307')).toBe(85);
    expect(age('202603070030', '19400307')).toBe(86);
    expect(age('202603070030+0100', '194003071530')).toBe(86);
    expect(age('202603070030+0100', '19400307000000+0100')).toBe(86);
    // A newborn admitted on the day of birth.
    expect(age('202611020815+0100', '20261102')).toBe(0);
  });

  it('A08 carries the age at its recorded time; A02, A03, A11, A13 need no birth date', () => {
    expect(map(adt({ trigger: 'A08', controlId: 'R4', pid3: RES, recorded: '202611031000+0100' }))).toMatchObject({ ok: true, event: { type: 'admission', reservnummer: '991234567', ageYears: 86 } });
    for (const [trigger, extra] of [['A02', {}], ['A03', { discharged: '202611061100+0100' }], ['A11', {}], ['A13', {}]] as const) {
      const r = map(adt({ trigger, controlId: `R5-${trigger}`, pid3: RES, birthDate: '', ...extra }));
      expect(r, trigger).toMatchObject({ ok: true, event: { reservnummer: '991234567', reservnummerIssuer: RESERV_OID } });
      expect((r as { event: object }).event, trigger).not.toHaveProperty('ageYears');
    }
  });

  it('an admission without a usable PID-7 is AE naming PID-7, never the birth date or the id', () => {
    const cases: [string, string, RegExp][] = [
      ['', '202611020815+0100', /PID-7 \(date of birth\) is empty/],
      ['1940', '202611020815+0100', /PID-7 \(date of birth\): expected a date YYYYMMDD/],
      ['194003', '202611020815+0100', /PID-7 \(date of birth\): expected a date YYYYMMDD/],
      ['19400230', '202611020815+0100', /PID-7 \(date of birth\): expected a date YYYYMMDD/],
      ['1940-03-07', '202611020815+0100', /PID-7 \(date of birth\): expected a date YYYYMMDD/],
      ['20261103', '202611020815+0100', /PID-7 \(date of birth\) lies after the admission/],
    ];
    for (const [birthDate, admitted, reason] of cases) {
      for (const trigger of ['A01', 'A08']) {
        const r = rejected(map(adt({ trigger, controlId: 'R6', pid3: RES, birthDate, admitted })));
        expect(r, `${trigger} ${birthDate}`).toMatchObject({ ack: 'AE', code: 'UNMAPPABLE_MESSAGE', message: expect.stringMatching(reason) });
        expect(r.message).toMatch(new RegExp(`^ADT\\^${trigger}: `));
        if (birthDate !== '') expect(r.message.includes(birthDate), birthDate).toBe(false);
        expect(r.message.includes('991234567')).toBe(false);
      }
    }
    // Listed with the message's other problems.
    expect(rejected(map(adt({ trigger: 'A01', controlId: 'R7', pid3: RES, birthDate: '', ward: '' }))).message).toMatch(/ward: PV1-3.1 is empty; PID-7/);
  });

  it('a region\'s second reservnummer OID is the issuer; an id the contract refuses is AE at the contract', () => {
    const own = parseAdtMapping({ ...rawDefault(), source: 'melior', identifiers: { ...mapping.identifiers, reservnummer: [RESERV_OID, '1.2.752.97.3.1.9'] } }, 'own.json');
    const r = mapAdt(Hl7Message.parse(adt({ trigger: 'A03', controlId: 'R8', pid3: `R-17^^^1.2.752.97.3.1.9`, discharged: '202611061100+0100' })), own);
    expect(r).toMatchObject({ ok: true, event: { reservnummer: 'R-17', reservnummerIssuer: '1.2.752.97.3.1.9' } });
    // The map passes the id on as sent; the contract's rule (letters, digits, '-') decides.
    const odd = map(adt({ trigger: 'A03', controlId: 'R9', pid3: `R 17^^^&${RESERV_OID}&ISO`, discharged: '202611061100+0100' }));
    expect(() => parseEventObject((odd as { event: unknown }).event, 1, ps)).toThrow(/reservnummer: expected 1–40 letters, digits or '-'/);
  });

  it('answers AR for a malformed message: no control id, no type, not ADT, no PID or PV1', () => {
    const base = adt({ trigger: 'A01', controlId: 'C16' });
    expect(rejected(map(base.replace('|C16|', '||')))).toMatchObject({ ack: 'AR', code: 'MALFORMED_MESSAGE', message: expect.stringMatching(/MSH-10/) });
    expect(rejected(map(base.replace('ADT^A01^ADT_A01', '')))).toMatchObject({ ack: 'AR', message: expect.stringMatching(/MSH-9/) });
    expect(rejected(map(base.replace('ADT^A01^ADT_A01', 'ORU^R01')))).toMatchObject({ ack: 'AR', message: expect.stringMatching(/not an ADT message/) });
    expect(rejected(map(base.split('\r').filter((s) => !s.startsWith('PV1')).join('\r')))).toMatchObject({ ack: 'AR', message: expect.stringMatching(/without a PV1 segment/) });
  });

  it('reads escaped values and a region\'s own locations and codes', () => {
    expect(map(adt({ trigger: 'A01', controlId: 'C17', ward: 'Med 1\\T\\2' }))).toMatchObject({ ok: true, event: { ward: 'Med 1&2' } });
    const own = parseAdtMapping({
      ...JSON.parse(JSON.stringify({ source: 'melior', identifiers: mapping.identifiers })),
      fields: {
        ...Object.fromEntries(Object.entries(JSON.parse(JSON.stringify(rawDefault())).fields)),
        ward: { from: ['ZPV-2.1'] },
        region: { value: '03' },
        careType: { value: 'PSYCHIATRIC' },
      },
    }, 'own.json');
    const r = mapAdt(Hl7Message.parse(`${adt({ trigger: 'A01', controlId: 'C18' })}\rZPV|1|Psyk avd 5`), own);
    expect(r).toMatchObject({ ok: true, event: { source: 'melior', ward: 'Psyk avd 5', region: '03', careType: 'PSYCHIATRIC' } });
  });
});

function rawDefault(): { fields: Record<string, unknown> } {
  // The shipped file, as JSON (what a region copies and edits).
  return JSON.parse(JSON.stringify({ fields: Object.fromEntries(Object.entries(mapping.fields).map(([k, f]) => [k, {
    ...(f.from ? { from: f.from.map((l) => l.text) } : { value: f.value }),
    ...(f.codes ? { codes: f.codes } : {}), ...(f.otherwise ? { otherwise: f.otherwise } : {}), ...(f.ifEmpty ? { ifEmpty: f.ifEmpty } : {}), ...(f.optional ? { optional: true } : {}),
  }])) }));
}

describe('the mapping file is checked whole at start', () => {
  it('names every problem with its JSON path', () => {
    let error: UtklarError | undefined;
    try {
      parseAdtMapping({
        source: 'x', identifiers: { personnummer: 'not-an-oid', samordningsnummer: SAMORDNING_OID }, typo: 1,
        fields: {
          ...rawDefault().fields,
          ward: { from: ['PV1.3'] },
          region: { value: '99' },
          careType: { from: ['PV1-10.1'], codes: { PSY: 'MENTAL' } },
          admissionType: { from: ['PV1-4.1'] },
          clinic: { from: ['PV1-10.1'], value: 'X' },
          homeMunicipality: undefined,
          ward2: { value: 'x' },
        },
      }, 'region.json');
    } catch (e) {
      error = e as UtklarError;
    }
    expect(error?.code).toBe('CONFIG');
    for (const p of [
      '$.typo: unknown key', '$.identifiers.personnummer: expected an OID', '$.fields.ward.from[0]: expected a location', '$.fields.region.value: expected a länskod',
      '$.fields.careType.codes.PSY: expected one of SOMATIC, PSYCHIATRIC', '$.fields.admissionType: a coded field read from the message needs "codes"',
      '$.fields.clinic: give exactly one of', '$.fields.homeMunicipality: required', '$.fields.ward2: unknown key',
    ]) expect(error?.message).toContain(p);
    expect(error?.message).toMatch(/^HL7 mapping region.json: /);
  });

  it('the shipped file is valid', () => {
    expect(mapping.fields.ward.from?.[0]?.text).toBe('PV1-3.1');
  });
});

describe('HL7 times', () => {
  const iso = (t: string) => {
    const r = parseHl7Time(t, 'Europe/Stockholm');
    return r.ok ? r.iso : r.problem;
  };
  it('reads an offset exactly and a local time in Stockholm, winter and summer', () => {
    expect(iso('20260201081500+0100')).toBe('2026-02-01T07:15:00.000Z');
    expect(iso('202602010815-0500')).toBe('2026-02-01T13:15:00.000Z');
    expect(iso('202602010815')).toBe('2026-02-01T07:15:00.000Z');
    expect(iso('20260701081500.25')).toBe('2026-07-01T06:15:00.250Z');
    // The DST nights: 29 March 2026 02:30 never happens, 25 October 2026 02:30 happens twice.
    expect(iso('202603290130')).toBe('2026-03-29T00:30:00.000Z');
    expect(iso('202603290330')).toBe('2026-03-29T01:30:00.000Z');
    expect(iso('202603290230')).toMatch(/does not exist in Europe\/Stockholm/);
    expect(iso('202610250230')).toMatch(/happens twice/);
    expect(iso('202610250230+0200')).toBe('2026-10-25T00:30:00.000Z');
    expect(iso('202610250330')).toBe('2026-10-25T02:30:00.000Z');
    // New Year's night: local midnight is the previous day in UTC.
    expect(iso('202701010020')).toBe('2026-12-31T23:20:00.000Z');
  });
  it('refuses what is no time', () => {
    expect(iso('20260230')).toMatch(/not an HL7 time/);
    expect(iso('202602301200')).toMatch(/not a calendar time/);
    expect(iso('2026-02-01T08:15')).toMatch(/not an HL7 time/);
  });
  it('unescapes HL7 escape sequences', () => {
    expect(unescapeHl7('A\\F\\B\\S\\C\\T\\D\\R\\E\\E\\\\X41\\')).toBe('A|B^C&D~E\\A');
  });
});

describe('what a dead letter keeps of a message', () => {
  it('keeps MSH, EVN, PV1 and the mapped locations; hides every other personal field; the personnummer becomes its patientKey', () => {
    const text = adt({ trigger: 'A02', controlId: 'C19', extra: ['NK1|1|Svensson^Anna|SPO|Storgatan 1^^Örebro|019-654321', 'OBX|1|ST|note||patient 19400307-1232 says hi'] });
    // MSH-7 202611020815 passes a personnummer's check digit: a time, and kept as one.
    expect(scrubPersonnummer('202611020815', ps)).not.toBe('202611020815');
    const episode = (id: string) => `episodeKey:${ps.episodeKey('18', id)}`;
    const redacted = redactHl7(Hl7Message.parse(`${text}\rPV2|||||||||||||||||||||||||||||||||||||||||||||||||19400307-1232`), mapping, (t) => scrubPersonnummer(t, ps), episode);
    const key = ps.patientKey('194003071232');
    const lines = redacted.split('\r');
    expect(lines[0]).toBe(text.split('\r')[0]);
    // PV1-19, the EHR's visit number, as the pseudonym the events carry; the rest of PV1 as it came.
    expect(text.split('\r')[4]).toContain('|E-HL7-1|');
    expect(lines[4]).toBe(text.split('\r')[4]!.replace('|E-HL7-1|', `|${episode('E-HL7-1')}|`));
    expect(redacted).not.toContain('E-HL7-1');
    expect(lines[2]).toBe(`PID|1||patientKey:${key}^^^&1.2.752.129.2.1.3.1&ISO^PN||***||***|***|||***^^***^^***^***^***^^1880||***`);
    expect(lines[3]).toBe('PD1|||VC Kumla^^^^^^^^^***');
    expect(lines[5]).toBe('NK1|***|***|***|***|***');
    expect(lines[6]).toBe('OBX|***|***|***||***');
    expect(lines[7]).toMatch(new RegExp(`^PV2\\|+patientKey:${key}$`));
    for (const s of ['Svensson', 'Storgatan', '019-', '194003071232', '19400307']) expect(redacted.includes(s), s).toBe(false);
  });

  it('hides a reservnummer in PID-3 (its issuer stays) and the birth date in PID-7', () => {
    const redacted = redactHl7(Hl7Message.parse(adt({ trigger: 'A01', controlId: 'R10', pid3: `991234567^^^&${RESERV_OID}&ISO`, birthDate: '' })), mapping, (t) => scrubPersonnummer(t, ps));
    expect(redacted.split('\r')[2]).toBe(`PID|1||***^^^&${RESERV_OID}&ISO||***|||***|||***^^***^^***^***^***^^1880||***`);
  });

  it('a JSON dead letter: the reservnummer member becomes its patientKey, before the personnummer pass can touch it', () => {
    const at = { year: 2026, month: 11, day: 2 };
    const key = ps.reservnummerKey(RESERV_OID, '194003071232');
    // A 12-digit local id that passes a personnummer's check: keyed as the reservnummer it is.
    expect(scrubEventJson(`{"type":"discharge","reservnummer":"194003071232","reservnummerIssuer":"${RESERV_OID}","note":"19400307-1232"}`, ps, at))
      .toBe(`{"type":"discharge","reservnummer":"patientKey:${key}","reservnummerIssuer":"${RESERV_OID}","note":"patientKey:${ps.patientKey('194003071232')}"}`);
    // The issuer after the id, spaces, an id the contract refuses (keyed anyway: it is still the sender's id).
    expect(scrubEventJson(`{"reservnummerIssuer": "${RESERV_OID}", "reservnummer" : " se-17 "}`, ps, at)).toBe(`{"reservnummerIssuer": "${RESERV_OID}", "reservnummer" : "patientKey:${ps.reservnummerKey(RESERV_OID, 'SE-17')}"}`);
    // Without an issuer there is nothing to key it by; a number is no reservnummer either: hidden.
    expect(scrubEventJson('{"reservnummer":"SE-17"}', ps, at)).toBe('{"reservnummer":"***"}');
    expect(scrubEventJson(`{"reservnummer":991234567,"reservnummerIssuer":"${RESERV_OID}"}`, ps, at)).toBe(`{"reservnummer":"***","reservnummerIssuer":"${RESERV_OID}"}`);
    // Escapes, and a line that is not even JSON.
    expect(scrubEventJson('{"reservnummer":"SE-\\"17\\u0001","x":1', ps, at)).toBe('{"reservnummer":"***","x":1');
    expect(scrubEventJson('{"a":"b"}', ps, at)).toBe('{"a":"b"}');
  });

  it('a JSON dead letter: the source\'s episode ids become the pseudonyms the events carry', () => {
    const at = { year: 2026, month: 11, day: 2 };
    const inIssuer = new Pseudonymiser('unit-test-pseudonym-key-0123456789', { episodeIssuer: '18' });
    expect(scrubEventJson('{"type":"readmission","episodeId":"VT-7","indexEpisodeId":"VT-6"}', inIssuer, at))
      .toBe(`{"type":"readmission","episodeId":"episodeKey:${inIssuer.episodeKey('18', 'VT-7')}","indexEpisodeId":"episodeKey:${inIssuer.episodeKey('18', 'VT-6')}"}`);
    // The event's own issuer; an id that is no text keys nothing and is hidden.
    expect(scrubEventJson('{"episodeIssuer":"03","episodeId":"VT-7"}', inIssuer, at)).toBe(`{"episodeIssuer":"03","episodeId":"episodeKey:${inIssuer.episodeKey('03', 'VT-7')}"}`);
    expect(scrubEventJson('{"episodeId":199403071232}', inIssuer, at)).toBe('{"episodeId":"***"}');
    // Both kinds in one line, either order: each member gets its own key back.
    const reserv = `patientKey:${inIssuer.reservnummerKey(RESERV_OID, 'SE-17')}`;
    expect(scrubEventJson(`{"episodeId":"VT-7","reservnummer":"SE-17","reservnummerIssuer":"${RESERV_OID}","indexEpisodeId":"VT-6"}`, inIssuer, at))
      .toBe(`{"episodeId":"episodeKey:${inIssuer.episodeKey('18', 'VT-7')}","reservnummer":"${reserv}","reservnummerIssuer":"${RESERV_OID}","indexEpisodeId":"episodeKey:${inIssuer.episodeKey('18', 'VT-6')}"}`);
  });

  it('scrubs a personnummer in any spelling and leaves other numbers alone', () => {
    const key = ps.patientKey('194003071232');
    expect(scrubPersonnummer('a 19400307-1232 b 4003071232 c 400307-1232 d 1234567890 e 19400307-1233', ps, { year: 2026, month: 11, day: 2 }))
      .toBe(`a patientKey:${key} b patientKey:${key} c patientKey:${key} d 1234567890 e 19400307-1233`);
  });
});

describe('ACKs', () => {
  it('carries the reason in MSA-3 and ERR-8, escaped', () => {
    const ack = buildAck(Hl7Message.parse(adt({ trigger: 'A02', controlId: 'C20' })), 'AE', 'ADT^A02: transfer | not supported');
    expect(ack.getSegment('MSA')!.toString()).toBe('MSA|AE|C20|ADT\\S\\A02: transfer \\F\\ not supported');
    expect(ack.getSegment('ERR')!.getField(8).toString()).toBe('ADT\\S\\A02: transfer \\F\\ not supported');
    expect(ack.getSegment('MSH')!.getField(9).toString()).toBe('ACK^A02^ACK');
    expect(buildAck(Hl7Message.parse(adt({ trigger: 'A01', controlId: 'C21' })), 'AA').getSegment('MSA')!.toString()).toBe('MSA|AA|C21|OK');
  });
});

describe('A03 carries the discharge\'s payment conditions (ZSU in the shipped mapping)', () => {
  const a03 = (controlId: string, ...extra: string[]) => map(adt({ trigger: 'A03', controlId, discharged: '202611061100+0100', extra }));
  const eventOf = (r: AdtResult) => {
    if (!r.ok) throw new Error(`expected an event, got ${r.error.message}`);
    return r.event;
  };

  it('ZSU-1 is when the information was transferred, ZSU-2 (Y/N) whether the patient declined; the contract takes both', () => {
    const r = a03('Z1', 'ZSU|202611061030+0100|Y');
    expect(r).toMatchObject({ ok: true, event: { type: 'discharge', occurredAt: '2026-11-06T10:00:00.000Z', informationTransferredAt: '2026-11-06T09:30:00.000Z', patientDeclinedServices: true } });
    const ev = parseEventObject(eventOf(r), 1, ps);
    expect(ev.type === 'discharge' && ev.data).toMatchObject({ informationTransferredAt: Date.parse('2026-11-06T09:30:00Z'), patientDeclinedServices: true });
    // A local time is Stockholm's, as every HL7 time without an offset.
    expect(a03('Z2', 'ZSU|20261105163000|N')).toMatchObject({ ok: true, event: { informationTransferredAt: '2026-11-05T15:30:00.000Z', patientDeclinedServices: false } });
    // Either alone.
    const onlyDeclined = eventOf(a03('Z3', 'ZSU||N'));
    expect(onlyDeclined).toMatchObject({ patientDeclinedServices: false });
    expect(onlyDeclined).not.toHaveProperty('informationTransferredAt');
    const onlyInformed = eventOf(a03('Z4', 'ZSU|202611061030+0100'));
    expect(onlyInformed).toMatchObject({ informationTransferredAt: '2026-11-06T09:30:00.000Z' });
    expect(onlyInformed).not.toHaveProperty('patientDeclinedServices');
  });

  it('absent (no ZSU, or its fields empty): left out of the event, null in the contract', () => {
    for (const [controlId, extra] of [['Z5', []], ['Z6', ['ZSU']], ['Z7', ['ZSU||']]] as const) {
      const event = eventOf(a03(controlId, ...extra));
      for (const name of ['informationTransferredAt', 'patientDeclinedServices']) expect(event, `${controlId} ${name}`).not.toHaveProperty(name);
      const ev = parseEventObject(event, 1, ps);
      expect(ev.type === 'discharge' && ev.data, controlId).toMatchObject({ informationTransferredAt: null, patientDeclinedServices: null });
    }
  });

  it('only a discharge reads them: a ZSU beside an A01, A08 or A13 is not read, even when it would be refused', () => {
    for (const trigger of ['A01', 'A08', 'A13']) {
      const event = eventOf(map(adt({ trigger, controlId: `Z9-${trigger}`, extra: ['ZSU|gestern|J'] })));
      for (const name of ['informationTransferredAt', 'patientDeclinedServices']) expect(event, `${trigger} ${name}`).not.toHaveProperty(name);
    }
  });

  it('a time that is none or is ambiguous, or a code other than Y/N, is AE naming the field and its location', () => {
    const cases: [string, RegExp][] = [
      ['ZSU|2026-11-06T10:30+01:00|N', /informationTransferredAt \(ZSU-1\.1\): '2026-11-06T10:30\+01:00' is not an HL7 time/],
      // A day alone is no instant.
      ['ZSU|20261106|N', /informationTransferredAt \(ZSU-1\.1\): '20261106' is not an HL7 time/],
      ['ZSU|202611311030+0100|N', /informationTransferredAt \(ZSU-1\.1\): '202611311030\+0100' is not a calendar time/],
      ['ZSU|202610250230|N', /informationTransferredAt \(ZSU-1\.1\): '202610250230' happens twice in Europe\/Stockholm .*send it with an offset/],
      ['ZSU|202611061030+0100|J', /patientDeclinedServices: code 'J' in ZSU-2\.1 is not in the mapping's codes \(Y, N\)/],
      ['ZSU|202611061030+0100|true', /patientDeclinedServices: code 'true' in ZSU-2\.1/],
      ['ZSU||y', /patientDeclinedServices: code 'y' in ZSU-2\.1/],
    ];
    for (const [zsu, reason] of cases) {
      const r = rejected(a03('Z10', zsu));
      expect(r, zsu).toEqual({ ack: 'AE', code: 'UNMAPPABLE_MESSAGE', message: expect.stringMatching(reason) });
      expect(r.message, zsu).toMatch(/^ADT\^A03: /);
    }
    // Listed with the message's other problems, in one answer.
    expect(rejected(a03('Z11', 'ZSU|morgon|X')).message).toMatch(/informationTransferredAt \(ZSU-1\.1\): 'morgon' is not an HL7 time.*; patientDeclinedServices: code 'X' in ZSU-2\.1/);
  });

  it('a dead letter keeps the ZSU fields the mapping names', () => {
    const redacted = redactHl7(Hl7Message.parse(adt({ trigger: 'A03', controlId: 'Z12', discharged: '202611061100+0100', extra: ['ZSU|202611311030+0100|J|a note'] })), mapping, (t) => scrubPersonnummer(t, ps));
    expect(redacted.split('\r').at(-1)).toBe('ZSU|202611311030+0100|J|***');
  });

  it('a region moves them in its file: another segment, its own codes, and required when its EHR always sends them', () => {
    const own = parseAdtMapping({
      ...rawDefault(), source: 'melior', identifiers: mapping.identifiers,
      fields: {
        ...rawDefault().fields,
        informationTransferredAt: { from: ['ZUT-3.1', 'PV2-47.1'] },
        patientDeclinedServices: { from: ['ZUT-4.1'], codes: { J: 'true', N: 'false' }, ifEmpty: 'false' },
      },
    }, 'own.json');
    const a03own = (controlId: string, ...extra: string[]) => mapAdt(Hl7Message.parse(adt({ trigger: 'A03', controlId, discharged: '202611061100+0100', extra })), own);
    expect(a03own('Z13', 'ZUT|1||202611061030+0100|J')).toMatchObject({ ok: true, event: { informationTransferredAt: '2026-11-06T09:30:00.000Z', patientDeclinedServices: true } });
    // The second location when the first is empty; an empty code is what the file says.
    const pv2 = `PV2${'|'.repeat(47)}202611061045+0100`;
    expect(a03own('Z14', pv2)).toMatchObject({ ok: true, event: { informationTransferredAt: '2026-11-06T09:45:00.000Z', patientDeclinedServices: false } });
    // The shipped segment means nothing to this file; without the time its EHR always sends, AE.
    expect(rejected(a03own('Z15', 'ZSU|202611061030+0100|Y'))).toMatchObject({ ack: 'AE', message: expect.stringMatching(/informationTransferredAt: ZUT-3\.1, PV2-47\.1 empty/) });
  });

  it('a file written before them loads and does not read them, even from a ZSU', () => {
    const { informationTransferredAt: _i, patientDeclinedServices: _d, ...older } = rawDefault().fields;
    const before = parseAdtMapping({ source: 'ehr-hl7', identifiers: mapping.identifiers, fields: older }, 'before.json');
    const event = eventOf(mapAdt(Hl7Message.parse(adt({ trigger: 'A03', controlId: 'Z16', discharged: '202611061100+0100', extra: ['ZSU|202611061030+0100|Y'] })), before));
    for (const name of ['informationTransferredAt', 'patientDeclinedServices']) expect(event).not.toHaveProperty(name);
  });

  it('the file is checked: Y/N must map to true or false, a time cannot be a constant, only these and primaryCareUnit may be optional', () => {
    let error: UtklarError | undefined;
    try {
      parseAdtMapping({
        source: 'x', identifiers: mapping.identifiers,
        fields: {
          ...rawDefault().fields,
          informationTransferredAt: { value: '20261106103000+0100' },
          patientDeclinedServices: { from: ['ZSU-2.1'], codes: { Y: 'yes' } },
          destination: { ...(rawDefault().fields.destination as object), optional: true },
        },
      }, 'region.json');
    } catch (e) {
      error = e as UtklarError;
    }
    expect(error?.code).toBe('CONFIG');
    for (const p of [
      '$.fields.informationTransferredAt.value: a time is read from the message ("from"), not a constant',
      '$.fields.patientDeclinedServices.codes.Y: expected one of true, false',
      '$.fields.destination.optional: only primaryCareUnit, informationTransferredAt, patientDeclinedServices may be absent',
    ]) expect(error?.message).toContain(p);
    expect(thrownBy(() => parseAdtMapping({ ...rawDefault(), source: 'x', identifiers: mapping.identifiers, fields: { ...rawDefault().fields, patientDeclinedServices: { from: ['ZSU-2.1'] } } }, 'r.json')))
      .toContain('$.fields.patientDeclinedServices: a coded field read from the message needs "codes" (source code → true | false)');
  });

  it('the shipped file reads ZSU-1 and ZSU-2 (Y/N), both optional', () => {
    expect(mapping.fields.informationTransferredAt).toMatchObject({ from: [{ text: 'ZSU-1.1' }], optional: true });
    expect(mapping.fields.patientDeclinedServices).toMatchObject({ from: [{ text: 'ZSU-2.1' }], codes: { Y: 'true', N: 'false' }, optional: true });
  });
});

function thrownBy(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}
