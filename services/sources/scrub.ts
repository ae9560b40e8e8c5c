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

// A JSON member "reservnummer" with a string (escapes included) or a number as its value.
const RESERV_MEMBER = /("reservnummer"\s*:\s*)("(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*)/g;
const RESERV_ISSUER = /"reservnummerIssuer"\s*:\s*"([^"\\]*)"/;
// The source's episode ids: "episodeId" and a readmission's "indexEpisodeId" (docs/ndjson-contract.md).
const EPISODE_MEMBER = /("(?:episodeId|indexEpisodeId)"\s*:\s*)("(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*)/g;
const EPISODE_ISSUER = /"episodeIssuer"\s*:\s*"([0-9]{2})"/;
// Where a marked member's value stands until it is replaced: a control character no JSON string
// holds raw, one per kind of member so that each kind's keys are put back in their own order.
const RESERV_MARK = { char: '\u0001', at: /("reservnummer"\s*:\s*)"\u0001"/g };
const EPISODE_MARK = { char: '\u0002', at: /("(?:episodeId|indexEpisodeId)"\s*:\s*)"\u0002"/g };

/**
 * A source's episode id as dead letters keep it: the pseudonym its events carry (ndjson-event.ts),
 * prefixed `episodeKey:`. `issuer` as the event names it, else the producer's.
 */
export function deadLetterEpisodeKey(pseudonymiser: Pseudonymiser, sourceId: string, issuer = pseudonymiser.episodeIssuer): string {
  return `episodeKey:${pseudonymiser.episodeKey(issuer, sourceId)}`;
}

/**
 * A JSON event as a dead letter keeps it: every personnummer (scrubPersonnummer) and the value of
 * every `reservnummer` member replaced by its patientKey (`***` without an issuer to key it by),
 * every `episodeId` and `indexEpisodeId` by the episode's pseudonym (`episodeKey:…`; `***` for a
 * value that is no text, as it keys no episode).
 * A reservnummer is free text (letters, digits, dashes), so unlike a personnummer it cannot be
 * recognised anywhere else in the line: only the contract's own field is scrubbed. Both are marked
 * first and keyed last so that the personnummer pass never sees them (a 10- or 12-digit local id
 * may pass a personnummer's check digit) nor the hex of their keys.
 */
export function scrubEventJson(text: string, pseudonymiser: Pseudonymiser, reference: CalendarDate = stockholmDate(Date.now())): string {
  const reservIssuer = RESERV_ISSUER.exec(text)?.[1];
  const episodeIssuer = EPISODE_ISSUER.exec(text)?.[1];
  const reserv: string[] = [];
  const episodes: string[] = [];
  const marked = markMembers(text, RESERV_MEMBER, RESERV_MARK, reserv,
    (id) => (reservIssuer && typeof id === 'string' ? `patientKey:${pseudonymiser.reservnummerKey(reservIssuer, id)}` : '***'));
  const markedBoth = markMembers(marked, EPISODE_MEMBER, EPISODE_MARK, episodes,
    (id) => (typeof id === 'string' && id.trim() !== '' ? deadLetterEpisodeKey(pseudonymiser, id, episodeIssuer) : '***'));
  return unmark(unmark(scrubPersonnummer(markedBoth, pseudonymiser, reference), RESERV_MARK, reserv), EPISODE_MARK, episodes);
}

/** Replaces the value of each member `pattern` finds by `mark`, and pushes what it stands for (`keyOf` the parsed value), in order. */
function markMembers(text: string, pattern: RegExp, mark: { char: string }, keys: string[], keyOf: (value: unknown) => string): string {
  return text.replace(pattern, (_m, head: string, value: string) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
    keys.push(keyOf(parsed));
    return `${head}"${mark.char}"`;
  });
}

/** Puts the keys in place of the members' marks, in order. */
function unmark(text: string, mark: { at: RegExp }, keys: readonly string[]): string {
  let i = 0;
  return text.replace(mark.at, (_m, head: string) => `${head}"${keys[i++]}"`);
}
