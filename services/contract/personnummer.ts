import { UtklarError } from '../core/errors.ts';
import { stockholmDate, type CalendarDate } from '../core/stockholm-time.ts';

/**
 * Swedish personnummer / samordningsnummer handling. Only the producer edge sees these; error
 * messages here never echo the number itself (they end up in logs and reports).
 */
export interface Personnummer {
  /** 12 digits, YYYYMMDDNNNN: the one form that is hashed, so every spelling gives one key. */
  normalised: string;
  birthDate: CalendarDate;
  coordinationNumber: boolean;
}

const LONG = /^(\d{4})(\d{2})(\d{2})[-+]?(\d{4})$/;
const SHORT = /^(\d{2})(\d{2})(\d{2})([-+]?)(\d{4})$/;

function luhnOk(tenDigits: string): boolean {
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    let d = Number(tenDigits[i]) * (i % 2 === 0 ? 2 : 1);
    if (d > 9) d -= 9;
    sum += d;
  }
  return sum % 10 === 0;
}

/** `reference` decides the century of a 10-digit form ('+' means 100 years or older). */
export function parsePersonnummer(raw: string, reference: CalendarDate): Personnummer {
  const s = raw.trim().replace(/\s/g, '');
  let year: number, month: number, dayField: number, tail: string;
  const long = LONG.exec(s);
  const short = long ? null : SHORT.exec(s);
  if (long) {
    year = Number(long[1]);
    month = Number(long[2]);
    dayField = Number(long[3]);
    tail = long[4]!;
  } else if (short) {
    const yy = Number(short[1]);
    month = Number(short[2]);
    dayField = Number(short[3]);
    tail = short[5]!;
    let century = Math.floor(reference.year / 100) * 100;
    // The most recent date with these digits that is not after the reference date.
    const day = dayField > 60 ? dayField - 60 : dayField;
    const candidate = (century + yy) * 10_000 + month * 100 + day;
    if (candidate > reference.year * 10_000 + reference.month * 100 + reference.day) century -= 100;
    if (short[4] === '+') century -= 100;
    year = century + yy;
  } else {
    throw new UtklarError('INVALID_EVENT', 'personnummer: expected YYYYMMDD-NNNN, YYYYMMDDNNNN or YYMMDD-NNNN');
  }
  const coordinationNumber = dayField > 60;
  const day = coordinationNumber ? dayField - 60 : dayField;
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (month < 1 || month > 12 || day < 1 || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) {
    throw new UtklarError('INVALID_EVENT', 'personnummer: the date part is not a calendar date');
  }
  const yymmdd = `${String(year % 100).padStart(2, '0')}${String(month).padStart(2, '0')}${String(dayField).padStart(2, '0')}`;
  if (!luhnOk(yymmdd + tail)) {
    throw new UtklarError('INVALID_EVENT', 'personnummer: check digit does not match');
  }
  return {
    normalised: `${year}${yymmdd.slice(2)}${tail}`,
    birthDate: { year, month, day },
    coordinationNumber,
  };
}

/** Whole years of age on the Stockholm calendar date of `atMs`. */
export function ageAt(birth: CalendarDate, atMs: number): number {
  const at = stockholmDate(atMs);
  let age = at.year - birth.year;
  if (at.month < birth.month || (at.month === birth.month && at.day < birth.day)) age -= 1;
  return age;
}

/** Appends a valid check digit; the simulator uses it to make synthetic numbers. */
export function withCheckDigit(yyyymmddNNN: string): string {
  const nine = yyyymmddNNN.slice(2);
  for (let c = 0; c <= 9; c++) if (luhnOk(nine + c)) return `${yyyymmddNNN}${c}`;
  throw new Error('unreachable');
}
