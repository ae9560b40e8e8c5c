import { UtklarError } from '../../core/errors.ts';
import type { CodeableConcept, Coding, Encounter, EncounterLocation, Extension, Identifier, Meta, OperationOutcome, OperationOutcomeIssue, Period, Reference } from './fhir-types.ts';

/**
 * A FHIR R4 Encounter → one event in the NDJSON contract's public form (validated and
 * pseudonymised afterwards by the shared ingest path), or why not. The Encounter's status says
 * which event it is; what R4's Encounter has no element for (home municipality, region, care
 * type) comes from utklar's extensions. Pure; docs/hl7-sources.md has the table.
 */
export const SYSTEMS = {
  personnummer: 'urn:oid:1.2.752.129.2.1.3.1',
  samordningsnummer: 'urn:oid:1.2.752.129.2.1.3.3',
} as const;

const EXT = 'https://utklar.se/fhir/StructureDefinition/';
export const EXTENSIONS = {
  region: `${EXT}region`,
  homeMunicipality: `${EXT}home-municipality`,
  careType: `${EXT}care-type`,
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

export type EncounterResult = { ok: true; event: Record<string, unknown> } | { ok: false; error: UtklarError; expression: string[] };

class Problem extends Error {
  constructor(message: string, readonly expression: string) {
    super(message);
  }
}

const codings = (c: CodeableConcept | undefined): Coding[] => c?.coding ?? [];
const text = (c: CodeableConcept | undefined): string | undefined => codings(c).find((x) => x.display)?.display ?? c?.text ?? codings(c).find((x) => x.code)?.code;
const code = (c: CodeableConcept | undefined): string | undefined => codings(c).find((x) => x.code)?.code;
const ext = (e: Extension[] | undefined, url: string): string | undefined => {
  const x = e?.find((v) => v.url === url);
  return x?.valueCode ?? x?.valueString ?? (x?.valueCoding as Coding | undefined)?.code;
};

export function mapEncounter(body: unknown, source: string): EncounterResult {
  try {
    if (typeof body !== 'object' || body === null || (body as { resourceType?: unknown }).resourceType !== 'Encounter') {
      throw new Problem('expected a FHIR R4 Encounter (resourceType "Encounter")', 'Encounter');
    }
    const enc = body as Encounter;
    const required = <T>(v: T | undefined | null | '', what: string, expression: string): T => {
      if (v === undefined || v === null || v === '') throw new Problem(`${expression}: ${what} is required`, expression);
      return v;
    };
    const meta: Meta | undefined = enc.meta;
    const period: Period | undefined = enc.period;
    const identifiers: Identifier[] = enc.identifier ?? [];
    const subjectRef: Reference | undefined = enc.subject;
    const locations: EncounterLocation[] = enc.location ?? [];
    const serviceProvider: Reference | undefined = enc.serviceProvider;
    const extensions: Extension[] | undefined = enc.extension;

    const id = required(enc.id, 'the resource id', 'Encounter.id');
    const episodeId = identifiers.find((i) => i.value)?.value ?? id;
    const subject: Identifier = required(subjectRef?.identifier, 'the patient as a logical reference (identifier with a personnummer or samordningsnummer system)', 'Encounter.subject.identifier');
    if (subject.system !== SYSTEMS.personnummer && subject.system !== SYSTEMS.samordningsnummer) {
      throw new Problem(`Encounter.subject.identifier.system: '${subject.system ?? ''}' is neither personnummer (${SYSTEMS.personnummer}) nor samordningsnummer (${SYSTEMS.samordningsnummer}); a reservnummer is not carried yet`, 'Encounter.subject.identifier.system');
    }
    const personnummer = required(subject.value, 'the identifier value', 'Encounter.subject.identifier.value');
    // A version is one change of the encounter: the same version sent again is the same event.
    const eventId = `fhir:${source}:Encounter/${id}/${meta?.versionId ? `_history/${meta.versionId}` : enc.status}`;
    const envelope = { eventId, source, personnummer, episodeId };
    const ward = () => {
      const current = locations.find((l) => l.status === 'active') ?? locations[0];
      const location: Reference | undefined = current?.location;
      return required(location?.display, 'the ward (display)', 'Encounter.location.location.display');
    };
    const clinic = () => required(text(enc.serviceType as CodeableConcept | undefined), 'the clinic', 'Encounter.serviceType');
    switch (enc.status) {
      case 'in-progress': {
        const cls = required((enc.class as Coding | undefined)?.code, 'the class', 'Encounter.class.code');
        if (!Object.hasOwn(INPATIENT, cls)) throw new Problem(`Encounter.class: '${cls}' is not inpatient care (IMP, ACUTE or NONAC)`, 'Encounter.class');
        const priority = code(enc.priority as CodeableConcept | undefined);
        const admissionType = priority !== undefined ? PRIORITY[priority] : INPATIENT[cls];
        if (!admissionType) throw new Problem(`Encounter.priority: ${priority === undefined ? 'required for class IMP' : `'${priority}' is not one of ${Object.keys(PRIORITY).join(', ')}`}`, 'Encounter.priority');
        return {
          ok: true,
          event: {
            type: 'admission', ...envelope,
            occurredAt: required(period?.start, 'the admission time', 'Encounter.period.start'),
            region: required(ext(extensions, EXTENSIONS.region), `the länskod (extension ${EXTENSIONS.region})`, 'Encounter.extension'),
            hospital: required(serviceProvider?.identifier?.value ?? serviceProvider?.display, 'the hospital (identifier or display)', 'Encounter.serviceProvider'),
            clinic: clinic(), ward: ward(), businessArea: clinic(),
            careType: ext(extensions, EXTENSIONS.careType) ?? 'SOMATIC',
            admissionType,
            homeMunicipality: required(ext(extensions, EXTENSIONS.homeMunicipality), `the kommunkod (extension ${EXTENSIONS.homeMunicipality})`, 'Encounter.extension'),
          },
        };
      }
      case 'finished': {
        const disposition = code(enc.hospitalization?.dischargeDisposition as CodeableConcept | undefined);
        const destination = disposition === undefined ? 'OTHER' : DISPOSITION[disposition];
        if (!destination) throw new Problem(`Encounter.hospitalization.dischargeDisposition: '${disposition}' is not one of ${Object.keys(DISPOSITION).join(', ')}`, 'Encounter.hospitalization.dischargeDisposition');
        return { ok: true, event: { type: 'discharge', ...envelope, occurredAt: required(period?.end, 'the discharge time', 'Encounter.period.end'), destination, clinic: clinic(), ward: ward() } };
      }
      case 'entered-in-error':
      case 'cancelled':
        return { ok: true, event: { type: 'admission-cancelled', ...envelope, occurredAt: required(meta?.lastUpdated, 'the time of the cancellation', 'Encounter.meta.lastUpdated'), reasonCode: enc.status.toUpperCase().replace(/-/g, '_') } };
      default:
        throw new Problem(`Encounter.status: '${String(enc.status)}' is not mapped (in-progress → admission, finished → discharge, entered-in-error or cancelled → admission-cancelled)`, 'Encounter.status');
    }
  } catch (e) {
    if (e instanceof Problem) return { ok: false, error: new UtklarError('UNMAPPABLE_MESSAGE', e.message), expression: [e.expression] };
    throw e;
  }
}

const ISSUE_CODE: Partial<Record<string, OperationOutcomeIssue['code']>> = {
  INVALID_JSON: 'invalid', INVALID_REQUEST: 'invalid', INVALID_EVENT: 'invalid', UNAUTHORIZED: 'security', FORBIDDEN: 'forbidden',
  DEPENDENCY_UNAVAILABLE: 'transient', UNMAPPABLE_MESSAGE: 'business-rule',
};

export function operationOutcome(severity: 'error' | 'information', diagnostics: string, opts: { code?: string; expression?: string[] } = {}): OperationOutcome {
  const issue: OperationOutcomeIssue = {
    severity,
    code: severity === 'information' ? 'informational' : ISSUE_CODE[opts.code ?? ''] ?? 'processing',
    diagnostics,
    ...(opts.code ? { details: { coding: [{ system: 'https://utklar.se/error-code', code: opts.code }] } } : {}),
    ...(opts.expression ? { expression: opts.expression } : {}),
  };
  return { resourceType: 'OperationOutcome', issue: [issue] };
}

/** What a dead letter keeps of an Encounter: no narrative, contained resources or patient name. */
export function redactEncounter(body: unknown): string {
  if (typeof body !== 'object' || body === null) return JSON.stringify(body);
  const { text: _text, contained: _contained, ...rest } = body as Record<string, unknown>;
  const subject = rest.subject;
  if (typeof subject === 'object' && subject !== null) {
    const { display: _display, ...s } = subject as Record<string, unknown>;
    rest.subject = s;
  }
  return JSON.stringify(rest);
}
