import type { DecodedEvent } from '../kafka/event-consumer.ts';
import type { ApplyPlan, EpisodeReads, StateReader } from './apply-plan.ts';

type EpisodeRow = { state: string | null; version: string | null };

/**
 * A partition batch's Redis state as its pipelined Lua steps will leave it: read once, then
 * moved forward by each planned event exactly as apply-event.lua moves Redis, so the next event
 * of the same episode or patient is planned against what will be there when its step runs.
 */
export class BatchView {
  readonly events = new Map<string, Record<string, string>>();
  readonly stateOf = new Map<string, EpisodeRow>();
  readonly history = new Map<string, Record<string, string>>();

  constructor(
    /** The consumer group's applied offset of the partition, as read. */
    readonly applied: string | null,
    private watermark: string | null,
    private readonly read: StateReader,
  ) {}

  reads(d: DecodedEvent): EpisodeReads {
    const row = this.stateOf.get(d.event.episodeId) ?? { state: null, version: null };
    return {
      events: this.events.get(d.event.episodeId) ?? {},
      state: row.state,
      version: row.version,
      history: this.history.get(d.event.patientKey) ?? {},
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

  /** Moves the view past an applied event (mirrors apply-event.lua). */
  record(d: DecodedEvent, plan: Extract<ApplyPlan, { kind: 'apply' }>): void {
    const { event } = d;
    const events = { ...(this.events.get(event.episodeId) ?? {}) };
    events[event.eventId] ??= JSON.stringify(event);
    this.events.set(event.episodeId, events);
    const version = this.stateOf.get(event.episodeId)?.version ?? null;
    this.stateOf.set(event.episodeId, { state: plan.storedJson, version: String(Number(version ?? 0) + 1) });
    if (plan.historyJson !== null) this.history.set(event.patientKey, { ...(this.history.get(event.patientKey) ?? {}), [event.episodeId]: plan.historyJson });
    for (const r of plan.related) this.stateOf.set(r.episodeId, { state: JSON.stringify(r.stored), version: String(Number(r.version) + 1) });
    if (this.watermark === null || Number(this.watermark) < event.occurredAt) this.watermark = String(event.occurredAt);
  }
}
