import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CARE_TYPES, TRACK_COLOURS } from '../contract/event.ts';
import { UtklarError } from '../core/errors.ts';
import { epochDay, fromEpochDay, isoDate } from '../core/stockholm-time.ts';
import { countyCodes } from '../reference/municipalities.ts';
import type { EligibilityCondition, RegionRules } from '../clock/rules.ts';
import { parseJsonWithLines, type LocatedJson } from './json-with-lines.ts';

type CareType = (typeof CARE_TYPES)[number];

export const AGREEMENTS_DIR = path.dirname(fileURLToPath(import.meta.url));
/** Socialstyrelsen's amount per day, year by year, with where each figure comes from (docs/agreements.md). */
export const NATIONAL_AMOUNTS_FILE = path.join(AGREEMENTS_DIR, 'amounts', 'socialstyrelsen.json');

const CONDITIONS = ['admission-notice-in-time', 'ready-notice-sent', 'sip-called-in-time', 'fast-vardkontakt-appointed', 'information-transferred-by-discharge', 'patient-did-not-decline'] as const satisfies readonly EligibilityCondition[];

/**
 * Not terms of a payment agreement but how episodes are measured and kept: the same for every
 * region, carried into each agreement's RegionRules because the clock reads them from there.
 */
const MEASUREMENT: Pick<RegionRules, 'readmission' | 'allowedLatenessMs' | 'retainClosedEpisodeDays'> = {
  readmission: { windowDays: 30, minDays: 1, acuteOnly: true, sameRegionOnly: true },
  allowedLatenessMs: 7 * 86_400_000,
  retainClosedEpisodeDays: 31,
};

/** One version of a region's agreement, in force from `validFrom` through `validTo`. */
export interface Agreement {
  /** `<file name>#<validFrom>`: names the agreement an invoice line was computed under. */
  id: string;
  file: string;
  line: number;
  /** Länskod, or '*' for the law's defaults (every region without an agreement of its own). */
  region: string;
  name: string;
  /** Stockholm epoch days, both inclusive; null: until further notice. */
  validFrom: number;
  validTo: number | null;
  rules: RegionRules;
}

/** Where a path in the repository is shown from, so messages read `services/agreements/orebro.json:12`. */
export const shownPath = (file: string) => {
  const rel = path.relative(path.resolve(AGREEMENTS_DIR, '../..'), file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
};

function read(file: string): LocatedJson {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UtklarError('CONFIG', `agreement file ${shownPath(file)}: ${(e as Error).message}`);
  }
  return parseJsonWithLines(text, shownPath(file));
}

/** Collects every problem of a file, each as `file:line: $.path: what is wrong`. */
class Checker {
  readonly problems: string[] = [];
  constructor(private readonly file: string, private readonly json: LocatedJson) {}
  fail(at: string, what: string): void {
    this.problems.push(`${this.file}:${this.json.lineOf(at)}: ${at}: ${what}`);
  }
  object(v: unknown, at: string, keys: readonly string[], required: readonly string[] = keys): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      this.fail(at, v === undefined ? 'required' : 'expected an object');
      return {};
    }
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!keys.includes(k)) this.fail(`${at}.${k}`, `unknown key (known: ${keys.join(', ')})`);
    for (const k of required) if (o[k] === undefined) this.fail(`${at}.${k}`, 'required');
    return o;
  }
  oneOf<T extends string>(v: unknown, at: string, allowed: readonly T[]): T {
    if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
    if (v !== undefined) this.fail(at, `expected one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${JSON.stringify(v)}`);
    return allowed[0]!;
  }
  number(v: unknown, at: string, { min = 0, max = Infinity, integer = false } = {}): number {
    if (typeof v === 'number' && v >= min && v <= max && (!integer || Number.isInteger(v))) return v;
    if (v !== undefined) this.fail(at, `expected ${integer ? 'a whole number' : 'a number'} ${max < Infinity ? `from ${min} to ${max}` : `≥ ${min}`}, got ${JSON.stringify(v)}`);
    return min;
  }
  boolean(v: unknown, at: string): boolean {
    if (typeof v === 'boolean') return v;
    if (v !== undefined) this.fail(at, `expected true or false, got ${JSON.stringify(v)}`);
    return false;
  }
  text(v: unknown, at: string): string {
    if (typeof v === 'string' && v.trim() !== '') return v;
    if (v !== undefined) this.fail(at, 'expected a non-empty string');
    return '';
  }
  perCareType(v: unknown, at: string, what: { min?: number; integer?: boolean }): Record<CareType, number> {
    const o = this.object(v, at, CARE_TYPES);
    return Object.fromEntries(CARE_TYPES.map((c) => [c, this.number(o[c], `${at}.${c}`, what)])) as Record<CareType, number>;
  }
  /** A year → SEK table; keys are calendar years, values whole kronor. */
  amounts(v: unknown, at: string): Record<number, number> {
    const o = this.object(v, at, Object.keys((v ?? {}) as object), []);
    const out: Record<number, number> = {};
    for (const [k, sek] of Object.entries(o)) {
      if (!/^(20\d\d)$/.test(k)) this.fail(`${at}.${k}`, 'expected a calendar year such as "2024" as the key');
      else out[Number(k)] = this.number(sek, `${at}.${k}`, { min: 1, integer: true });
    }
    return out;
  }
  /** "YYYY-MM-DD" as a Stockholm epoch day; `edge` says which day of the year it must be. */
  date(v: unknown, at: string, edge: '01-01' | '12-31'): number {
    const m = typeof v === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(v) : null;
    const d = m ? { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) } : null;
    if (!d || isoDate(fromEpochDay(epochDay(d))) !== v) {
      if (v !== undefined) this.fail(at, `expected a date "YYYY-MM-DD", got ${JSON.stringify(v)}`);
      return 0;
    }
    // An agreement changes on 1 January, so a month (or the three months of a rolling average)
    // never has episodes under two versions of one region's agreement.
    if (v.slice(5) !== edge) this.fail(at, `an agreement is in force whole calendar years: expected ${d.year}-${edge}, got "${v}"`);
    return epochDay(d);
  }
  done(): void {
    if (this.problems.length > 0) throw new UtklarError('CONFIG', `${this.file}: ${this.problems.length} problem(s):\n  ${this.problems.join('\n  ')}`);
  }
}

