import { EXTENSIONS, SYSTEMS } from '../../services/sources/fhir/encounter.ts';
import type { Encounter } from '../../services/sources/fhir/fhir-types.ts';

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
