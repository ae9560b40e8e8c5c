import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UtklarError } from '../../core/errors.ts';
import { ADMISSION_TYPES, CARE_TYPES, DESTINATIONS } from '../../contract/event.ts';
import { countyCodes, municipalities } from '../../reference/municipalities.ts';

/**
 * Where a region's EHR puts what utklar needs in an ADT message. EHRs differ (which PV1
 * component holds the ward, which codes mean acute), so this is a file a region edits, checked
 * whole at start: a wrong location or code would otherwise surface as dead letters in production.
 */
export const DEFAULT_MAPPING_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'adt-mapping.json');

/** `SEG-field[.component[.subcomponent]]`, 1-based as HL7 names them (PV1-3.1 = point of care). */
export interface Location {
  text: string;
  segment: string;
  field: number;
  component: number;
  subcomponent: number | null;
}

export interface FieldSpec {
  /** Locations tried in order; the first non-empty one wins. */
  from: Location[] | null;
  /** A constant (e.g. the region's länskod) instead of a location. */
  value: string | null;
  /** Source code → contract value; a code not listed is an error unless `otherwise` is set. */
  codes: Record<string, string> | null;
  otherwise: string | null;
  /** Used when every location is empty; without it (and without `optional`) an empty one is an error. */
  ifEmpty: string | null;
  optional: boolean;
}

export const FIELD_NAMES = [
  'episodeId', 'region', 'hospital', 'ward', 'clinic', 'businessArea', 'careType', 'admissionType', 'homeMunicipality',
  'primaryCareUnit', 'destination', 'admittedAt', 'dischargedAt', 'recordedAt', 'transferredAt',
  'informationTransferredAt', 'patientDeclinedServices',
] as const;

/** Read as HL7 times: a constant would be the same instant for every patient. */
const TIME_FIELDS: ReadonlySet<FieldName> = new Set<FieldName>(['admittedAt', 'dischargedAt', 'recordedAt', 'transferredAt', 'informationTransferredAt']);

/** What the contract lets an event leave out: these may be `optional` in the file. */
const MAY_BE_ABSENT: ReadonlySet<FieldName> = new Set<FieldName>(['primaryCareUnit', 'informationTransferredAt', 'patientDeclinedServices']);

/**
 * Fields added after mapping files were first written: a file without them reads these, so a
 * site's own mapping keeps loading (EVN-6 is when the event occurred, EVN-2 when it was recorded).
 */
const ADDED_LATER: Partial<Record<FieldName, { from: string[] }>> = {
  transferredAt: { from: ['EVN-6.1', 'EVN-2.1', 'MSH-7.1'] },
};
/**
 * Added later too, but with no standard HL7 field to default to: the shipped file reads them from
 * a Z-segment, whose meaning is each site's own, so a file that does not name them does not read
 * them (the events leave them out) rather than guess at a segment the region may use otherwise.
 */
const NOT_READ_UNLESS_NAMED: ReadonlySet<FieldName> = new Set<FieldName>(['informationTransferredAt', 'patientDeclinedServices']);

export type FieldName = (typeof FIELD_NAMES)[number];

export interface AdtMapping {
  file: string;
  source: string;
  identifiers: { personnummer: string; samordningsnummer: string; reservnummer: string[] };
  localTimeZone: string;
  /** A field with neither `from` nor `value` is not read (NOT_READ_UNLESS_NAMED). */
  fields: Record<FieldName, FieldSpec>;
}

const LOCATION = /^([A-Z][A-Z0-9]{2})-([1-9]\d{0,2})(?:\.([1-9]\d{0,1})(?:\.([1-9]\d{0,1}))?)?$/;
const OID = /^[0-2](\.(0|[1-9]\d*))+$/;
/** The contract's values each coded field must map to. */
const ALLOWED: Partial<Record<FieldName, readonly string[]>> = {
  careType: CARE_TYPES, admissionType: ADMISSION_TYPES, destination: DESTINATIONS, patientDeclinedServices: ['true', 'false'],
};

export function parseLocation(text: string): Location | undefined {
  const m = LOCATION.exec(text);
  if (!m) return undefined;
  return { text, segment: m[1]!, field: Number(m[2]), component: m[3] ? Number(m[3]) : 1, subcomponent: m[4] ? Number(m[4]) : null };
}

export function loadAdtMapping(file = DEFAULT_MAPPING_FILE): AdtMapping {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UtklarError('CONFIG', `HL7 mapping ${file}: ${(e as Error).message}`);
  }
  return parseAdtMapping(raw, file);
}

