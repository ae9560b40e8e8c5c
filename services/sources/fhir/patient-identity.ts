import { ageAt } from '../../contract/personnummer.ts';
import type { Encounter, Identifier, Patient, Reference } from './fhir-types.ts';
import { FhirProblem } from './fhir-problem.ts';

/**
 * Who an Encounter is about, in the contract's envelope fields: a personnummer or
 * samordningsnummer, else a reservnummer with its issuer. The reservnummer systems are
 * `urn:oid:` + the OIDs the region lists for HL7 (adt-mapping.json `identifiers.reservnummer`):
 * one list for both edges. Pure; docs/hl7-sources.md has the rules.
 */
export const SYSTEMS = {
  personnummer: 'urn:oid:1.2.752.129.2.1.3.1',
  samordningsnummer: 'urn:oid:1.2.752.129.2.1.3.3',
} as const;

export type PatientIdentity = { personnummer: string } | { reservnummer: string; reservnummerIssuer: string };

const isNational = (i: Identifier) => i.system === SYSTEMS.personnummer || i.system === SYSTEMS.samordningsnummer;
const reservOid = (i: Identifier, oids: readonly string[]) => {
  const oid = i.system?.startsWith('urn:oid:') ? i.system.slice('urn:oid:'.length) : undefined;
  return oid !== undefined && oids.includes(oid) ? oid : undefined;
};
const accepted = (oids: readonly string[]) => `personnummer (${SYSTEMS.personnummer}), samordningsnummer (${SYSTEMS.samordningsnummer}) or a reservnummer (${oids.map((o) => `urn:oid:${o}`).join(', ') || 'none configured'})`;

/**
 * From the Encounter's logical reference (`subject.identifier`), else from the Patient a Bundle
 * holds: its first personnummer or samordningsnummer, else its first reservnummer (a national id
 * is the better key: a reservnummer's pseudonym does not link to the person's). Other ids are ignored.
 */
export function patientIdentity(enc: Encounter, patient: { resource: Patient; expression: string } | undefined, oids: readonly string[]): PatientIdentity {
  const subject: Reference | undefined = enc.subject;
  const id: Identifier | undefined = subject?.identifier;
  if (id !== undefined || patient === undefined) {
    if (id === undefined) throw new FhirProblem('Encounter.subject.identifier: the patient as a logical reference (an identifier), or a Patient in the same transaction Bundle, is required', 'Encounter.subject.identifier');
    if (!id.value) throw new FhirProblem('Encounter.subject.identifier.value: the identifier value is required', 'Encounter.subject.identifier.value');
    if (isNational(id)) return { personnummer: id.value };
    const oid = reservOid(id, oids);
    if (oid !== undefined) return { reservnummer: id.value, reservnummerIssuer: oid };
    throw new FhirProblem(`Encounter.subject.identifier.system: '${id.system ?? ''}' is none of ${accepted(oids)}`, 'Encounter.subject.identifier.system');
  }
  const where = `${patient.expression}.identifier`;
  const ids: Identifier[] = (patient.resource.identifier ?? []).filter((i: Identifier) => i.value);
  const national = ids.find(isNational);
  if (national) return { personnummer: national.value! };
  const reserv = ids.find((i) => reservOid(i, oids) !== undefined);
  if (reserv) return { reservnummer: reserv.value!, reservnummerIssuer: reservOid(reserv, oids)! };
  throw new FhirProblem(`${where}: no identifier under ${accepted(oids)}`, where);
}

const FHIR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * A reservnummer carries no birth date, and the contract needs an admission's age: the Patient's
 * `birthDate` gives it, at the admission's Stockholm calendar date. Problems name the element,
 * never the date.
 */
export function reservnummerAge(patient: { resource: Patient; expression: string } | undefined, admittedAt: string | undefined): number | undefined {
  if (patient === undefined) {
    throw new FhirProblem('Encounter.subject: a reservnummer admission needs the patient\'s birth date (a reservnummer carries none): send the Encounter in a transaction Bundle with its Patient and Patient.birthDate', 'Encounter.subject');
  }
  const where = `${patient.expression}.birthDate`;
  const text: unknown = patient.resource.birthDate;
  if (text === undefined) throw new FhirProblem(`${where}: required for a reservnummer admission (a reservnummer carries no birth date)`, where);
  const m = typeof text === 'string' ? FHIR_DATE.exec(text) : null;
  const birth = m ? { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) } : undefined;
  const probe = birth ? new Date(Date.UTC(birth.year, birth.month - 1, birth.day)) : undefined;
  if (!birth || probe!.getUTCMonth() !== birth.month - 1 || probe!.getUTCDate() !== birth.day) throw new FhirProblem(`${where}: a full date YYYY-MM-DD is needed for the age`, where);
  const at = admittedAt === undefined ? Number.NaN : Date.parse(admittedAt);
  // Without a readable admission time the contract refuses the event for that already.
  if (Number.isNaN(at)) return undefined;
  const age = ageAt(birth, at);
  if (age < 0) throw new FhirProblem(`${where}: after the admission (Encounter.period.start)`, where);
  return age;
}
