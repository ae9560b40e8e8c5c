import { createHash } from 'node:crypto';
import { UtklarError } from '../core/errors.ts';
import type { PatientEvent } from '../contract/event.ts';
import { parseEventObject } from '../contract/ndjson-event.ts';
import type { Pseudonymiser } from '../contract/pseudonymise.ts';
import type { DeadLetters } from '../kafka/dead-letter.ts';
import type { EventProducer } from '../producer/event-producer.ts';
import type { SourceMetrics } from './metrics.ts';
import { scrubPersonnummer } from './scrub.ts';

/** One thing a source sent: the event in the contract's public form, or why the edge could not make one. */
export interface SourceItem {
  /** How the answer names it: a line or array position (1-based). */
  ref: number;
  /** An object in the NDJSON contract's form (docs/ndjson-contract.md), validated here. */
  value?: unknown;
  /** Set when the edge itself already knows the item is unusable. */
  error?: UtklarError;
  /** What was received, as text: stored in the dead letter if rejected (JSON: personnummer scrubbed here; HL7: redacted by the caller). */
  raw: string;
  rawFormat: 'json' | 'hl7v2';
}

export type Outcome = { ref: number; ok: true; eventId: string } | { ref: number; ok: false; error: UtklarError };

/**
 * The one way in for every source edge (HTTP, MLLP): the same validation, pseudonymisation,
 * Avro encoding and Kafka transaction as `utklar produce`, and what cannot be used goes to the
 * dead-letter topic with the reason. Resolves only once Kafka has both; a Kafka or registry
 * failure rejects (retriable) and the caller acknowledges nothing.
 */
export class SourceIngest {
  constructor(
    private readonly producer: EventProducer,
    private readonly deadLetters: DeadLetters,
    private readonly pseudonymiser: Pseudonymiser,
    private readonly channel: { name: 'http' | 'hl7' | 'fhir'; consumer: string; sourceTopic: string },
    private readonly metrics?: SourceMetrics,
  ) {}

  async ingest(items: SourceItem[], opts: { onlySource?: string } = {}): Promise<Outcome[]> {
    const outcomes = new Map<number, Outcome>();
    const valid: { item: SourceItem; event: PatientEvent }[] = [];
    for (const item of items) {
      this.metrics?.received.inc({ channel: this.channel.name });
      if (item.error) {
        outcomes.set(item.ref, { ref: item.ref, ok: false, error: item.error });
        continue;
      }
      try {
        const source = (item.value as { source?: unknown } | null)?.source;
        if (opts.onlySource !== undefined && typeof source === 'string' && source !== opts.onlySource) {
          throw new UtklarError('FORBIDDEN', `source: this token may only send events of source '${opts.onlySource}'`);
        }
        const event = parseEventObject(item.value, item.ref, this.pseudonymiser);
        valid.push({ item, event });
        outcomes.set(item.ref, { ref: item.ref, ok: true, eventId: event.eventId });
      } catch (e) {
        if (!(e instanceof UtklarError)) throw e;
        outcomes.set(item.ref, { ref: item.ref, ok: false, error: e });
      }
    }
    const rejected = await this.producer.send(valid.map((v) => v.event));
    for (const r of rejected) {
      const v = valid.find((x) => x.event === r.event)!;
      outcomes.set(v.item.ref, { ref: v.item.ref, ok: false, error: r.error });
    }
    const dead = items.filter((i) => outcomes.get(i.ref)?.ok === false);
    await this.deadLetters.sendJson(dead.map((item) => {
      const error = (outcomes.get(item.ref) as { error: UtklarError }).error;
      // An HL7 message comes redacted field by field (hl7/redact.ts): its times must not be scrubbed.
      const raw = item.rawFormat === 'hl7v2' ? item.raw : scrubPersonnummer(item.raw, this.pseudonymiser);
      return {
        key: null,
        entry: {
          // The same bytes sent again are the same dead letter.
          deadLetterId: `${this.channel.name}:${createHash('sha256').update(raw).digest('hex').slice(0, 32)}`,
          code: error.code,
          reason: error.message,
          consumer: this.channel.consumer,
          sourceTopic: this.channel.sourceTopic,
          receivedAt: new Date().toISOString(),
          ref: item.ref,
          rawFormat: item.rawFormat,
          raw,
        },
      };
    }));
    const result = items.map((i) => outcomes.get(i.ref)!);
    for (const o of result) {
      if (!o.ok) this.metrics?.deadLettered.inc({ channel: this.channel.name, code: o.error.code });
    }
    return result;
  }
}
