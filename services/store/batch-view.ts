import type { PatientEvent } from '../contract/event.ts';
import type { DecodedEvent } from '../model/decoded-event.ts';
import type { ApplyPlan, EpisodeReads, StateReader } from '../clock/apply-plan.ts';
import type { EpisodeHistoryEntry } from '../clock/readmission.ts';
import type { StoredEpisode } from '../clock/stored-episode.ts';

type EpisodeRow = { state: string | null; version: string | null };

/** The state a view reads and moves forward: logs, rows, parsed states, patient histories. */
export interface ViewMaps {
  events: Map<string, PatientEvent[]>;
  stateOf: Map<string, EpisodeRow>;
  stored: Map<string, StoredEpisode>;
  history: Map<string, Map<string, EpisodeHistoryEntry>>;
}

export const emptyMaps = (): ViewMaps => ({ events: new Map(), stateOf: new Map(), stored: new Map(), history: new Map() });

/**
 * A partition batch's Redis state as its pipelined Lua steps will leave it: read once, then
 * moved forward by each planned event exactly as its step in apply-batch.lua moves Redis, so the next event
 * of the same episode or patient is planned against what will be there when its step runs.
 * It keeps what it parsed (event logs, states, histories), so a batch parses each once.
 */
export class BatchView {
  /** Event logs, one event per eventId in the order Redis returned them (HSETNX: the first copy stays). */
  readonly events: Map<string, PatientEvent[]>;
  readonly stateOf: Map<string, EpisodeRow>;
  /** Patient histories: episodeId → entry. */
  readonly history: Map<string, Map<string, EpisodeHistoryEntry>>;
  readonly #stored: Map<string, StoredEpisode>;

  constructor(
    /** The consumer group's applied offset of the partition, as read. */
    readonly applied: string | null,
    private watermark: string | null,
    private readonly read: StateReader,
    /**
     * Maps to work in: a partition's cache (partition-cache.ts) hands its own, so the view starts
     * from what earlier batches left and leaves this batch's result there.
     */
    maps: ViewMaps = emptyMaps(),
  ) {
    this.events = maps.events;
    this.stateOf = maps.stateOf;
    this.history = maps.history;
    this.#stored = maps.stored;
  }

  /** Takes an episode's log and state as Redis returned them. */
  load(episodeId: string, events: Record<string, string>, row: EpisodeRow): void {
    this.events.set(episodeId, Object.values(events).map((j) => JSON.parse(j) as PatientEvent));
    this.stateOf.set(episodeId, row);
    this.#stored.delete(episodeId);
  }

  /** Takes a patient's history hash as Redis returned it. */
  loadHistory(patientKey: string, hash: Record<string, string>): void {
    this.history.set(patientKey, new Map(Object.entries(hash).map(([id, j]) => [id, JSON.parse(j) as EpisodeHistoryEntry])));
  }

  reads(d: DecodedEvent): EpisodeReads {
    const id = d.event.episodeId;
    const row = this.stateOf.get(id) ?? { state: null, version: null };
    let previous = this.#stored.get(id);
    if (previous === undefined && row.state !== null) {
      previous = JSON.parse(row.state) as StoredEpisode;
      this.#stored.set(id, previous);
    }
    return {
      events: this.events.get(id) ?? [],
      previous,
      version: row.version,
      history: [...(this.history.get(d.event.patientKey)?.values() ?? [])],
      watermark: this.watermark,
    };
  }

  /** Other episodes' rows: from the view when the batch touched them, else from Redis. */
  async states(ids: string[]): Promise<EpisodeRow[]> {
    const missing = ids.filter((id) => !this.stateOf.has(id));
    if (missing.length > 0) {
      const rows = await this.read(missing);
      missing.forEach((id, i) => this.stateOf.set(id, rows[i]!));
    }
    return ids.map((id) => this.stateOf.get(id)!);
  }

  /** Moves the view past an applied event (mirrors its step in apply-batch.lua). */
  record(d: DecodedEvent, plan: Extract<ApplyPlan, { kind: 'apply' }>): void {
    const { event } = d;
    const log = this.events.get(event.episodeId);
    if (!log) this.events.set(event.episodeId, [event]);
    // A new array, not a push: a plan already made holds the old one.
    else if (!log.some((e) => e.eventId === event.eventId)) this.events.set(event.episodeId, [...log, event]);
    const version = this.stateOf.get(event.episodeId)?.version ?? null;
    this.stateOf.set(event.episodeId, { state: plan.storedJson, version: String(Number(version ?? 0) + 1) });
    this.#stored.set(event.episodeId, plan.stored);
    if (plan.historyEntry !== null) {
      const history = this.history.get(event.patientKey) ?? new Map<string, EpisodeHistoryEntry>();
      history.set(event.episodeId, plan.historyEntry);
      this.history.set(event.patientKey, history);
    }
    for (const r of plan.related) {
      this.stateOf.set(r.episodeId, { state: r.storedJson, version: String(Number(r.version) + 1) });
      this.#stored.set(r.episodeId, r.stored);
    }
    if (this.watermark === null || Number(this.watermark) < event.occurredAt) this.watermark = String(event.occurredAt);
  }
}
