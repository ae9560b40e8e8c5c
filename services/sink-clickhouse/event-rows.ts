import type { DecodedEvent } from '../model/decoded-event.ts';

/** One `events` row per decoded event; pure, so the mapping is unit-tested without ClickHouse. */
export interface EventRow {
  event_id: string;
  event_type: string;
  occurred_at: number;
  occurred_at_ms: number;
  patient_key: string;
  episode_id: string;
  source: string;
  payload: string;
  schema_id: number;
  kafka_partition: number;
  kafka_offset: string;
  ingested_at: number;
}

export function toEventRow(d: DecodedEvent, nowMs: number): EventRow {
  const { event } = d;
  return {
    event_id: event.eventId,
    event_type: event.type,
    // DateTime columns take whole UTC seconds; the exact millisecond stays in occurred_at_ms.
    occurred_at: Math.floor(event.occurredAt / 1000),
    occurred_at_ms: event.occurredAt,
    patient_key: event.patientKey,
    episode_id: event.episodeId,
    source: event.source,
    payload: JSON.stringify(event.data),
    schema_id: d.schemaId,
    kafka_partition: d.partition,
    kafka_offset: d.offset,
    ingested_at: Math.floor(nowMs / 1000),
  };
}
