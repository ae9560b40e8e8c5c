import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, type PatientEvent } from '../../services/contract/event.ts';
import { parseNdjsonEvent } from '../../services/contract/ndjson-event.ts';
import { withCheckDigit } from '../../services/contract/personnummer.ts';
import { UtklarError } from '../../services/core/errors.ts';
import { Pseudonymiser } from '../../services/contract/pseudonymise.ts';
import { NDJSON_BY_TYPE, PNR, TEST_KEY, line, pseudonymiser } from './sample-events.ts';

const FIXTURE = new URL('../fixtures/two-episodes.ndjson', import.meta.url);
const KEY = pseudonymiser.patientKey(PNR);
const episode = (id: string, issuer = '') => pseudonymiser.episodeKey(issuer, id);
const OCCURRED = Date.parse('2026-02-03T10:30:00+01:00');

const parse = (obj: Record<string, unknown>, lineNo = 1) => parseNdjsonEvent(line(obj), lineNo, pseudonymiser);

function rejection(text: string, lineNo = 1): UtklarError {
  try {
    parseNdjsonEvent(text, lineNo, pseudonymiser);
  } catch (e) {
    expect(e).toBeInstanceOf(UtklarError);
    return e as UtklarError;
  }
  throw new Error('expected parseNdjsonEvent to reject the line');
}

const problemsOf = (err: UtklarError) => err.details.problems as string[];

/** Neither the message nor the details may carry any spelling of the personnummer. */
function expectNoPersonnummer(err: UtklarError, pnr = PNR): void {
  const core = pnr.slice(2); // YYMMDDNNNN, contained in every spelling with the separator removed
  for (const text of [err.message, JSON.stringify(err.details)]) {
    const digitsOnly = text.replace(/[-+\s]/g, '');
    expect(digitsOnly).not.toContain(core);
    expect(text).not.toContain(core.slice(0, 6)); // the birth date
    expect(text).not.toContain(core.slice(6)); // the serial + check digit
  }
}

