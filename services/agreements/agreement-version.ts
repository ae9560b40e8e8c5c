import { createHash } from 'node:crypto';
import type { RegionRules } from '../clock/rules.ts';
import type { Agreement } from './agreement.ts';
import type { AgreementSet } from './agreement-set.ts';

/**
 * The version an episode fact records (episode_facts.agreement_version, migration 014): the
 * agreement's id (`<file>#<validFrom>`) and a short hash of its terms. The id alone would not do:
 * a rebuild under a corrected file of the same name (a threshold of 2,0 instead of 3,0 in
 * orebro.json) must be told apart from the facts it replaces.
 */
export function agreementVersion(a: Pick<Agreement, 'id' | 'rules'>): string {
  return `${a.id}@${termsHash(a.rules).slice(0, 10)}`;
}

/** SHA-256 of the terms as data (functions such as byRegion are left out by JSON). */
export function termsHash(rules: RegionRules): string {
  return createHash('sha256').update(JSON.stringify(rules)).digest('hex');
}

/** Every version of a set, sorted: what a rebuild and its promotion are recorded under. */
export function setVersions(set: AgreementSet): string[] {
  return set.agreements.map(agreementVersion).sort();
}
