import { createHmac } from 'node:crypto';
import { UtklarError } from '../core/errors.ts';

/**
 * Keyed hash of the normalised personnummer. Keyed (not a plain hash) because the personnummer
 * space is small enough to enumerate; without the key nobody can link a patientKey to a person.
 */
export class Pseudonymiser {
  readonly #key: Buffer;

  constructor(secret: string | undefined) {
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
}
