import { UtklarError } from '../../core/errors.ts';
import type { CodeableConcept, Coding, Encounter, EncounterLocation, Extension, Identifier, Meta, OperationOutcome, OperationOutcomeIssue, Patient, Period, Reference } from './fhir-types.ts';
import { FhirProblem } from './fhir-problem.ts';
import { transferEventId, wardHistory, type WardStay } from './location-history.ts';
import { patientIdentity, reservnummerAge, SYSTEMS } from './patient-identity.ts';

/**
 * A FHIR R4 Encounter → events in the NDJSON contract's public form (validated and pseudonymised
 * afterwards by the shared ingest path), or why not. The Encounter's status says which event it
 * is, its location history the moves (location-history.ts); what R4's Encounter has no element
 * for (home municipality, region, care type, the discharge's payment conditions) comes from
 * utklar's extensions. Pure; docs/hl7-sources.md has the table.
 */
export { SYSTEMS };

const EXT = 'https://utklar.se/fhir/StructureDefinition/';
export const EXTENSIONS = {
  region: `${EXT}region`,
  homeMunicipality: `${EXT}home-municipality`,
  careType: `${EXT}care-type`,
  /** valueDateTime; on a finished Encounter: the discharge's `informationTransferredAt`. */
  informationTransferredAt: `${EXT}information-transferred-at`,
  /** valueBoolean; on a finished Encounter: the discharge's `patientDeclinedServices`. */
  patientDeclinedServices: `${EXT}patient-declined-services`,
} as const;

/** hl7.org/fhir/discharge-disposition → the contract's destination. */
const DISPOSITION: Record<string, string> = {
  home: 'HOME', 'alt-home': 'HOME', aadvice: 'HOME', 'other-hcf': 'OTHER_HOSPITAL', hosp: 'OTHER_HOSPITAL', psy: 'OTHER_HOSPITAL',
  rehab: 'OTHER_HOSPITAL', long: 'NURSING_HOME', snf: 'SHORT_TERM_CARE', exp: 'DECEASED', oth: 'OTHER',
};
/** v3 ActPriority → admission type. */
const PRIORITY: Record<string, string> = { EM: 'ACUTE', UR: 'ACUTE', A: 'ACUTE', S: 'ACUTE', EL: 'PLANNED', R: 'PLANNED', P: 'PLANNED' };
/** v3 ActCode classes that are inpatient care (slutenvård), and the admission type each implies. */
const INPATIENT: Record<string, string | null> = { IMP: null, ACUTE: 'ACUTE', NONAC: 'PLANNED' };

/** Events in time order: the admission or discharge and the moves of the location history. */
export type EncounterResult = { ok: true; events: Record<string, unknown>[] } | { ok: false; error: UtklarError; expression: string[] };

/** What a transaction Bundle adds to an Encounter (transaction-bundle.ts). */
export interface EncounterContext {
  /** The Patient entry `subject.reference` resolves to, and its FHIRPath in the Bundle. */
  patient?: { resource: Patient; expression: string };
  /** The id from a PUT's `request.url`, for an entry whose resource carries none. */
  id?: string;
  /** The OIDs whose `urn:oid:` systems are a reservnummer: the region's list (region-identifiers.ts); none without it. */
  reservnummerOids?: readonly string[];
}