describe('parseNdjsonEvent: one valid line per event type', () => {
  it('covers every event type', () => {
    expect(Object.keys(NDJSON_BY_TYPE).sort()).toEqual([...EVENT_TYPES].sort());
  });

  it.each(EVENT_TYPES.map((t) => [t]))('accepts a valid %s line and replaces the personnummer by patientKey', (type) => {
    const ev = parse(NDJSON_BY_TYPE[type], 7);
    expect(ev.type).toBe(type);
    expect(ev.eventId).toBe(NDJSON_BY_TYPE[type].eventId);
    expect(ev.occurredAt).toBe(OCCURRED);
    expect(ev.source).toBe('unit-test');
    expect(ev.episodeId).toBe(episode('E-1'));
    expect(JSON.stringify(ev)).not.toContain('E-1');
    expect(ev.patientKey).toBe(KEY);
    expect(ev).not.toHaveProperty('personnummer');
    expect(ev.data).not.toHaveProperty('personnummer');
    expect(ev.data).not.toHaveProperty('type');
    expect(JSON.stringify(ev)).not.toContain('400307');
  });

  it('maps the admission fields and derives ageYears from the personnummer', () => {
    const ev = parse(NDJSON_BY_TYPE.admission) as Extract<PatientEvent, { type: 'admission' }>;
    expect(ev.data).toEqual({
      region: '18',
      hospital: 'USO',
      clinic: 'Medicinkliniken',
      ward: 'Med 2',
      businessArea: 'Medicin',
      careType: 'SOMATIC',
      admissionType: 'ACUTE',
      homeMunicipality: '1881',
      ageYears: 85, // born 1940-03-07, admitted 2026-02-03
      primaryCareUnit: 'VC Kumla',
    });
  });

  it('derives ageYears at the Stockholm date of occurredAt (birthday just after midnight local time)', () => {
    const ev = parse({ ...NDJSON_BY_TYPE.admission, occurredAt: '2026-03-06T23:30:00Z' });
    expect(ev.type === 'admission' && ev.data.ageYears).toBe(86);
    const before = parse({ ...NDJSON_BY_TYPE.admission, occurredAt: '2026-03-06T22:30:00Z' });
    expect(before.type === 'admission' && before.data.ageYears).toBe(85);
  });

  it('keeps an explicit ageYears and sets an absent primaryCareUnit to null', () => {
    const { primaryCareUnit: _omit, ...rest } = NDJSON_BY_TYPE.admission;
    const ev = parse({ ...rest, ageYears: 84 });
    expect(ev.type).toBe('admission');
    if (ev.type !== 'admission') return;
    expect(ev.data.ageYears).toBe(84);
    expect(ev.data.primaryCareUnit).toBeNull();
  });

  it('converts estimatedDischargeDate to days since the epoch', () => {
    const ev = parse(NDJSON_BY_TYPE['admission-notice']);
    expect(ev.data).toEqual({ recipientMunicipality: '1881', estimatedDischargeDate: 20_488, needJudgedAt: null }); // 2026-02-04
    const none = parse({ ...NDJSON_BY_TYPE['admission-notice'], estimatedDischargeDate: null });
    expect(none.data).toEqual({ recipientMunicipality: '1881', estimatedDischargeDate: null, needJudgedAt: null });
    const judged = parse({ ...NDJSON_BY_TYPE['admission-notice'], needJudgedAt: '2026-02-03T14:00:00+01:00' });
    expect(judged.data).toMatchObject({ needJudgedAt: Date.parse('2026-02-03T13:00:00Z') });
  });

  it('converts the ready notice timestamps to epoch ms and leaves absent optional ones null', () => {
    const ev = parse(NDJSON_BY_TYPE['ready-for-discharge']);
    expect(ev.data).toEqual({
      judgedAt: Date.parse('2026-02-03T09:45:00+01:00'),
      recipientMunicipality: '1881',
      trackColour: 'GREEN',
      fastVardkontaktAppointed: true,
      sipNeeded: true,
      sipCalledAt: Date.parse('2026-02-04T12:00:00Z'),
    });
    const { judgedAt: _j, sipCalledAt: _s, ...rest } = NDJSON_BY_TYPE['ready-for-discharge'];
    const bare = parse({ ...rest, sipNeeded: false });
    expect(bare.data).toMatchObject({ judgedAt: null, sipCalledAt: null, sipNeeded: false });
  });

  it('maps the remaining payloads', () => {
    expect(parse(NDJSON_BY_TYPE['ready-withdrawn']).data).toEqual({ reasonCode: 'CONDITION_WORSENED' });
    expect(parse(NDJSON_BY_TYPE.discharge).data).toEqual({
      destination: 'HOME_WITH_MUNICIPAL_CARE',
      clinic: 'Medicinkliniken',
      ward: 'Med 2',
      informationTransferredAt: null,
      patientDeclinedServices: null,
    });
    const conditions = parse({ ...NDJSON_BY_TYPE.discharge, informationTransferredAt: '2026-02-06T15:30:00+01:00', patientDeclinedServices: true });
    expect(conditions.data).toMatchObject({ informationTransferredAt: Date.parse('2026-02-06T14:30:00Z'), patientDeclinedServices: true });
    expect(() => parse({ ...NDJSON_BY_TYPE.discharge, patientDeclinedServices: 'ja' })).toThrow(/patientDeclinedServices/);
    expect(parse(NDJSON_BY_TYPE.readmission).data).toEqual({ indexEpisodeId: episode('E-0') });
    expect(parse(NDJSON_BY_TYPE['admission-cancelled']).data).toEqual({ reasonCode: 'REGISTERED_IN_ERROR' });
    expect(parse(NDJSON_BY_TYPE['discharge-cancelled']).data).toEqual({ reasonCode: null });
  });

  it('upper-cases enums given in lower case (and dashes become underscores)', () => {
    const adm = parse({ ...NDJSON_BY_TYPE.admission, careType: 'psychiatric', admissionType: 'planned' });
    expect(adm.data).toMatchObject({ careType: 'PSYCHIATRIC', admissionType: 'PLANNED' });
    expect(parse({ ...NDJSON_BY_TYPE['ready-for-discharge'], trackColour: 'red' }).data).toMatchObject({ trackColour: 'RED' });
    expect(parse({ ...NDJSON_BY_TYPE.discharge, destination: 'short-term-care' }).data).toMatchObject({
      destination: 'SHORT_TERM_CARE',
    });
  });

  it('gives the same patientKey for every spelling of the personnummer', () => {
    for (const pnr of ['194003071232', '19400307-1232', '4003071232', '400307-1232']) {
      expect(parse({ ...NDJSON_BY_TYPE.discharge, personnummer: pnr }).patientKey).toBe(KEY);
    }
    const other = parse({ ...NDJSON_BY_TYPE.discharge, personnummer: '193204155679' });
    expect(other.patientKey).not.toBe(KEY);
  });

  it('accepts timestamps in UTC, with an offset, with or without seconds and milliseconds', () => {
    for (const ts of ['2026-02-03T09:30:00Z', '2026-02-03T10:30+01:00', '2026-02-03T11:30:00.000+02:00', '2026-02-03T04:30:00-05:00']) {
      expect(parse({ ...NDJSON_BY_TYPE.discharge, occurredAt: ts }).occurredAt).toBe(OCCURRED);
    }
  });
});

