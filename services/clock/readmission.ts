import { stockholmDay } from '../core/stockholm-time.ts';
import type { EpisodeState } from './episode-state.ts';
import type { RegionRules } from './rules.ts';

/** What readmission linkage needs to keep of a patient's earlier, closed episodes. */
export interface EpisodeHistoryEntry {
  episodeId: string;
  region: string;
  admittedAt: number;
  dischargedAt: number | null;
  dischargeClinic: string | null;
  cancelled: boolean;
}

export interface ReadmissionLink {
  indexEpisodeId: string;
  indexDischargeClinic: string | null;
  daysAfterDischarge: number | null;
  /** detected from the history, reported by a source, or both (counted once either way). */
  source: 'detected' | 'reported' | 'both';
}

export const historyEntry = (s: EpisodeState): EpisodeHistoryEntry | undefined =>
  s.admission && s.admittedAt !== null
    ? {
        episodeId: s.episodeId,
        region: s.admission.region,
        admittedAt: s.admittedAt,
        dischargedAt: s.dischargedAt,
        dischargeClinic: s.discharge?.clinic ?? null,
        cancelled: s.status === 'CANCELLED',
      }
    : undefined;

/**
 * An acute admission within the window (in Stockholm calendar days) after the patient's latest
 * earlier discharge is a readmission, linked to that index episode and its discharging clinic.
 */
export function detectReadmission(s: EpisodeState, history: readonly EpisodeHistoryEntry[], rules: RegionRules): ReadmissionLink | null {
  // A stay registered in error is no readmission, whatever a source said.
  if (s.status === 'CANCELLED') return null;
  const r = rules.readmission;
  let detected: ReadmissionLink | null = null;
  if (s.admission && s.admittedAt !== null && (!r.acuteOnly || s.admission.admissionType === 'ACUTE')) {
    const admittedAt = s.admittedAt;
    const region = s.admission.region;
    const index = history
      .filter((h) => h.episodeId !== s.episodeId && !h.cancelled && h.dischargedAt !== null && h.dischargedAt <= admittedAt)
      .filter((h) => !r.sameRegionOnly || h.region === region)
      .sort((a, b) => b.dischargedAt! - a.dischargedAt!)[0];
    if (index) {
      const days = stockholmDay(admittedAt) - stockholmDay(index.dischargedAt!);
      if (days >= r.minDays && days <= r.windowDays) {
        detected = { indexEpisodeId: index.episodeId, indexDischargeClinic: index.dischargeClinic, daysAfterDischarge: days, source: 'detected' };
      }
    }
  }
  if (!s.reportedReadmission) return detected;
  if (detected && (s.reportedReadmissionOf === null || s.reportedReadmissionOf === detected.indexEpisodeId)) {
    return { ...detected, source: 'both' };
  }
  // The source names the index episode itself: trust it, with what the history knows of it.
  const named = history.find((h) => h.episodeId === s.reportedReadmissionOf);
  return {
    indexEpisodeId: s.reportedReadmissionOf ?? detected?.indexEpisodeId ?? 'unknown',
    indexDischargeClinic: named?.dischargeClinic ?? null,
    daysAfterDischarge: named?.dischargedAt != null && s.admittedAt !== null ? stockholmDay(s.admittedAt) - stockholmDay(named.dischargedAt) : null,
    source: 'reported',
  };
}

/**
 * The link to store after a change. A later event of the episode (its discharge, say) may come
 * when the index episode has already been evicted from the history; the link found while it was
 * there stands, or the result would depend on when the sweeper happened to run.
 */
export function readmissionLink(
  s: EpisodeState,
  history: readonly EpisodeHistoryEntry[],
  previous: { readmission: ReadmissionLink | null } | undefined,
  rules: RegionRules,
): ReadmissionLink | null {
  const kept = previous?.readmission;
  if (s.status !== 'CANCELLED' && kept && !history.some((h) => h.episodeId === kept.indexEpisodeId)) return kept;
  return detectReadmission(s, history, rules);
}

/**
 * Episodes of the same patient whose link changes once `history` holds a changed entry (an index
 * episode's discharge that arrived after the readmission, a cancelled index stay, …). Each comes
 * back with its new link; the others are unaffected. Pure.
 */
export function relinked<T extends { state: EpisodeState; readmission: ReadmissionLink | null }>(
  others: readonly T[],
  history: readonly EpisodeHistoryEntry[],
  rules: RegionRules,
): T[] {
  const changed: T[] = [];
  for (const o of others) {
    const link = readmissionLink(o.state, history, o, rules);
    if (JSON.stringify(link) !== JSON.stringify(o.readmission)) changed.push({ ...o, readmission: link });
  }
  return changed;
}