const codings = (c: CodeableConcept | undefined): Coding[] => c?.coding ?? [];
const text = (c: CodeableConcept | undefined): string | undefined => codings(c).find((x) => x.display)?.display ?? c?.text ?? codings(c).find((x) => x.code)?.code;
const code = (c: CodeableConcept | undefined): string | undefined => codings(c).find((x) => x.code)?.code;
const ext = (e: Extension[] | undefined, url: string): string | undefined => {
  const x = e?.find((v) => v.url === url);
  return x?.valueCode ?? x?.valueString ?? (x?.valueCoding as Coding | undefined)?.code;
};
/** An extension and its FHIRPath (the first with the URL, as `ext` reads them), to name it in a refusal. */
const extAt = (e: Extension[] | undefined, url: string): { x: Extension; at: string } | undefined => {
  const i = e?.findIndex((v) => v.url === url) ?? -1;
  return i < 0 ? undefined : { x: e![i]!, at: `Encounter.extension[${i}]` };
};
// FHIR's dateTime with a time carries its zone; the contract wants an instant, so a date alone is refused.
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-](?:0\d|1[0-4]):[0-5]\d)$/;
const instantExt = (e: Extension[] | undefined, url: string): string | undefined => {
  const found = extAt(e, url);
  if (!found) return undefined;
  const v = found.x.valueDateTime;
  if (v === undefined) throw new FhirProblem(`${found.at}: ${url} takes a valueDateTime`, found.at);
  const m = typeof v === 'string' ? INSTANT.exec(v) : null;
  const [y, mo, d] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
  const day = new Date(Date.UTC(y, mo - 1, d));
  // Date.parse takes at most milliseconds and rolls 30 February over into March.
  const ms = m && day.getUTCFullYear() === y && day.getUTCMonth() === mo - 1 && day.getUTCDate() === d ? Date.parse(v.replace(/(\.\d{3})\d+/, '$1')) : Number.NaN;
  if (Number.isNaN(ms)) throw new FhirProblem(`${found.at}.valueDateTime: expected a date, time and zone such as 2026-11-14T10:30:00+01:00`, `${found.at}.valueDateTime`);
  return new Date(ms).toISOString();
};
const booleanExt = (e: Extension[] | undefined, url: string): boolean | undefined => {
  const found = extAt(e, url);
  if (!found) return undefined;
  if (typeof found.x.valueBoolean !== 'boolean') throw new FhirProblem(`${found.at}: ${url} takes a valueBoolean (true or false)`, found.at);
  return found.x.valueBoolean;
};
const required = <T>(v: T | undefined | null | '', what: string, expression: string): T => {
  if (v === undefined || v === null || v === '') throw new FhirProblem(`${expression}: ${what} is required`, expression);
  return v;
};