describe('parseNdjsonEvent: rejections', () => {
  it('reports INVALID_JSON with the line number', () => {
    const err = rejection('{"type":"admission","eventId":"ehr-1007", "occurredAt": ', 42);
    expect(err.code).toBe('INVALID_JSON');
    expect(err.message).toMatch(/^line 42: not valid JSON/);
    expect(err.details).toMatchObject({ line: 42, problems: ['not valid JSON'] });
  });

  it.each(['[]', 'null', '42', '"admission"'])('reports INVALID_JSON for the non-object %s', (text) => {
    const err = rejection(text, 3);
    expect(err.code).toBe('INVALID_JSON');
    expect(err.details).toEqual({ line: 3, problems: ['expected a JSON object'] });
  });

  it('reports INVALID_EVENT listing every problem of a line at once', () => {
    const { hospital: _missing, ...rest } = NDJSON_BY_TYPE.admission;
    const err = rejection(
      line({
        ...rest,
        occurredAt: '2026-02-01T10:00:00', // no offset
        careType: 'SURGICAL',
        homeMunicipality: '9999',
        region: '99',
        colour: 'blue', // unknown field
      }),
      8,
    );
    expect(err.code).toBe('INVALID_EVENT');
    expect(err.retriable).toBe(false);
    expect(err.details.line).toBe(8);
    const problems = problemsOf(err);
    expect(problems).toHaveLength(6);
    expect(problems).toEqual(
      expect.arrayContaining([
        'hospital: required',
        'colour: unknown field',
        expect.stringMatching(/^careType: expected one of SOMATIC, PSYCHIATRIC$/),
        expect.stringMatching(/^homeMunicipality: expected a kommunkod/),
        expect.stringMatching(/^occurredAt: expected an ISO 8601 time with offset/),
        expect.stringMatching(/^region: expected a länskod/),
      ]),
    );
    expect(err.message.startsWith('line 8: ')).toBe(true);
    for (const p of problems) expect(err.message).toContain(p);
    expectNoPersonnummer(err);
  });

  it('rejects an unknown or missing type but still checks the envelope', () => {
    const err = rejection(line({ type: 'death', eventId: 'x', occurredAt: '2026-02-03T10:30:00+01:00', source: 's', episodeId: 'E' }));
    expect(err.code).toBe('INVALID_EVENT');
    expect(problemsOf(err)).toEqual([
      expect.stringMatching(/^type: expected one of admission, /),
      'personnummer: required (or, for a patient without one, reservnummer and reservnummerIssuer)',
    ]);
    const noType = rejection(line({ ...NDJSON_BY_TYPE.discharge, type: undefined }));
    expect(problemsOf(noType)[0]).toMatch(/^type: expected one of/);
  });

  it.each([
    ['ageYears', 131, 'ageYears: expected an integer 0–130'],
    ['ageYears', 80.5, 'ageYears: expected an integer 0–130'],
    ['ageYears', '80', 'ageYears: expected an integer 0–130'],
    ['hospital', '', 'hospital: expected a non-empty string'],
    ['hospital', 'x'.repeat(201), 'hospital: expected a non-empty string'],
    ['ward', 'Med\n2', 'ward: expected a non-empty string'],
    ['homeMunicipality', 1881, 'homeMunicipality: expected a kommunkod'],
    ['region', '1', 'region: expected a länskod'],
  ])('admission: %s = %j is reported', (field, value, expected) => {
    const err = rejection(line({ ...NDJSON_BY_TYPE.admission, [field]: value }));
    expect(problemsOf(err)).toEqual([expect.stringContaining(expected)]);
  });

  it.each([
    ['estimatedDischargeDate', '2026-02-30'],
    ['estimatedDischargeDate', '2026-2-4'],
    ['estimatedDischargeDate', '2026-02-04T00:00:00Z'],
    ['recipientMunicipality', '9999'],
  ])('admission-notice: %s = %j is reported', (field, value) => {
    const err = rejection(line({ ...NDJSON_BY_TYPE['admission-notice'], [field]: value }));
    expect(problemsOf(err)).toEqual([expect.stringMatching(new RegExp(`^${field}: expected`))]);
  });

  it.each([
    ['sipNeeded', 'true', 'sipNeeded: expected true or false'],
    ['trackColour', 'PURPLE', 'trackColour: expected one of NONE, BLUE, GREEN, YELLOW, RED'],
    ['judgedAt', '2026-02-03 09:45:00+01:00', 'judgedAt: expected an ISO 8601 time'],
    ['sipCalledAt', '2026-02-04T13:00:00', 'sipCalledAt: expected an ISO 8601 time'],
  ])('ready-for-discharge: %s = %j is reported', (field, value, expected) => {
    const err = rejection(line({ ...NDJSON_BY_TYPE['ready-for-discharge'], [field]: value }));
    expect(problemsOf(err)).toEqual([expect.stringContaining(expected)]);
  });

  it('rejects fields that belong to another event type', () => {
    const err = rejection(line({ ...NDJSON_BY_TYPE['ready-withdrawn'], destination: 'HOME' }));
    expect(problemsOf(err)).toEqual(['destination: unknown field']);
  });

  it('reports a wrong check digit without the personnummer', () => {
    const err = rejection(line({ ...NDJSON_BY_TYPE.discharge, personnummer: '19400307-1233' }), 5);
    expect(err.code).toBe('INVALID_EVENT');
    expect(problemsOf(err)).toEqual(['personnummer: check digit does not match']);
    expectNoPersonnummer(err, '194003071233');
  });

  it('reports a malformed or non-calendar personnummer without echoing it', () => {
    const bad = withCheckDigit('19400230123');
    const e1 = rejection(line({ ...NDJSON_BY_TYPE.discharge, personnummer: bad }));
    expect(problemsOf(e1)).toEqual(['personnummer: the date part is not a calendar date']);
    expectNoPersonnummer(e1, bad);
    const e2 = rejection(line({ ...NDJSON_BY_TYPE.discharge, personnummer: '19400307x1232' }));
    expect(problemsOf(e2)).toEqual([expect.stringMatching(/^personnummer: expected YYYYMMDD/)]);
    expectNoPersonnummer(e2);
  });

  it('rejects a birth date after occurredAt', () => {
    const future = withCheckDigit('20260310123');
    const err = rejection(line({ ...NDJSON_BY_TYPE.admission, personnummer: future, occurredAt: '2026-03-09T12:00:00+01:00' }));
    expect(problemsOf(err)).toEqual(['personnummer: birth date lies after occurredAt']);
    expectNoPersonnummer(err, future);
  });

  // Regression: V8's JSON.parse message quotes the text around an unexpected token; a value in
  // single (or typographic) quotes is a typical integrator mistake and would leak the birth date.
  it('never echoes the personnummer in an INVALID_JSON message', () => {
    const err = rejection(`{"type":"discharge","personnummer":'194003071232',"episodeId":"E-1"}`, 9);
    expect(err.code).toBe('INVALID_JSON');
    expectNoPersonnummer(err);
  });
});

