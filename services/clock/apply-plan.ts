import type { PatientEvent } from '../contract/event.ts';
import type { DecodedEvent } from '../model/decoded-event.ts';
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
  /** The version the change was planned against. */
  version: string;
  stored: StoredEpisode;
  storedJson: string;
}

/** The open-episode index sets an episode leaves or joins (stored-episode.ts). */
export type OpenIndexes = ReturnType<typeof openIndexes>;

/**
 * What one event does to its partition's state: a rejection (dead-lettered without being
 * stored), or the episode's new state with everything that changes with it, serialised once for
 * Redis and the outbox (whose changelog message is made from the stored state and its version
 * when it is published: clock/changelog.ts is a pure function of them). The store (store/clock-store.ts) turns it into a step of its batch call.
 */
export type ApplyPlan =
  | { kind: 'reject'; entryJson: string }
  | {
      kind: 'apply';
      eventJson: string;
      /** The state version the plan was made against (null: a new episode). */
      version: string | null;
      stored: StoredEpisode;
      storedJson: string;
      historyEntry: EpisodeHistoryEntry | null;
      historyJson: string | null;
      /** When the closed episode may be forgotten (null: still open). */
      evictAt: number | null;
      /** The first timer due (null: none). */
      timer: number | null;
      leave: OpenIndexes;
      join: OpenIndexes;
      /** Dead-letter entries (and withdrawals) for events this state newly rejects or accepts. */
      deadLetters: string[];
      related: RelatedChange[];
    };

/**
 * Decides what one event does to its episode, from the episode's whole event log (so late and
 * reordered events land where their event time puts them). Pure but for reading the patient's
 * other episodes when this one's history entry changes their readmission link.
 */
export async function planApply(d: DecodedEvent, r: EpisodeReads, group: string, topic: string, rules: RegionRules, readStates: StateReader): Promise<ApplyPlan> {
  const { event } = d;
  const origin = { consumer: group, topic, partition: d.partition };
  // An episode nobody admitted, this far behind its partition's event time, will not be
  // completed by a late admission (or was already evicted): dead-letter rather than keep it.
  // The watermark is a function of the offsets applied before, so a replay decides the same.
  if (r.events.length === 0 && event.type !== 'admission' && r.watermark !== null && event.occurredAt < Number(r.watermark) - rules.allowedLatenessMs) {
    const reason = `${event.type} for an unknown episode, ${Math.round((Number(r.watermark) - event.occurredAt) / 3_600_000)} h behind the partition's event time (allowed lateness ${rules.allowedLatenessMs / 3_600_000} h)`;
    return { kind: 'reject', entryJson: JSON.stringify(deadLetterEntry(event, reason, { ...origin, offset: d.offset })) };
  }
  const events = [...r.events, event];
  const state = foldEpisode(events);
  const { history, previous } = r;
  const stored: StoredEpisode = { state, readmission: readmissionLink(state, history, previous, rules) };
  const entry = historyEntry(state);
  const rejectedBefore = new Set((previous?.state.rejected ?? []).map((x) => x.eventId));
  const rejectedNow = new Set(state.rejected.map((x) => x.eventId));
  const byId = (id: string) => events.find((e) => e.eventId === id)!;
  const deadLetters = [
    ...state.rejected.filter((x) => !rejectedBefore.has(x.eventId))
      .map((x) => JSON.stringify(deadLetterEntry(byId(x.eventId), x.reason, { ...origin, ...(x.eventId === event.eventId ? { offset: d.offset } : {}) }))),
    ...(previous?.state.rejected ?? []).filter((x) => !rejectedNow.has(x.eventId))
      .map((x) => JSON.stringify(rejectionWithdrawn(byId(x.eventId), x.reason, origin))),
  ];
  const related = await relatedChanges(event.episodeId, event.eventId, entry, history, rules, readStates);
  return {
    kind: 'apply',
    eventJson: JSON.stringify(event),
    version: r.version,
    stored,
    storedJson: JSON.stringify(stored),
    historyEntry: entry ?? null,
    historyJson: entry ? JSON.stringify(entry) : null,
    evictAt: evictionTime(state, rules.retainClosedEpisodeDays),
    timer: openTimer(state),
    leave: previous ? openIndexes(previous.state) : {},
    join: openIndexes(state),
    deadLetters,
    related,
  };
}

/**
 * The patient's other stored episodes whose readmission link changes with this episode's new
 * history entry: e.g. the index stay's discharge arrived after the readmission was applied.
 */
async function relatedChanges(episodeId: string, eventId: string, entry: EpisodeHistoryEntry | undefined, history: readonly EpisodeHistoryEntry[], rules: RegionRules, readStates: StateReader): Promise<RelatedChange[]> {
  const old = history.find((h) => h.episodeId === episodeId);
  if (JSON.stringify(old) === JSON.stringify(entry)) return [];
  const others = history.filter((h) => h.episodeId !== episodeId);
  if (others.length === 0) return [];
  const after = [...others, ...(entry ? [entry] : [])];
  const rows = await readStates(others.map((h) => h.episodeId));
  const stored = rows.flatMap(({ state, version }) => (state && version ? [{ ...(JSON.parse(state) as StoredEpisode), version }] : []));
  return relinked(stored, after, rules).map(({ version, ...s }) => ({
    episodeId: s.state.episodeId,
    version,
    stored: s,
    storedJson: JSON.stringify(s),
  }));
}
