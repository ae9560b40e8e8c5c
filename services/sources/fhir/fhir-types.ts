/**
 * @medplum/fhirtypes' index re-exports its modules by extensionless paths, which this project's
 * `moduleResolution: NodeNext` does not resolve: through the index every type would silently be
 * `any`. Each type is taken from its own file instead; a type's members that name other types
 * still resolve to `any` there, so the mapping annotates each step with the types below.
 */
export type { Bundle, BundleEntry, BundleEntryRequest, BundleEntryResponse } from '@medplum/fhirtypes/dist/Bundle.d.ts';
export type { Encounter, EncounterLocation } from '@medplum/fhirtypes/dist/Encounter.d.ts';
export type { CodeableConcept } from '@medplum/fhirtypes/dist/CodeableConcept.d.ts';
export type { Coding } from '@medplum/fhirtypes/dist/Coding.d.ts';
export type { Extension } from '@medplum/fhirtypes/dist/Extension.d.ts';
export type { Identifier } from '@medplum/fhirtypes/dist/Identifier.d.ts';
export type { Meta } from '@medplum/fhirtypes/dist/Meta.d.ts';
export type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes/dist/OperationOutcome.d.ts';
export type { Patient } from '@medplum/fhirtypes/dist/Patient.d.ts';
export type { Period } from '@medplum/fhirtypes/dist/Period.d.ts';
export type { Reference } from '@medplum/fhirtypes/dist/Reference.d.ts';