describe('parseNdjsonEvent: a reservnummer instead of a personnummer', () => {
  const ISSUER = '1.2.752.97.3.1.3';
  const ID = 'SE-2026-00A7';
  const RES_KEY = pseudonymiser.reservnummerKey(ISSUER, ID);
  /** The type's valid line with the personnummer swapped for a reservnummer (and an age for an admission). */
  const reserv = (type: (typeof EVENT_TYPES)[number], extra: Record<string, unknown> = {}) => {
    const { personnummer: _p, ...rest } = NDJSON_BY_TYPE[type];
    return { ...rest, reservnummer: ID, reservnummerIssuer: ISSUER, ...(type === 'admission' ? { ageYears: 67 } : {}), ...extra };
  };
  /** Neither the message nor the details may carry the reservnummer. */
  const expectNoReservnummer = (err: UtklarError, id: string) => {
    for (const text of [err.message, JSON.stringify(err.details)]) expect(text.toUpperCase()).not.toContain(id.trim().toUpperCase());
  };

  it.each(EVENT_TYPES.map((t) => [t]))('accepts a %s line and keys it in the reservnummer namespace', (type) => {
    const ev = parse(reserv(type), 4);
    expect(ev.type).toBe(type);
    expect(ev.patientKey).toBe(RES_KEY);
    expect(ev).not.toHaveProperty('reservnummer');
    expect(ev).not.toHaveProperty('reservnummerIssuer');
    expect(ev.data).not.toHaveProperty('reservnummer');
    expect(ev.data).not.toHaveProperty('reservnummerIssuer');
    expect(JSON.stringify(ev)).not.toContain(ID);
    // The same payload as the personnummer's line: only the key differs.
    const withPnr = parse(NDJSON_BY_TYPE[type]);
    expect(ev.data).toEqual(type === 'admission' ? { ...withPnr.data, ageYears: 67 } : withPnr.data);
  });

  it('one key for every spelling of the same local id (case, surrounding blanks)', () => {
    expect(parse(reserv('discharge', { reservnummer: ' se-2026-00a7 ' })).patientKey).toBe(RES_KEY);
    expect(parse(reserv('discharge', { reservnummer: 'SE-2026-00A8' })).patientKey).not.toBe(RES_KEY);
    expect(parse(reserv('discharge', { reservnummerIssuer: '1.2.752.97.3.1.4' })).patientKey).not.toBe(RES_KEY);
  });

  it('a reservnummer that reads like a personnummer is another patient, never that person', () => {
    for (const id of [PNR, '19400307-1232', '4003071232']) {
      const ev = parse(reserv('discharge', { reservnummer: id }));
      expect(ev.patientKey).toBe(pseudonymiser.reservnummerKey(ISSUER, id));
      expect(ev.patientKey).not.toBe(KEY);
    }
  });

  it('an admission keeps the ageYears it is given and refuses to go without one', () => {
    expect(parse(reserv('admission', { ageYears: 0 })).data).toMatchObject({ ageYears: 0 });
    const err = rejection(line(reserv('admission', { ageYears: undefined })), 6);
    expect(problemsOf(err)).toEqual(['ageYears: required for a reservnummer patient (a reservnummer carries no birth date)']);
    expect(problemsOf(rejection(line(reserv('admission', { ageYears: null }))))).toEqual([expect.stringMatching(/^ageYears: required for a reservnummer/)]);
    expectNoReservnummer(err, ID);
    // Other types have nothing to derive from the id.
    expect(() => parse(reserv('ready-for-discharge'))).not.toThrow();
  });

  it('wants exactly one of personnummer and reservnummer, and the issuer exactly with the reservnummer', () => {
    const both = rejection(line({ ...NDJSON_BY_TYPE.discharge, reservnummer: ID, reservnummerIssuer: ISSUER }));
    expect(problemsOf(both)).toEqual(['personnummer, reservnummer: give exactly one of them']);
    expectNoPersonnummer(both);
    expectNoReservnummer(both, ID);
    const { personnummer: _p, ...anonymous } = NDJSON_BY_TYPE.discharge;
    expect(problemsOf(rejection(line(anonymous)))).toEqual(['personnummer: required (or, for a patient without one, reservnummer and reservnummerIssuer)']);
    const noIssuer = rejection(line(reserv('discharge', { reservnummerIssuer: undefined })));
    expect(problemsOf(noIssuer)).toEqual([expect.stringMatching(/^reservnummerIssuer: required with a reservnummer/)]);
    expectNoReservnummer(noIssuer, ID);
    expect(problemsOf(rejection(line({ ...NDJSON_BY_TYPE.discharge, reservnummerIssuer: ISSUER })))).toEqual(['reservnummerIssuer: only together with reservnummer']);
  });

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['41 characters', `R${'1'.repeat(40)}`],
    ['a space inside', 'SE 2026 00A7'],
    ['a slash', 'SE/2026/00A7'],
    ['a letter outside A-Z', 'SE-2026-ÅÄÖ'],
    ['a number', 991234567],
  ])('refuses a reservnummer that is %s, without echoing it', (_what, id) => {
    const err = rejection(line(reserv('discharge', { reservnummer: id })));
    expect(err.code).toBe('INVALID_EVENT');
    expect(problemsOf(err)).toEqual(["reservnummer: expected 1–40 letters, digits or '-'"]);
    if (String(id).trim() !== '') expectNoReservnummer(err, String(id));
  });

  it('accepts 40 characters, and refuses an issuer that is no OID', () => {
    const forty = `R-${'1'.repeat(38)}`;
    expect(parse(reserv('discharge', { reservnummer: forty })).patientKey).toBe(pseudonymiser.reservnummerKey(ISSUER, forty));
    for (const issuer of ['', 'region-18', '1.2.752.97.3.1.3.', '1..2', 'urn:oid:1.2.752.97.3.1.3', 1.2]) {
      expect(problemsOf(rejection(line(reserv('discharge', { reservnummerIssuer: issuer }))))).toEqual([expect.stringMatching(/^reservnummerIssuer: expected the issuing authority's OID/)]);
    }
  });

  it('lists a reservnummer\'s problems with the line\'s other problems', () => {
    const err = rejection(line(reserv('admission', { ageYears: undefined, reservnummer: 'x y', careType: 'SURGICAL' })), 11);
    expect(err.message.startsWith('line 11: ')).toBe(true);
    expect(problemsOf(err)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^careType:/), expect.stringMatching(/^reservnummer: expected/), expect.stringMatching(/^ageYears: required for a reservnummer/),
    ]));
    expect(problemsOf(err)).toHaveLength(3);
  });
});

