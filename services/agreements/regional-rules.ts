import type { RegionRules } from '../clock/rules.ts';
import type { Agreement } from './agreement.ts';
import type { AgreementSet } from './agreement-set.ts';
import { agreementVersion } from './agreement-version.ts';

/**
 * The deployment's rules with each region's agreements in them: an episode's noon rule,
 * conditions and their deadlines, payment model and amounts are its region's agreement in force
 * on its discharge day (clock/rules.ts, episodeRules), so the board, the clock events, the
 * episode facts and the invoice count it alike. What measures the event stream rather than an
 * agreement (allowed lateness, readmission linkage, how long closed episodes are kept) stays the
 * deployment's: it decides what the store keeps per partition, whatever the region.
 */
export function regionalRules(deployment: RegionRules, set: AgreementSet): RegionRules {
  const merged = new Map<Agreement, RegionRules>();
  const { allowedLatenessMs, readmission, retainClosedEpisodeDays } = deployment;
  return {
    ...deployment,
    byRegion: (region, day) => {
      const a = set.inForce(region, day);
      if (!a) return undefined;
      let rules = merged.get(a);
      if (!rules) merged.set(a, (rules = { ...a.rules, allowedLatenessMs, readmission, retainClosedEpisodeDays, agreementVersion: agreementVersion(a) }));
      return rules;
    },
  };
}
