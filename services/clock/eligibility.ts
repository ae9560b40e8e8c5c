import { stockholmDay } from '../core/stockholm-time.ts';
import type { EpisodeState } from './episode-state.ts';
import type { EligibilityCondition, RegionRules } from './rules.ts';

export type ConditionStatus = 'met' | 'unmet' | 'pending' | 'not-applicable';

type ReadyFacts = Pick<EpisodeState['readyPeriods'][number], 'start' | 'trackColour' | 'fastVardkontaktAppointed' | 'sipNeeded' | 'sipCalledAt'>;
/** What the conditions read of an episode (the changelog carries exactly this much too). */
export interface EligibilityInput {
  admittedAt: number | null;
  admissionNoticeAt: number[];
  readyPeriods: ReadyFacts[];
}

/**
 * The conditions before a municipality can be charged, recorded per episode. 'pending' means
 * not yet decidable at `now` (e.g. the SIP kallelse may still come within its 3 days).
 */
export function eligibility(s: EligibilityInput, now: number, rules: RegionRules): Record<EligibilityCondition, ConditionStatus> {
  return {
    'admission-notice-in-time': admissionNoticeInTime(s, now, rules),
    'ready-notice-sent': s.readyPeriods.length > 0 ? 'met' : 'not-applicable',
    'sip-called-in-time': sipCalledInTime(s, now, rules),
    'fast-vardkontakt-appointed': fastVardkontakt(s, rules),
  };
}

function admissionNoticeInTime(s: EligibilityInput, now: number, rules: RegionRules): ConditionStatus {
  if (s.admittedAt === null) return 'pending';
  const deadline = s.admittedAt + rules.admissionNoticeWithinHours * 3_600_000;
  if (s.admissionNoticeAt.some((t) => t <= deadline)) return 'met';
  return now <= deadline ? 'pending' : 'unmet';
}

function sipCalledInTime(s: EligibilityInput, now: number, rules: RegionRules): ConditionStatus {
  const needing = s.readyPeriods.filter((p) => p.sipNeeded);
  if (needing.length === 0) return 'not-applicable';
  const lastDay = (p: { start: number }) => stockholmDay(p.start) + rules.sipCalledWithinDays;
  if (needing.some((p) => p.sipCalledAt !== null && stockholmDay(p.sipCalledAt) <= lastDay(p))) return 'met';
  return needing.some((p) => p.sipCalledAt === null && stockholmDay(now) <= lastDay(p)) ? 'pending' : 'unmet';
}

function fastVardkontakt(s: EligibilityInput, rules: RegionRules): ConditionStatus {
  const requiring = s.readyPeriods.filter((p) => rules.fastVardkontaktRequiredFor.includes(p.trackColour));
  if (requiring.length === 0) return 'not-applicable';
  return requiring.every((p) => p.fastVardkontaktAppointed) ? 'met' : 'unmet';
}

/** Liable unless a condition the agreement requires is unmet; undecided while one is pending. */
export function liability(conditions: Record<EligibilityCondition, ConditionStatus>, rules: RegionRules): 'liable' | 'not-liable' | 'pending' {
  const required = rules.conditions.map((c) => conditions[c]);
  if (required.includes('unmet')) return 'not-liable';
  return required.includes('pending') ? 'pending' : 'liable';
}
