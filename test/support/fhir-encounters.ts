import { EXTENSIONS, SYSTEMS } from '../../services/sources/fhir/encounter.ts';
import type { Bundle, BundleEntry, Encounter, Patient } from '../../services/sources/fhir/fhir-types.ts';

/** An inpatient Encounter as an EHR's FHIR facade sends it, at fixed times. */
export function encounter(over: Partial<Encounter> & Record<string, unknown> = {}): Encounter {
  return {
    resourceType: 'Encounter',
    id: 'enc-1',
    meta: { versionId: '1', lastUpdated: '2026-11-10T08:05:00+01:00' },
    identifier: [{ system: 'urn:oid:1.2.752.29.4.99', value: 'E-FHIR-1' }],
    status: 'in-progress',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
    priority: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActPriority', code: 'EM' }] },
    subject: { identifier: { system: SYSTEMS.personnummer, value: '194003071232' }, display: 'Sven Svensson' },
    serviceType: { coding: [{ display: 'Medicinkliniken' }] },
    serviceProvider: { identifier: { value: 'USO' } },
    location: [{ location: { display: 'Med 4' }, status: 'active' }],
    period: { start: '2026-11-10T08:00:00+01:00' },
    extension: [{ url: EXTENSIONS.region, valueString: '18' }, { url: EXTENSIONS.homeMunicipality, valueString: '1880' }],
    ...over,
  } as Encounter;
}

/** A ward the patient lay on, as Encounter.location lists it. */
export const stay = (ward: string, start: string, status: 'active' | 'completed' | 'planned' = 'completed', end?: string) => ({
  location: { reference: `Location/${ward.toLowerCase().replace(/\s+/g, '-')}`, display: ward },
  status,
  period: { start, ...(end ? { end } : {}) },
});

/** The Patient a Bundle carries, with what a facade sends beside the identifier (name, address). */
export function patient(over: Partial<Patient> & Record<string, unknown> = {}): Patient {
  return {
    resourceType: 'Patient',
    id: 'pat-1',
    identifier: [{ system: 'urn:oid:1.2.752.29.4.3', value: 'LOCAL-77' }, { system: SYSTEMS.personnummer, value: '194003071232' }],
    name: [{ family: 'Svensson', given: ['Sven'] }],
    address: [{ line: ['Storgatan 1'], city: 'Örebro' }],
    birthDate: '1940-03-07',
    ...over,
  } as Patient;
}

/** A transaction Bundle: each resource PUT to its own id. */
export function transaction(...resources: (Encounter | Patient)[]): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: resources.map((r): BundleEntry => ({
      fullUrl: `urn:uuid:00000000-0000-4000-8000-${String(resources.indexOf(r)).padStart(12, '0')}`,
      resource: r,
      request: { method: 'PUT', url: `${r.resourceType}/${r.id}` },
    })),
  } as Bundle;
}
