import type { PatientEvent } from '../contract/event.ts';

/**
 * A semantically invalid event as the clock service dead-letters it (JSON on the dead-letter
 * topic, `dlq-format: json`): the event is already pseudonymised, the reason says what to fix.
 * Pure; the id is deterministic so a replay's re-sent copy can be deduplicated.
 */
export function deadLetterEntry(event: PatientEvent, reason: string, origin: { consumer: string; topic: string; partition: number; offset?: string }) {
  return {
    deadLetterId: `${event.eventId}:rejected`,
    code: 'INVALID_EVENT',
    reason,
    consumer: origin.consumer,
    sourceTopic: origin.topic,
    sourcePartition: origin.partition,
    sourceOffset: origin.offset ?? null,
    eventId: event.eventId,
    episodeId: event.episodeId,
    type: event.type,
    event,
  };
}
export type DeadLetterEntry = ReturnType<typeof deadLetterEntry>;

/**
 * An event rejected on arrival may become valid when an earlier one arrives late (a cancelled
 * discharge before its discharge, within the allowed lateness): the dead-letter topic then gets
 * this notice, so whoever repairs dead letters knows that one needs nothing.
 */
export function rejectionWithdrawn(event: PatientEvent, reason: string, origin: { consumer: string; topic: string; partition: number }) {
  return {
    ...deadLetterEntry(event, `no longer rejected: the events it needed arrived late (it was: ${reason})`, origin),
    deadLetterId: `${event.eventId}:withdrawn`,
    code: 'REJECTION_WITHDRAWN',
  };
}

/** Kafka headers in the same vocabulary as the decoder's dead letters (kafka/dead-letter.ts). */
export const deadLetterHeaders = (v: Record<string, unknown>): Record<string, string> => ({
  'dlq-code': String(v.code),
  'dlq-reason': String(v.reason),
  'dlq-consumer': String(v.consumer),
  'dlq-source-topic': String(v.sourceTopic),
  'dlq-source-partition': String(v.sourcePartition),
  ...(v.sourceOffset === null ? {} : { 'dlq-source-offset': String(v.sourceOffset) }),
  'dlq-format': 'json',
});