describe('parseNdjsonEvent: known bugs', () => {
  // Regression: a check with `name in spec` also sees Object.prototype's members.
  it.each(['toString', 'constructor', 'hasOwnProperty'])('reports the unknown field %s', (name) => {
    const err = rejection(line({ ...NDJSON_BY_TYPE.discharge, [name]: 'x' }));
    expect(problemsOf(err)).toEqual([`${name}: unknown field`]);
  });

  // Regression: Date.parse rolls 30 February over to 2 March instead of rejecting it.
  it('rejects a timestamp on a day that does not exist', () => {
    const err = rejection(line({ ...NDJSON_BY_TYPE.discharge, occurredAt: '2026-02-30T10:00:00+01:00' }));
    expect(problemsOf(err)).toEqual([expect.stringMatching(/^occurredAt: expected/)]);
  });
});

describe('parseNdjsonEvent on test/fixtures/two-episodes.ndjson', () => {
  const lines = readFileSync(FIXTURE, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const outcomes = lines.map((text, i) => {
    try {
      return { line: i + 1, event: parseNdjsonEvent(text, i + 1, pseudonymiser) };
    } catch (e) {
      return { line: i + 1, error: e as UtklarError };
    }
  });

  it('rejects exactly line 7 (truncated JSON) and line 8 (bad careType and kommunkod)', () => {
    const failed = outcomes.filter((o) => o.error);
    expect(failed.map((o) => [o.line, o.error!.code])).toEqual([
      [7, 'INVALID_JSON'],
      [8, 'INVALID_EVENT'],
    ]);
    expect(problemsOf(failed[1]!.error!)).toEqual([
      expect.stringMatching(/^careType:/),
      expect.stringMatching(/^homeMunicipality:/),
    ]);
    expectNoPersonnummer(failed[1]!.error!, '193204155679');
  });

  it('parses the other 10 lines, with one patientKey per person', () => {
    const events = outcomes.flatMap((o) => (o.event ? [o.event] : []));
    expect(events).toHaveLength(10);
    const keys = new Map(events.map((e) => [e.episodeId, e.patientKey]));
    expect(keys.get(episode('E-100'))).toBe(KEY);
    expect(keys.get(episode('E-200'))).toBe(KEY);
    expect(keys.get(episode('E-300'))).toBe(pseudonymiser.patientKey('195506201234'));
    expect(new Set(events.filter((e) => e.episodeId === episode('E-100')).map((e) => e.patientKey)).size).toBe(1);
  });

  it('reads the 10-digit personnummer of a patient born 1955 in the right century', () => {
    const e300 = outcomes.find((o) => o.event?.eventId === 'ehr-1011')!.event!;
    expect(e300.type === 'admission' && e300.data.ageYears).toBe(70); // born 1955-06-20, admitted 2026-03-29
    expect(e300.occurredAt).toBe(1_774_744_200_000);
  });
});

describe('the episode id: a keyed pseudonym of the source id and its issuer (docs/ndjson-contract.md)', () => {
  const ehr = { ...NDJSON_BY_TYPE.admission, source: 'ehr-cosmic', episodeId: 'VT-2026-000123' };
  const lifecare = { ...NDJSON_BY_TYPE['ready-for-discharge'], source: 'lifecare', episodeId: 'VT-2026-000123' };

  it('never passes the source id on: not in the event, nor in a readmission\'s index episode', () => {
    const ev = parse(ehr);
    expect(ev.episodeId).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(ev)).not.toContain('000123');
    const re = parse({ ...NDJSON_BY_TYPE.readmission, indexEpisodeId: 'VT-2026-000099' });
    expect(JSON.stringify(re)).not.toContain('000099');
    expect(re.type === 'readmission' && re.data.indexEpisodeId).toBe(episode('VT-2026-000099'));
  });

  it('lets the EHR\'s and the coordination system\'s events of one episode meet: the vårdtillfälle id both carry, not the source, is the key', () => {
    expect(parse(ehr).episodeId).toBe(parse(lifecare).episodeId);
    // A readmission names its index episode by the same id: it links to the episode as stored.
    expect(parse({ ...NDJSON_BY_TYPE.readmission, indexEpisodeId: 'VT-2026-000123' }).data).toEqual({ indexEpisodeId: parse(ehr).episodeId });
  });

  it('keeps two regions\' equal ids apart: the issuer is part of the key, from the event or the producer\'s setting', () => {
    const in18 = parse({ ...ehr, episodeIssuer: '18' }).episodeId;
    const in03 = parse({ ...ehr, episodeIssuer: '03' }).episodeId;
    expect(in18).not.toBe(in03);
    expect(in18).toBe(episode('VT-2026-000123', '18'));
    const producer18 = new Pseudonymiser(TEST_KEY, { episodeIssuer: '18' });
    expect(parseNdjsonEvent(line(ehr), 1, producer18).episodeId).toBe(in18);
    expect(parseNdjsonEvent(line(lifecare), 1, producer18).episodeId).toBe(in18);
    // The event's own issuer wins over the producer's.
    expect(parseNdjsonEvent(line({ ...ehr, episodeIssuer: '03' }), 1, producer18).episodeId).toBe(in03);
    expect(problemsOf(rejection(line({ ...ehr, episodeIssuer: '99' })))).toEqual([expect.stringMatching(/^episodeIssuer:/)]);
  });

  it('depends on the key: without it nobody can link a pseudonym to a source id', () => {
    expect(new Pseudonymiser('another-key-of-at-least-16-chars').episodeKey('', 'E-1')).not.toBe(episode('E-1'));
    // Apart from every patientKey and reservnummer key of the same text.
    expect(pseudonymiser.patientKey('E-1').slice(0, 32)).not.toBe(episode('E-1'));
  });
});
