import type { Hl7Message } from '@medplum/core';
import type { Location } from './adt-mapping.ts';

export interface Separators {
  fieldSeparator: string;
  componentSeparator: string;
  subcomponentSeparator: string;
  repetitionSeparator: string;
}
const STANDARD: Separators = { fieldSeparator: '|', componentSeparator: '^', subcomponentSeparator: '&', repetitionSeparator: '~' };

/**
 * Reading values out of an ER7 message. @medplum/core splits segments, fields, repetitions and
 * components but leaves escape sequences and subcomponents to the caller.
 */
export function unescapeHl7(value: string, escape = '\\', separators: Separators = STANDARD): string {
  if (!value.includes(escape)) return value;
  const e = escape.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return value.replace(new RegExp(`${e}(F|S|T|R|E|\\.br|X[0-9A-Fa-f]+)${e}`, 'g'), (_m, code: string) => {
    // \F\ and the like stand for the separators the message declares in MSH-1/MSH-2, not |^&~.
    switch (code) {
      case 'F': return separators.fieldSeparator;
      case 'S': return separators.componentSeparator;
      case 'T': return separators.subcomponentSeparator;
      case 'R': return separators.repetitionSeparator;
      case 'E': return escape;
      case '.br': return ' ';
      default: return Buffer.from(code.slice(1), 'hex').toString('latin1');
    }
  });
}

/** The value at a location, first repetition; a component without a subcomponent named gives its first. */
export function valueAt(message: Hl7Message, loc: Location): string {
  const segment = message.getSegment(loc.segment);
  const field = segment?.getField(loc.field);
  if (!field) return '';
  const component = field.getComponent(loc.component, undefined, 0);
  const sub = component.split(message.context.subcomponentSeparator)[(loc.subcomponent ?? 1) - 1] ?? '';
  return unescapeHl7(sub, message.context.escapeCharacter, message.context).trim();
}

const DTM = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(?:(\d{2})(?:\.(\d{1,4}))?)?(?:([+-])(\d{2})(\d{2}))?$/;

const wallClock = (zone: string) => new Intl.DateTimeFormat('en-CA', {
  timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
});
const clocks = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock fields of an instant in a zone, as if they were UTC (to compare with a local time). */
function wallAsUtc(ms: number, zone: string): number {
  let f = clocks.get(zone);
  if (!f) clocks.set(zone, (f = wallClock(zone)));
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) + (((ms % 1000) + 1000) % 1000);
}

export type Hl7Time = { ok: true; ms: number; iso: string } | { ok: false; problem: string };

/**
 * An HL7 DTM to an instant. With an offset it is exact; without one (common in Swedish EHRs) it
 * is wall-clock time in `zone`, which in the hour the clocks go back happens twice and in the hour
 * they go forward never: both are refused rather than guessed, as the NDJSON contract refuses a
 * time without offset. At least minutes are required (a day alone is no event time).
 */
export function parseHl7Time(text: string, zone: string): Hl7Time {
  const m = DTM.exec(text);
  if (!m) return { ok: false, problem: `'${text}' is not an HL7 time YYYYMMDDHHMM[SS[.S]][+ZZZZ]` };
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number];
  const millis = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  const probe = new Date(local);
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    return { ok: false, problem: `'${text}' is not a calendar time` };
  }
  let ms: number;
  if (m[8]) {
    ms = local - (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10])) * 60_000;
  } else {
    // Each offset the zone has around that day gives a candidate; the ones that read back as the
    // same wall-clock time are the instants meant.
    const offsets = new Set([-86_400_000, 0, 86_400_000].map((d) => wallAsUtc(local + d, zone) - (local + d)));
    const fits = [...offsets].map((o) => local - o).filter((c) => wallAsUtc(c, zone) === local);
    if (fits.length === 0) return { ok: false, problem: `'${text}' does not exist in ${zone} (the hour the clocks go forward): send it with an offset` };
    if (fits.length > 1) return { ok: false, problem: `'${text}' happens twice in ${zone} (the hour the clocks go back): send it with an offset` };
    ms = fits[0]!;
  }
  return { ok: true, ms, iso: new Date(ms).toISOString() };
}
