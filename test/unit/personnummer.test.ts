import { describe, expect, it } from 'vitest';
import { UtklarError } from '../../services/core/errors.ts';
import type { CalendarDate } from '../../services/core/stockholm-time.ts';
import { ageAt, parsePersonnummer, withCheckDigit } from '../../services/contract/personnummer.ts';

const REF: CalendarDate = { year: 2026, month: 3, day: 7 };

/** Parses and returns the thrown UtklarError (fails the test when nothing is thrown). */
function failure(raw: string, reference: CalendarDate = REF): UtklarError {
  try {
    parsePersonnummer(raw, reference);
  } catch (e) {
    expect(e).toBeInstanceOf(UtklarError);
    return e as UtklarError;
  }
  throw new Error(`expected parsePersonnummer to reject a value`);
}

/** No digit of the number (or any digit at all) may leak into an error message. */
function expectNoDigits(err: UtklarError): void {
  expect(err.message).not.toMatch(/\d/);
  expect(JSON.stringify(err.details)).not.toMatch(/\d/);
}

describe('parsePersonnummer', () => {
  it.each([
    ['194003071232', 1940, 3, 7],
    ['193204155679', 1932, 4, 15],
    ['195506201234', 1955, 6, 20],
    ['19121212-1212', 1912, 12, 12],
  ])('accepts the known valid number %s', (raw, year, month, day) => {
    const p = parsePersonnummer(raw, REF);
    expect(p.birthDate).toEqual({ year, month, day });
    expect(p.normalised).toBe(raw.replace('-', ''));
    expect(p.coordinationNumber).toBe(false);
  });

  it('gives one normalised form for every spelling of the same number', () => {
    const spellings = ['194003071232', '19400307-1232', '4003071232', '400307-1232', ' 400307 - 1232 '];
    for (const s of spellings) expect(parsePersonnummer(s, REF).normalised).toBe('194003071232');
  });

  it('infers the century of a 10-digit number relative to the reference date', () => {
    expect(parsePersonnummer('121212-1212', REF).birthDate.year).toBe(2012);
    expect(parsePersonnummer('121212-1212', { year: 2011, month: 6, day: 1 }).birthDate.year).toBe(1912);
    expect(parsePersonnummer('550620-1234', REF).normalised).toBe('195506201234');
  });

  it("treats '+' as 100 years or older", () => {
    const plus = parsePersonnummer('121212+1212', REF);
    expect(plus.birthDate).toEqual({ year: 1912, month: 12, day: 12 });
    expect(plus.normalised).toBe('191212121212');
    expect(parsePersonnummer('121212-1212', REF).normalised).toBe('201212121212');
  });

  it('recognises a samordningsnummer (day + 60) and keeps the real birth date', () => {
    const raw = withCheckDigit('19400367123'); // 7 March 1940 as a coordination number
    const p = parsePersonnummer(raw, REF);
    expect(p.coordinationNumber).toBe(true);
    expect(p.birthDate).toEqual({ year: 1940, month: 3, day: 7 });
    expect(p.normalised).toBe(raw);
  });

  it('rejects a wrong check digit without echoing the number', () => {
    const err = failure('194003071233');
    expect(err.code).toBe('INVALID_EVENT');
    expect(err.message).toMatch(/check digit/);
    expectNoDigits(err);
  });

  it('rejects a date that is not on the calendar (30 February) without echoing the number', () => {
    const err = failure(withCheckDigit('19400230123'));
    expect(err.code).toBe('INVALID_EVENT');
    expect(err.message).toMatch(/calendar date/);
    expectNoDigits(err);
  });

  it.each(['19401307', '194013071232', '194000071234', '19400332-1234', withCheckDigit('19400392123')])(
    'rejects the bad month/day in %s',
    (raw) => {
      const err = failure(raw);
      expectNoDigits(err);
    },
  );

  it('accepts 29 February only in leap years', () => {
    expect(parsePersonnummer(withCheckDigit('20240229123'), REF).birthDate).toEqual({ year: 2024, month: 2, day: 29 });
    expect(failure(withCheckDigit('20230229123')).message).toMatch(/calendar date/);
  });

  it.each(['', 'abc', '19400307123', '19400307-12321', '400307_1232', '4003071232X'])(
    'rejects the malformed value %j without echoing it',
    (raw) => {
      const err = failure(raw);
      expect(err.code).toBe('INVALID_EVENT');
      expect(err.message).toMatch(/expected YYYYMMDD-NNNN/);
      expectNoDigits(err);
    },
  );

  // Regression: choosing the century by year alone put a birthday later in the reference year
  // in the future instead of 100 years earlier.
  it('resolves a 10-digit number whose birthday is later in the reference year to the previous century', () => {
    const raw = withCheckDigit('19260308123').slice(2); // 99-year-old, born 8 March 1926
    const short = `${raw.slice(0, 6)}-${raw.slice(6)}`;
    expect(parsePersonnummer(short, REF).birthDate.year).toBe(1926);
  });
});

describe('withCheckDigit', () => {
  it('appends the Luhn digit of the known numbers', () => {
    expect(withCheckDigit('19400307123')).toBe('194003071232');
    expect(withCheckDigit('19320415567')).toBe('193204155679');
    expect(withCheckDigit('19550620123')).toBe('195506201234');
    expect(withCheckDigit('19121212121')).toBe('191212121212');
  });

  it('produces numbers that parsePersonnummer accepts, and only one digit works', () => {
    for (const nine of ['19800101000', '20010915987', '19990228555']) {
      const full = withCheckDigit(nine);
      expect(full).toHaveLength(12);
      expect(parsePersonnummer(full, REF).normalised).toBe(full);
      const wrong = `${nine}${(Number(full.at(-1)) + 1) % 10}`;
      expect(() => parsePersonnummer(wrong, REF)).toThrow(/check digit/);
    }
  });
});

describe('ageAt', () => {
  const born = { year: 1940, month: 3, day: 7 };

  it('counts the birthday by the Stockholm calendar date, not the UTC one', () => {
    // 23:30 UTC on 6 March is 00:30 on 7 March in Stockholm (CET, UTC+1).
    expect(ageAt(born, Date.parse('2026-03-06T23:30:00Z'))).toBe(86);
    expect(ageAt(born, Date.parse('2026-03-06T22:59:59Z'))).toBe(85);
  });

  it('is one year less the day before the birthday and the same the rest of the year', () => {
    expect(ageAt(born, Date.parse('2026-03-06T12:00:00+01:00'))).toBe(85);
    expect(ageAt(born, Date.parse('2026-03-07T12:00:00+01:00'))).toBe(86);
    expect(ageAt(born, Date.parse('2026-12-31T12:00:00+01:00'))).toBe(86);
    expect(ageAt(born, Date.parse('2026-01-01T12:00:00+01:00'))).toBe(85);
  });

  it('handles a birthday in summer time (CEST, UTC+2)', () => {
    const summer = { year: 1955, month: 6, day: 20 };
    expect(ageAt(summer, Date.parse('2026-06-19T22:00:00Z'))).toBe(71); // 00:00 on 20 June
    expect(ageAt(summer, Date.parse('2026-06-19T21:59:59Z'))).toBe(70);
  });

  it('gives a negative age for a birth after the instant', () => {
    expect(ageAt({ year: 2026, month: 3, day: 8 }, Date.parse('2026-03-07T12:00:00Z'))).toBe(-1);
  });
});