export function mapEncounter(body: unknown, source: string, ctx: EncounterContext = {}): EncounterResult {
  try {
    if (typeof body !== 'object' || body === null || (body as { resourceType?: unknown }).resourceType !== 'Encounter') {
      throw new FhirProblem('expected a FHIR R4 Encounter (resourceType "Encounter")', 'Encounter');
    }
    const enc = body as Encounter;
    const meta: Meta | undefined = enc.meta;
    const period: Period | undefined = enc.period;
    const identifiers: Identifier[] = enc.identifier ?? [];
    const locations: EncounterLocation[] = enc.location ?? [];
    const serviceProvider: Reference | undefined = enc.serviceProvider;
    const extensions: Extension[] | undefined = enc.extension;

    const id = required(enc.id ?? ctx.id, 'the resource id', 'Encounter.id');
    const episodeId = identifiers.find((i) => i.value)?.value ?? id;
    const who = patientIdentity(enc, ctx.patient, ctx.reservnummerOids ?? []);
    // A version is one change of the encounter: the same version sent again is the same event.
    const base = `fhir:${source}:Encounter/${id}`;
    const eventId = `${base}/${meta?.versionId ? `_history/${meta.versionId}` : enc.status}`;
    const envelope = { eventId, source, ...who, episodeId };
    const wards = () => {
      const stays = wardHistory(locations);
      if (stays.length === 0) throw new FhirProblem('Encounter.location: the ward (a location that is not planned, with a display or identifier.value) is required', 'Encounter.location');
      return stays;
    };
    const clinic = () => required(text(enc.serviceType as CodeableConcept | undefined), 'the clinic', 'Encounter.serviceType');
    const hospital = () => required(serviceProvider?.identifier?.value ?? serviceProvider?.display, 'the hospital (identifier or display)', 'Encounter.serviceProvider');
    // Each later ward is a move at its start; the clinic and hospital are the Encounter's (R4's location has neither).
    const moves = (stays: WardStay[]) => stays.slice(1).map((stay) => {
      if (period?.start !== undefined && Date.parse(stay.start!) < Date.parse(period.start)) {
        throw new FhirProblem(`Encounter.location[${stay.index}].period.start: before the admission (Encounter.period.start)`, `Encounter.location[${stay.index}].period.start`);
      }
      return {
        type: 'transfer', ...envelope, eventId: transferEventId(base, stay), occurredAt: stay.start,
        hospital: hospital(), clinic: clinic(), ward: stay.ward, businessArea: clinic(),
      };
    });
    switch (enc.status) {
      case 'in-progress': {
        const cls = required((enc.class as Coding | undefined)?.code, 'the class', 'Encounter.class.code');
        if (!Object.hasOwn(INPATIENT, cls)) throw new FhirProblem(`Encounter.class: '${cls}' is not inpatient care (IMP, ACUTE or NONAC)`, 'Encounter.class');
        const priority = code(enc.priority as CodeableConcept | undefined);
        const admissionType = priority !== undefined ? PRIORITY[priority] : INPATIENT[cls];
        if (!admissionType) throw new FhirProblem(`Encounter.priority: ${priority === undefined ? 'required for class IMP' : `'${priority}' is not one of ${Object.keys(PRIORITY).join(', ')}`}`, 'Encounter.priority');
        const stays = wards();
        const admission = {
          type: 'admission', ...envelope,
          occurredAt: required(period?.start, 'the admission time', 'Encounter.period.start'),
          region: required(ext(extensions, EXTENSIONS.region), `the länskod (extension ${EXTENSIONS.region})`, 'Encounter.extension'),
          hospital: hospital(),
          // The ward admitted to: a resent Encounter corrects the admission, and the moves after it still apply.
          clinic: clinic(), ward: stays[0]!.ward, businessArea: clinic(),
          careType: ext(extensions, EXTENSIONS.careType) ?? 'SOMATIC',
          admissionType,
          homeMunicipality: required(ext(extensions, EXTENSIONS.homeMunicipality), `the kommunkod (extension ${EXTENSIONS.homeMunicipality})`, 'Encounter.extension'),
          ...('reservnummer' in who ? { ageYears: reservnummerAge(ctx.patient, period?.start) } : {}),
        };
        return { ok: true, events: [admission, ...moves(stays)] };
      }
      case 'finished': {
        const disposition = code(enc.hospitalization?.dischargeDisposition as CodeableConcept | undefined);
        const destination = disposition === undefined ? 'OTHER' : DISPOSITION[disposition];
        if (!destination) throw new FhirProblem(`Encounter.hospitalization.dischargeDisposition: '${disposition}' is not one of ${Object.keys(DISPOSITION).join(', ')}`, 'Encounter.hospitalization.dischargeDisposition');
        const stays = wards();
        const informed = instantExt(extensions, EXTENSIONS.informationTransferredAt);
        const declined = booleanExt(extensions, EXTENSIONS.patientDeclinedServices);
        const discharge = {
          type: 'discharge', ...envelope, occurredAt: required(period?.end, 'the discharge time', 'Encounter.period.end'), destination, clinic: clinic(), ward: stays[stays.length - 1]!.ward,
          // Payment conditions (docs/agreements.md); left out when not sent, as an NDJSON discharge may.
          ...(informed !== undefined ? { informationTransferredAt: informed } : {}),
          ...(declined !== undefined ? { patientDeclinedServices: declined } : {}),
        };
        // The moves again: a source that never sent the in-progress versions still reports them.
        return { ok: true, events: [...moves(stays), discharge] };
      }
      case 'entered-in-error':
      case 'cancelled':
        return { ok: true, events: [{ type: 'admission-cancelled', ...envelope, occurredAt: required(meta?.lastUpdated, 'the time of the cancellation', 'Encounter.meta.lastUpdated'), reasonCode: enc.status.toUpperCase().replace(/-/g, '_') }] };
      default:
        throw new FhirProblem(`Encounter.status: '${String(enc.status)}' is not mapped (in-progress → admission, finished → discharge, entered-in-error or cancelled → admission-cancelled)`, 'Encounter.status');
    }
  } catch (e) {
    if (e instanceof FhirProblem) return { ok: false, error: new UtklarError('UNMAPPABLE_MESSAGE', e.message), expression: [e.expression] };
    throw e;
  }
}

