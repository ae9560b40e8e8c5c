/** Why a FHIR resource cannot be mapped, and the element (a FHIRPath expression) to name in the OperationOutcome. */
export class FhirProblem extends Error {
  constructor(message: string, readonly expression: string) {
    super(message);
  }
}
