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
const MARK = /("reservnummer"\s*:\s*)"\u0001"/g;
// The source's episode ids: "episodeId" and a readmission's "indexEpisodeId" (docs/privacy.md).
const EPISODE_MEMBER = /("(?:episodeId|indexEpisodeId)"\s*:\s*)("(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*)/g;
const EPISODE_ISSUER = /"episodeIssuer"\s*:\s*"([0-9]{2})"/;
const EPISODE_MARK = /("(?:episodeId|indexEpisodeId)"\s*:\s*)"\u0002"/g;

/**
 * A JSON event as a dead letter keeps it: every personnummer (scrubPersonnummer) and the value of
 * every `reservnummer` member replaced by its patientKey (`***` without an issuer to key it by),
 * every `episodeId` and `indexEpisodeId` by the episode's pseudonym (`episodeKey:…`).
 * A reservnummer is free text (letters, digits, dashes), so unlike a personnummer it cannot be
 * recognised anywhere else in the line: only the contract's own field is scrubbed. It is marked
 * first and keyed last so that the personnummer pass never sees it (a 10- or 12-digit local id
 * may pass a personnummer's check digit) nor the hex of its key.
 */
export function scrubEventJson(text: string, pseudonymiser: Pseudonymiser, reference: CalendarDate = stockholmDate(Date.now())): string {
  const issuer = RESERV_ISSUER.exec(text)?.[1];
  const keys: string[] = [];
  const marked = text.replace(RESERV_MEMBER, (_m, head: string, value: string) => {
    let id: unknown;
    try {
      id = JSON.parse(value);
    } catch {
      id = undefined;
    }
    keys.push(issuer && typeof id === 'string' ? `patientKey:${pseudonymiser.reservnummerKey(issuer, id)}` : '***');
    return `${head}"\u0001"`;
  });
  // The episode's issuer as the event names it, else the producer's (ndjson-event.ts); a source
  // id that is not text is hidden, as it keys no episode.
  const episodeIssuer = EPISODE_ISSUER.exec(text)?.[1] ?? pseudonymiser.episodeIssuer;
  const episodes: string[] = [];
  const markedBoth = marked.replace(EPISODE_MEMBER, (_m, head: string, value: string) => {
    let id: unknown;
    try {
      id = JSON.parse(value);
    } catch {
      id = undefined;
    }
    episodes.push(typeof id === 'string' && id.trim() !== '' ? `episodeKey:${pseudonymiser.episodeKey(episodeIssuer, id)}` : '***');
    return `${head}"\u0002"`;
  });
  let i = 0;
  let j = 0;
  return scrubPersonnummer(markedBoth, pseudonymiser, reference)
    .replace(MARK, (_m, head: string) => `${head}"${keys[i++]}"`)
    .replace(EPISODE_MARK, (_m, head: string) => `${head}"${episodes[j++]}"`);
}
