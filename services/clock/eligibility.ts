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
  dischargedAt: number | null;
  /** null: no source said (changelog messages from before v3 too). */
  admissionNeedJudgedAt: number | null;
  dischargeInformationTransferredAt: number | null;
  patientDeclinedServices: boolean | null;
}

/** The flat fields of EligibilityInput as the episode state keeps them (its discharge's data). */
export function eligibilityFacts(s: EpisodeState): Pick<EligibilityInput, 'admissionNeedJudgedAt' | 'dischargeInformationTransferredAt' | 'patientDeclinedServices'> {
  return {
    admissionNeedJudgedAt: s.admissionNeedJudgedAt ?? null,
    dischargeInformationTransferredAt: s.discharge?.informationTransferredAt ?? null,
    patientDeclinedServices: s.discharge?.patientDeclinedServices ?? null,
  };
}

/** An episode state as the conditions read it. */
export const eligibilityInput = (s: EpisodeState): EligibilityInput => ({
  admittedAt: s.admittedAt, admissionNoticeAt: s.admissionNoticeAt, readyPeriods: s.readyPeriods, dischargedAt: s.dischargedAt, ...eligibilityFacts(s),
});

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
    'information-transferred-by-discharge': informationTransferred(s),
    'patient-did-not-decline': notDeclined(s),
  };
}

function admissionNoticeInTime(s: EligibilityInput, now: number, rules: RegionRules): ConditionStatus {
  if (s.admittedAt === null) return 'pending';
  // Due within the hours of the admission or, when the need for support was judged later, of that judgement.
  const from = Math.max(s.admittedAt, s.admissionNeedJudgedAt ?? s.admittedAt);
  const deadline = from + rules.admissionNoticeWithinHours * 3_600_000;
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

/**
 * The discharge information must have reached the municipality by the end of the discharge day
 * (Stockholm). Decided at the discharge; one no source reported is unmet, since the municipality
 * is charged only on what can be shown.
 */
function informationTransferred(s: EligibilityInput): ConditionStatus {
  if (s.readyPeriods.length === 0) return 'not-applicable';
  if (s.dischargedAt === null) return 'pending';
  const at = s.dischargeInformationTransferredAt;
  return at !== null && stockholmDay(at) <= stockholmDay(s.dischargedAt) ? 'met' : 'unmet';
}

/** A patient who declined the municipality's services leaves it not liable; known by the discharge. */
function notDeclined(s: EligibilityInput): ConditionStatus {
  if (s.readyPeriods.length === 0) return 'not-applicable';
  if (s.patientDeclinedServices === true) return 'unmet';
  return s.dischargedAt === null ? 'pending' : 'met';
}

/** Liable unless a condition the agreement requires is unmet; undecided while one is pending. */
export function liability(conditions: Record<EligibilityCondition, ConditionStatus>, rules: RegionRules): 'liable' | 'not-liable' | 'pending' {
  const required = rules.conditions.map((c) => conditions[c]);
  if (required.includes('unmet')) return 'not-liable';
  return required.includes('pending') ? 'pending' : 'liable';
}