let nationalAmounts: Record<number, number> | undefined;

/** Socialstyrelsen's table, checked like an agreement: every figure names its source. */
export function loadNationalAmounts(file = NATIONAL_AMOUNTS_FILE): Record<number, number> {
  if (file === NATIONAL_AMOUNTS_FILE && nationalAmounts) return nationalAmounts;
  const json = read(file);
  const c = new Checker(shownPath(file), json);
  const top = c.object(json.value, '$', ['description', 'amountPerDayByYear', 'sources', 'withoutFigure'], ['amountPerDayByYear', 'sources']);
  const table = c.amounts(top.amountPerDayByYear, '$.amountPerDayByYear');
  const sources = c.object(top.sources, '$.sources', Object.keys((top.sources ?? {}) as object), []);
  for (const year of Object.keys(table)) if (typeof sources[year] !== 'string') c.fail(`$.amountPerDayByYear.${year}`, `no source given in $.sources.${year}: a figure without a source is not billed`);
  const without = Array.isArray(top.withoutFigure) ? top.withoutFigure : [];
  without.forEach((y, i) => { if (Object.hasOwn(table, String(y))) c.fail(`$.withoutFigure[${i}]`, `${String(y)} has a figure in $.amountPerDayByYear`); });
  c.done();
  if (file === NATIONAL_AMOUNTS_FILE) nationalAmounts = table;
  return table;
}

