import { createHmac } from 'node:crypto';
import { UtklarError } from '../core/errors.ts';

/**
 * Keyed hash of the normalised personnummer. Keyed (not a plain hash) because the personnummer
 * space is small enough to enumerate; without the key nobody can link a patientKey to a person.
 * A reservnummer is keyed in a namespace of its own (`reservnummerKey`), and so is a source
 * system's episode id (`episodeKey`).
 */
export class Pseudonymiser {
  readonly #key: Buffer;
  /** Whose numbering an event's episodeId is in when the event does not say (UTKLAR_EPISODE_ISSUER). */
  readonly episodeIssuer: string;

  constructor(secret: string | undefined, opts: { episodeIssuer?: string } = {}) {
    this.episodeIssuer = opts.episodeIssuer ?? '';
    if (!secret || secret.length < 16) {
      throw new UtklarError(
        'CONFIG',
        'UTKLAR_PSEUDONYM_KEY must be set to a secret of at least 16 characters (it keys the HMAC that replaces personnummer)',
      );
    }
    this.#key = Buffer.from(secret, 'utf8');
  }

  patientKey(normalisedPersonnummer: string): string {
    return createHmac('sha256', this.#key).update(normalisedPersonnummer, 'utf8').digest('hex');
  }

  /**
   * The patientKey of a patient known only by a reservnummer: a region's local, temporary id.
   * The prefix keeps it apart from every personnummer's key (a normalised personnummer is 12
   * digits, never `reservnummer|…`), so a local id that happens to read like a personnummer is
   * not taken for that person. The issuer is part of it because two regions' local ids can
   * coincide. It does not link to the personnummer the patient is later identified by: that is
   * a different key, so the episodes before and after are two patients (no readmission between
   * them), and nothing here could tell that they are one person without the source saying so.
   */
  reservnummerKey(issuer: string, id: string): string {
    return createHmac('sha256', this.#key).update(`reservnummer|${issuer}|${id.trim().toUpperCase()}`, 'utf8').digest('hex');
  }

  /**
   * The episode id everything past the producer keys by. A source's episode id (the EHR's
   * vårdtillfälle number) links back to the patient for anyone with access to that EHR, so it
   * never leaves the producer. The issuer (the region whose EHR numbered the episode, a länskod;
   * '' in an installation with one numbering) is part of the key because 21 regions number their
   * episodes independently: region 18's "E-100" and region 03's are two episodes. The source
   * system is not: the EHR's id is the one both the EHR and the coordination system (Lifecare)
   * carry, so their events of one episode meet. 128 bits of the HMAC, as hex: unique in practice,
   * and half the width of a patientKey in every key and row.
   */
  episodeKey(issuer: string, sourceEpisodeId: string): string {
    return createHmac('sha256', this.#key).update(`episode|${issuer}|${sourceEpisodeId.trim()}`, 'utf8').digest('hex').slice(0, 32);
  }
}
