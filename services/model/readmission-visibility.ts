import type { RegionRules } from '../clock/rules.ts';
import type { Scope } from '../model/scope.ts';

/**
 * What a principal is shown of a readmission's index episode. An episode id goes only to a
 * principal that may see that episode. The link keeps the index episode's id and discharging
 * clinic, not its ward or home municipality, so only a region can be sure to see it: links never
 * cross regions while `rules.readmission.sameRegionOnly` holds. A municipality or a unit is told
 * that the stay is a readmission, never which episode it follows: a unit token for ward A must not
 * learn the id of an episode on ward B.
 */
export function showsIndexEpisode(scope: Scope | null, rules: RegionRules): boolean {
  // null: the open, unsecured mode (no API secret) where every reader sees everything.
  if (scope === null) return true;
  return scope.kind === 'region' && rules.readmission.sameRegionOnly;
}

/** The index episode's id if this principal may see it, otherwise null (the flag stays). */
export const visibleIndexEpisode = (indexEpisodeId: string | null, scope: Scope | null, rules: RegionRules): string | null =>
  indexEpisodeId !== null && showsIndexEpisode(scope, rules) ? indexEpisodeId : null;