/** A region's agreement file: every version in it, checked whole (every problem at once). */
export function loadAgreementFile(file: string): Agreement[] {
  const json = read(file);
  const shown = shownPath(file);
  const c = new Checker(shown, json);
  const top = c.object(json.value, '$', ['region', 'name', 'versions', 'description'], ['region', 'name', 'versions']);
  const region = typeof top.region === 'string' && (top.region === '*' || countyCodes.has(top.region)) ? top.region
    : (top.region !== undefined && c.fail('$.region', `expected a länskod such as "18" (or "*" for the law's defaults), got ${JSON.stringify(top.region)}`), '');
  const name = c.text(top.name, '$.name');
  const national = loadNationalAmounts();
  const versions = Array.isArray(top.versions) ? top.versions : (top.versions !== undefined && c.fail('$.versions', 'expected a list of agreement versions'), []);
  if (Array.isArray(top.versions) && versions.length === 0) c.fail('$.versions', 'expected at least one version');
  const out: Agreement[] = versions.map((raw, i) => {
    const at = `$.versions[${i}]`;
    const v = c.object(raw, at, ['validFrom', 'validTo', 'title', 'model', 'noon', 'conditions', 'amountPerDayByYear'], ['validFrom', 'model', 'noon', 'conditions']);
    const validFrom = c.date(v.validFrom, `${at}.validFrom`, '01-01');
    const validTo = v.validTo === undefined || v.validTo === null ? null : c.date(v.validTo, `${at}.validTo`, '12-31');
    if (validTo !== null && validTo < validFrom) c.fail(`${at}.validTo`, 'ends before validFrom');
    const m = c.object(v.model, `${at}.model`, ['type', 'freeDays', 'threshold', 'period', 'includeDayZeroDischarges', 'billable'], ['type']);
    const type = c.oneOf(m.type, `${at}.model.type`, ['free-days', 'municipal-average'] as const);
    const only = (keys: string[]) => { for (const k of Object.keys(m)) if (!['type', ...keys].includes(k)) c.fail(`${at}.model.${k}`, `not a setting of model "${type}" (its settings: ${keys.join(', ')})`); };
    let payment: RegionRules['payment'];
    if (type === 'free-days') {
      only(['freeDays']);
      payment = { model: 'free-days', freeDays: c.perCareType(m.freeDays, `${at}.model.freeDays`, { integer: true }) };
    } else {
      only(['threshold', 'period', 'includeDayZeroDischarges', 'billable']);
      for (const k of ['threshold', 'period', 'includeDayZeroDischarges', 'billable']) if (m[k] === undefined) c.fail(`${at}.model.${k}`, 'required');
      const byCare = typeof m.threshold === 'number' ? null : c.perCareType(m.threshold, `${at}.model.threshold`, {});
      const threshold = byCare ? byCare.SOMATIC : c.number(m.threshold, `${at}.model.threshold`);
      payment = {
        model: 'municipal-average',
        threshold,
        period: c.oneOf(m.period, `${at}.model.period`, ['month', 'rolling-3-months'] as const),
        includeDayZeroDischarges: c.boolean(m.includeDayZeroDischarges, `${at}.model.includeDayZeroDischarges`),
        billable: c.oneOf(m.billable, `${at}.model.billable`, ['all-days', 'days-above-threshold'] as const),
        ...(byCare && CARE_TYPES.some((t) => byCare[t] !== threshold) ? { thresholdByCareType: byCare } : {}),
      };
    }
    const noon = c.object(v.noon, `${at}.noon`, ['hour', 'inclusive']);
    const cond = c.object(v.conditions, `${at}.conditions`, ['required', 'admissionNoticeWithinHours', 'sipCalledWithinDays', 'fastVardkontaktRequiredFor']);
    const list = <T extends string>(x: unknown, where: string, allowed: readonly T[]): T[] => {
      if (!Array.isArray(x)) return (x !== undefined && c.fail(where, 'expected a list'), []);
      const seen = x.map((e, j) => c.oneOf(e, `${where}[${j}]`, allowed));
      if (new Set(seen).size !== seen.length) c.fail(where, 'lists a value twice');
      return seen;
    };
    const rules: RegionRules = {
      noon: { hour: c.number(noon.hour, `${at}.noon.hour`, { max: 23, integer: true }), inclusive: c.boolean(noon.inclusive, `${at}.noon.inclusive`) },
      payment,
      conditions: list(cond.required, `${at}.conditions.required`, CONDITIONS),
      admissionNoticeWithinHours: c.number(cond.admissionNoticeWithinHours, `${at}.conditions.admissionNoticeWithinHours`, { min: 1, integer: true }),
      sipCalledWithinDays: c.number(cond.sipCalledWithinDays, `${at}.conditions.sipCalledWithinDays`, { integer: true }),
      fastVardkontaktRequiredFor: list(cond.fastVardkontaktRequiredFor, `${at}.conditions.fastVardkontaktRequiredFor`, TRACK_COLOURS),
      amountPerDayByYear: { ...national, ...(v.amountPerDayByYear === undefined ? {} : c.amounts(v.amountPerDayByYear, `${at}.amountPerDayByYear`)) },
      ...MEASUREMENT,
    };
    return { id: `${path.basename(file)}#${typeof v.validFrom === 'string' ? v.validFrom : i}`, file: shown, line: json.lineOf(at), region, name: v.title === undefined ? name : c.text(v.title, `${at}.title`), validFrom, validTo, rules };
  });
  out.forEach((a, i) => {
    const next = out[i + 1];
    if (next && (a.validTo === null || a.validTo >= next.validFrom)) c.fail(`$.versions[${i + 1}].validFrom`, `overlaps $.versions[${i}] (versions are listed oldest first, each ending before the next begins)`);
  });
  c.done();
  return out;
}