const ISSUE_CODE: Partial<Record<string, OperationOutcomeIssue['code']>> = {
  INVALID_JSON: 'invalid', INVALID_REQUEST: 'invalid', INVALID_EVENT: 'invalid', UNAUTHORIZED: 'security', FORBIDDEN: 'forbidden',
  DEPENDENCY_UNAVAILABLE: 'transient', UNMAPPABLE_MESSAGE: 'business-rule',
};

export function operationOutcome(severity: 'error' | 'information', diagnostics: string, opts: { code?: string; expression?: string[] } = {}): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [outcomeIssue(severity, diagnostics, opts)] };
}

export function outcomeIssue(severity: 'error' | 'information', diagnostics: string, opts: { code?: string; expression?: string[] } = {}): OperationOutcomeIssue {
  return {
    severity,
    code: severity === 'information' ? 'informational' : ISSUE_CODE[opts.code ?? ''] ?? 'processing',
    diagnostics,
    ...(opts.code ? { details: { coding: [{ system: 'https://utklar.se/error-code', code: opts.code }] } } : {}),
    ...(opts.expression ? { expression: opts.expression } : {}),
  };
}

export const acceptedAs = (eventIds: string[]): string => `accepted as event${eventIds.length > 1 ? 's' : ''} ${eventIds.join(', ')}`;

/**
 * A patient identifier as a dead letter keeps it: a personnummer or samordningsnummer as sent (the
 * ingest path replaces it by its patientKey), any other id (a reservnummer: local free text that
 * nothing downstream could recognise) by `***`.
 */
function keptIdentifier(id: unknown): unknown {
  if (typeof id !== 'object' || id === null) return id;
  const { system, value } = id as Identifier;
  const national = system === SYSTEMS.personnummer || system === SYSTEMS.samordningsnummer;
  return { ...(system !== undefined ? { system } : {}), ...(value !== undefined ? { value: national ? value : '***' } : {}) };
}

/**
 * What a dead letter keeps of an Encounter: no narrative, contained resources, patient name or
 * local patient id; its identifiers' values (the vårdtillfälle id the events' episodeId is) as
 * `episode` gives them: the pseudonym the events carry (SourceIngest.episodeKeyText), hidden without it.
 */
export function redactEncounter(body: unknown, episode: (sourceId: string) => string = () => '***'): string {
  if (typeof body !== 'object' || body === null) return JSON.stringify(body);
  const { text: _text, contained: _contained, ...rest } = body as Record<string, unknown>;
  if (Array.isArray(rest.identifier)) {
    rest.identifier = rest.identifier.map((i: unknown) => (typeof i === 'object' && i !== null && typeof (i as Identifier).value === 'string'
      ? { ...(i as Identifier), value: episode((i as Identifier).value!) } : i));
  }
  const subject = rest.subject;
  if (typeof subject === 'object' && subject !== null) {
    const { display: _display, identifier, ...s } = subject as Record<string, unknown>;
    rest.subject = identifier === undefined ? s : { ...s, identifier: keptIdentifier(identifier) };
  }
  return JSON.stringify(rest);
}

/** What a dead letter keeps of a Patient: its id and identifiers, nothing else (no name, address, birth date). */
export function redactPatient(body: unknown): Record<string, unknown> {
  const p = (typeof body === 'object' && body !== null ? body : {}) as Patient;
  return { resourceType: 'Patient', ...(p.id !== undefined ? { id: p.id } : {}), ...(Array.isArray(p.identifier) ? { identifier: p.identifier.map(keptIdentifier) } : {}) };
}
