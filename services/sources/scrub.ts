import { parsePersonnummer } from '../contract/personnummer.ts';
import type { Pseudonymiser } from '../contract/pseudonymise.ts';
import { stockholmDate, type CalendarDate } from '../core/stockholm-time.ts';

// 10 or 12 digits with an optional '-' or '+' before the last four, not inside a longer number.
const CANDIDATE = /(?<![0-9])(?:[0-9]{8}|[0-9]{6})[-+]?[0-9]{4}(?![0-9])/g;

/**
 * Dead letters are kept forever and read by operators, so what a source sent is stored without
 * any personnummer in it: every number that is one (check digit and date valid, in any of its
 * spellings) becomes its patientKey, which still links the dead letter to the patient's events.
 * The reference date decides the century of a 10-digit form, as for an event.
 */
export function scrubPersonnummer(text: string, pseudonymiser: Pseudonymiser, reference: CalendarDate = stockholmDate(Date.now())): string {
  return text.replace(CANDIDATE, (candidate) => {
    try {
      return `patientKey:${pseudonymiser.patientKey(parsePersonnummer(candidate, reference).normalised)}`;
    } catch {
      return candidate;
    }
  });
}