/** Every problem of the file at once, each named by its JSON path. */
export function parseAdtMapping(raw: unknown, file: string): AdtMapping {
  const problems: string[] = [];
  const obj = (v: unknown, at: string): Record<string, unknown> => {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
    problems.push(`${at}: expected an object`);
    return {};
  };
  const only = (o: Record<string, unknown>, at: string, keys: readonly string[]) => {
    for (const k of Object.keys(o)) if (!keys.includes(k)) problems.push(`${at}.${k}: unknown key (known: ${keys.join(', ')})`);
  };
  const text = (v: unknown, at: string): string => {
    if (typeof v === 'string' && v.trim() !== '' && v.length <= 200) return v;
    problems.push(`${at}: expected a non-empty string`);
    return '';
  };
  const oid = (v: unknown, at: string): string => {
    if (typeof v === 'string' && OID.test(v)) return v;
    problems.push(`${at}: expected an OID such as 1.2.752.129.2.1.3.1`);
    return '';
  };

  const top = obj(raw, '$');
  only(top, '$', ['source', 'identifiers', 'localTimeZone', 'fields']);
  const ids = obj(top.identifiers, '$.identifiers');
  only(ids, '$.identifiers', ['personnummer', 'samordningsnummer', 'reservnummer']);
  const reservnummer = ids.reservnummer === undefined ? [] : Array.isArray(ids.reservnummer) ? ids.reservnummer.map((v, i) => oid(v, `$.identifiers.reservnummer[${i}]`)) : (problems.push('$.identifiers.reservnummer: expected a list of OIDs'), []);
  const localTimeZone = text(top.localTimeZone ?? 'Europe/Stockholm', '$.localTimeZone');
  try {
    new Intl.DateTimeFormat('en', { timeZone: localTimeZone });
  } catch {
    problems.push(`$.localTimeZone: '${localTimeZone}' is not a time zone`);
  }

  const fieldsRaw = obj(top.fields, '$.fields');
  only(fieldsRaw, '$.fields', FIELD_NAMES);
  const fields = {} as Record<FieldName, FieldSpec>;
  for (const name of FIELD_NAMES) {
    const at = `$.fields.${name}`;
    if (fieldsRaw[name] === undefined && ADDED_LATER[name]) fieldsRaw[name] = ADDED_LATER[name];
    if (fieldsRaw[name] === undefined && NOT_READ_UNLESS_NAMED.has(name)) {
      fields[name] = { from: null, value: null, codes: null, otherwise: null, ifEmpty: null, optional: true };
      continue;
    }
    if (fieldsRaw[name] === undefined) {
      problems.push(`${at}: required`);
      continue;
    }
    const f = obj(fieldsRaw[name], at);
    only(f, at, ['from', 'value', 'codes', 'otherwise', 'ifEmpty', 'optional']);
    const allowed = ALLOWED[name];
    const contractValue = (v: unknown, where: string): string => {
      const s = text(v, where);
      if (allowed && s !== '' && !allowed.includes(s)) problems.push(`${where}: expected one of ${allowed.join(', ')}`);
      if (name === 'region' && s !== '' && !countyCodes.has(s)) problems.push(`${where}: expected a länskod such as "18"`);
      if (name === 'homeMunicipality' && s !== '' && !municipalities.has(s)) problems.push(`${where}: expected a kommunkod such as "1880"`);
      return s;
    };
    let from: Location[] | null = null;
    if (f.from !== undefined) {
      if (!Array.isArray(f.from) || f.from.length === 0) problems.push(`${at}.from: expected a list of locations such as "PV1-3.1"`);
      else {
        from = f.from.map((l, i) => {
          const loc = typeof l === 'string' ? parseLocation(l) : undefined;
          if (!loc) problems.push(`${at}.from[${i}]: expected a location SEG-field[.component[.subcomponent]], e.g. "PV1-3.1", got ${JSON.stringify(l)}`);
          return loc!;
        });
      }
    }
    const value = f.value === undefined ? null : contractValue(f.value, `${at}.value`);
    if ((from === null) === (value === null)) problems.push(`${at}: give exactly one of "from" (locations) or "value" (a constant)`);
    if (TIME_FIELDS.has(name) && value !== null) problems.push(`${at}.value: a time is read from the message ("from"), not a constant`);
    const codes = f.codes === undefined ? null : Object.fromEntries(Object.entries(obj(f.codes, `${at}.codes`)).map(([k, v]) => [k, contractValue(v, `${at}.codes.${k}`)]));
    if (allowed && from !== null && codes === null) problems.push(`${at}: a coded field read from the message needs "codes" (source code → ${allowed.join(' | ')})`);
    if (f.optional !== undefined && typeof f.optional !== 'boolean') problems.push(`${at}.optional: expected true or false`);
    if (f.optional === true && !MAY_BE_ABSENT.has(name)) problems.push(`${at}.optional: only ${[...MAY_BE_ABSENT].join(', ')} may be absent (the contract requires ${name})`);
    fields[name] = {
      from,
      value,
      codes,
      otherwise: f.otherwise === undefined ? null : contractValue(f.otherwise, `${at}.otherwise`),
      ifEmpty: f.ifEmpty === undefined ? null : contractValue(f.ifEmpty, `${at}.ifEmpty`),
      optional: f.optional === true,
    };
  }
  const mapping: AdtMapping = {
    file,
    source: text(top.source, '$.source'),
    identifiers: { personnummer: oid(ids.personnummer, '$.identifiers.personnummer'), samordningsnummer: oid(ids.samordningsnummer, '$.identifiers.samordningsnummer'), reservnummer },
    localTimeZone,
    fields,
  };
  if (problems.length > 0) throw new UtklarError('CONFIG', `HL7 mapping ${file}: ${problems.join('; ')}`);
  return mapping;
}
