import { createHash } from 'node:crypto';
import type { CodeableConcept, Coding, EncounterLocation, Identifier, Period, Reference } from './fhir-types.ts';
import { FhirProblem } from './fhir-problem.ts';

/**
 * An Encounter's `location[]` read as its ward history: the wards the patient has lain on, in
 * the order of their `period.start`. The first is the admission's ward, each later one a move
 * (a `transfer` at its start). Pure; docs/hl7-sources.md has the rules.
 */
export interface WardStay {
  /** Position in Encounter.location, to name the element in an OperationOutcome. */
  index: number;
  ward: string;
  /** `period.start` as sent; only the first stay may lack it (it began with the admission). */
  start: string | undefined;
  /** What the location is (reference, else identifier, else display): part of its move's event id. */
  identity: string;
}

const PHYSICAL_TYPE = 'http://terminology.hl7.org/CodeSystem/location-physical-type';

/**
 * Facades list the room and bed beside the ward, with the same period: only a ward (or a
 * location of no stated kind) is a place a patient is moved to. `planned` and `reserved` are
 * where the patient is not yet.
 */
const isWard = (l: EncounterLocation): boolean => {
  if (l.status === 'planned' || l.status === 'reserved') return false;
  const kinds = ((l.physicalType as CodeableConcept | undefined)?.coding ?? []) as Coding[];
  return !kinds.some((c) => c.system === PHYSICAL_TYPE && c.code !== undefined && c.code !== 'wa');
};

export function wardHistory(locations: EncounterLocation[]): WardStay[] {
  const stays: (WardStay & { at: number })[] = [];
  locations.forEach((l, index) => {
    if (!isWard(l)) return;
    const where = `Encounter.location[${index}]`;
    const ref: Reference | undefined = l.location;
    const id: Identifier | undefined = ref?.identifier;
    const ward = ref?.display?.trim() || id?.value?.trim();
    if (!ward) throw new FhirProblem(`${where}.location: the ward (display, else identifier.value) is required`, `${where}.location`);
    const start = (l.period as Period | undefined)?.start;
    const at = start === undefined ? Number.NEGATIVE_INFINITY : Date.parse(start);
    if (Number.isNaN(at)) throw new FhirProblem(`${where}.period.start: not a dateTime`, `${where}.period.start`);
    const identity = ref?.reference ?? (id?.value ? `${id.system ?? ''}|${id.value}` : ward);
    stays.push({ index, ward, start, identity, at });
  });
  stays.sort((a, b) => a.at - b.at || a.index - b.index);
  const undated = stays.filter((s) => s.start === undefined);
  if (undated.length > 1) {
    throw new FhirProblem(`Encounter.location[${undated[1]!.index}].period.start: required for every ward but the first (it is the time of the move)`, `Encounter.location[${undated[1]!.index}].period.start`);
  }
  return stays.map(({ at: _at, ...s }) => s);
}

/**
 * A move's event id: the Encounter's identity, the instant it began (normalised, so another
 * spelling of the same time is the same move) and the location. A source resends the whole
 * Encounter on every change, so each move is sent many times and must be the same event each time.
 */
export function transferEventId(encounterEventBase: string, stay: WardStay): string {
  const at = new Date(Date.parse(stay.start!)).toISOString();
  const where = createHash('sha256').update(stay.identity).digest('hex').slice(0, 12);
  return `${encounterEventBase}/location/${at}/${where}`;
}
