import type { PatientEvent } from '../contract/event.ts';
import type { DecodedEvent } from '../model/decoded-event.ts';
import { stateChanged } from './changelog.ts';
import type { PartitionKeys } from './clock-keys.ts';
import { deadLetterEntry, rejectionWithdrawn } from './dead-letter-entry.ts';
import { foldEpisode } from './episode-state.ts';
import { historyEntry, readmissionLink, relinked, type EpisodeHistoryEntry } from './readmission.ts';
import type { RegionRules } from './rules.ts';
import { evictionTime, openIndexes, openTimer, type StoredEpisode } from './stored-episode.ts';

/**
 * What applying one event needs to know of Redis (read fresh, or from a batch's running view),
 * parsed: a batch parses each episode's log once, not once per event.
 */
export interface EpisodeReads {
  /** The episode's event log, one event per eventId. Shared with the view: never mutated. */
  events: readonly PatientEvent[];
  version: string | null;
  previous: StoredEpisode | undefined;
  /** The patient's history: one entry per episode. */
  history: readonly EpisodeHistoryEntry[];
  /** The partition's event-time watermark. */
  watermark: string | null;
}

/** Reads other episodes' state and version (readmission relinking); null when unknown. */
export type StateReader = (episodeIds: string[]) => Promise<{ state: string | null; version: string | null }[]>;

export interface RelatedChange {
  episodeId: string;
  version: string;
  stored: StoredEpisode;
}

/** One Lua step to run for an event, and what it changes (for a batch's running view). */
export type ApplyPlan =
  | { kind: 'reject'; keys: string[]; args: (string | number)[] }
  | {
      kind: 'apply';
      keys: string[];
      /** The arguments before the chain guard (see apply-event.lua, ARGV[1..14]). */
      head: (string | number)[];
      /** The arguments after it (dead letters, related episodes). */
      tail: (string | number)[];
      stored: StoredEpisode;
      storedJson: string;
      historyEntry: EpisodeHistoryEntry | null;
      related: RelatedChange[];
    };

/**
 * Decides what one event does to its episode, from the episode's whole event log (so late and
 * reordered events land where their event time puts them). Pure but for reading the patient's
 * other episodes when this one's history entry changes their readmission link. `k` are the keys
 * of the event's partition.
 */
export async function planApply(d: DecodedEvent, r: EpisodeReads, k: PartitionKeys, group: string, topic: string, rules: RegionRules, readStates: StateReader): Promise<ApplyPlan> {
  const { event } = d;
  const origin = { consumer: group, topic, partition: d.partition };
  // An episode nobody admitted, this far behind its partition's event time, will not be
  // completed by a late admission (or was already evicted): dead-letter rather than keep it.
  // The watermark is a function of the offsets applied before, so a replay decides the same.
  if (r.events.length === 0 && event.type !== 'admission' && r.watermark !== null && event.occurredAt < Number(r.watermark) - rules.allowedLatenessMs) {
    const reason = `${event.type} for an unknown episode, ${Math.round((Number(r.watermark) - event.occurredAt) / 3_600_000)} h behind the partition's event time (allowed lateness ${rules.allowedLatenessMs / 3_600_000} h)`;
    const entry = deadLetterEntry(event, reason, { ...origin, offset: d.offset });
    return { kind: 'reject', keys: [k.applied(group, topic), k.outbox], args: [d.partition, d.offset, event.patientKey, JSON.stringify(entry)] };
  }
  const events = [...r.events, event];
  const state = foldEpisode(events);
  const { history, previous } = r;
  const stored: StoredEpisode = { state, readmission: readmissionLink(state, history, previous, rules) };
  const setsOf = (ix: ReturnType<typeof openIndexes>) => [
    ...(ix.region ? [k.openInRegion(ix.region)] : []),
    ...(ix.municipality ? [k.openInMunicipality(ix.municipality)] : []),
    ...(ix.ward ? [k.openInWard(...ix.ward)] : []),
  ];
  const leave = setsOf(previous ? openIndexes(previous.state) : {});
  const join = setsOf(openIndexes(state));
  const entry = historyEntry(state);
  const evictAt = evictionTime(state, rules.retainClosedEpisodeDays);
  const rejectedBefore = new Set((previous?.state.rejected ?? []).map((x) => x.eventId));
  const rejectedNow = new Set(state.rejected.map((x) => x.eventId));
  const byId = (id: string) => events.find((e) => e.eventId === id)!;
  const newlyRejected = [
    ...state.rejected.filter((x) => !rejectedBefore.has(x.eventId))
      .map((x) => JSON.stringify(deadLetterEntry(byId(x.eventId), x.reason, { ...origin, ...(x.eventId === event.eventId ? { offset: d.offset } : {}) }))),
    ...(previous?.state.rejected ?? []).filter((x) => !rejectedNow.has(x.eventId))
      .map((x) => JSON.stringify(rejectionWithdrawn(byId(x.eventId), x.reason, origin))),
  ];
  const related = await relatedChanges(event.episodeId, entry, history, rules, readStates);
  const historyJson = entry ? JSON.stringify(entry) : null;
  const storedJson = JSON.stringify(stored);
  return {
    kind: 'apply',
    keys: [
      k.applied(group, topic), k.events(event.episodeId), k.state(event.episodeId), k.patient(event.patientKey), k.closed, k.watermark, k.outbox, k.timers, k.recent,
      ...leave, ...join, ...related.map((x) => k.state(x.episodeId)),
    ],
    head: [
      d.partition, d.offset, event.eventId, JSON.stringify(event), r.version ?? '', storedJson, historyJson ?? '',
      evictAt === null ? '' : String(evictAt), leave.length, event.episodeId, event.occurredAt,
      JSON.stringify(stateChanged(stored, Number(r.version ?? 0) + 1, event.eventId)), openTimer(state) ?? '', event.patientKey,
    ],
    tail: [
      newlyRejected.length, ...newlyRejected,
      related.length, ...related.flatMap((x) => [x.episodeId, x.version, JSON.stringify(x.stored), JSON.stringify(stateChanged(x.stored, Number(x.version) + 1, event.eventId))]),
    ],
    stored,
    storedJson,
    historyEntry: entry ?? null,
    related,
  };
}

/**
 * The patient's other stored episodes whose readmission link changes with this episode's new
 * history entry: e.g. the index stay's discharge arrived after the readmission was applied.
 */
async function relatedChanges(episodeId: string, entry: EpisodeHistoryEntry | undefined, history: readonly EpisodeHistoryEntry[], rules: RegionRules, readStates: StateReader): Promise<RelatedChange[]> {
  const old = history.find((h) => h.episodeId === episodeId);
  if (JSON.stringify(old) === JSON.stringify(entry)) return [];
  const others = history.filter((h) => h.episodeId !== episodeId);
  if (others.length === 0) return [];
  const after = [...others, ...(entry ? [entry] : [])];
  const rows = await readStates(others.map((h) => h.episodeId));
  const stored = rows.flatMap(({ state, version }) => (state && version ? [{ ...(JSON.parse(state) as StoredEpisode), version }] : []));
  return relinked(stored, after, rules).map(({ version, ...s }) => ({ episodeId: s.state.episodeId, version, stored: s }));
}
