import { createHash } from 'node:crypto';
import { UtklarError } from '../core/errors.ts';
import type { PatientEvent } from '../contract/event.ts';
import { parseEventObject } from '../contract/ndjson-event.ts';
import type { Pseudonymiser } from '../contract/pseudonymise.ts';
import type { DeadLetters } from '../kafka/dead-letter.ts';
import type { EventProducer } from '../producer/event-producer.ts';
import type { SourceMetrics } from './metrics.ts';
import { deadLetterEpisodeKey, scrubEventJson } from './scrub.ts';

/** One thing a source sent: the event in the contract's public form, or why the edge could not make one. */
export interface SourceItem {
  /** How the answer names it: a line or array position (1-based). */
  ref: number;
  /** An object in the NDJSON contract's form (docs/ndjson-contract.md), validated here. */
  value?: unknown;
  /** Several such objects from one message (a FHIR Encounter's admission and its moves): sent all or none. */
  values?: unknown[];
  /** Set when the edge itself already knows the item is unusable. */
  error?: UtklarError;
  /** What was received, as text: stored in the dead letter if rejected (JSON: personnummer and reservnummer scrubbed here; HL7: redacted by the caller). */
  raw: string;
  rawFormat: 'json' | 'hl7v2';
}

export type Outcome =
  | { ref: number; ok: true; eventId: string; eventIds: string[] }
  /** `withheld`: valid, but not sent because another item of an all-or-nothing request was refused; not dead-lettered. */
  | { ref: number; ok: false; error: UtklarError; withheld?: true };

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

  /** A source episode id as this channel's dead letters keep it (scrub.ts, deadLetterEpisodeKey). */
  readonly episodeKeyText = (sourceId: string): string => deadLetterEpisodeKey(this.pseudonymiser, sourceId);

  /**
   * `allOrNothing` (a FHIR transaction): if any item is refused, no event is sent; the refused
   * items are dead-lettered and the others answered `withheld`.
   */
  async ingest(items: SourceItem[], opts: { onlySource?: string; allOrNothing?: boolean } = {}): Promise<Outcome[]> {
    const outcomes = new Map<number, Outcome>();
    const valid: { item: SourceItem; events: PatientEvent[] }[] = [];
    for (const item of items) {
      this.metrics?.received.inc({ channel: this.channel.name });
      if (item.error) {
        outcomes.set(item.ref, { ref: item.ref, ok: false, error: item.error });
        continue;
      }
      try {
        const values = item.values ?? [item.value];
        const events = values.map((value) => {
          const source = (value as { source?: unknown } | null)?.source;
          if (opts.onlySource !== undefined && typeof source === 'string' && source !== opts.onlySource) {
            throw new UtklarError('FORBIDDEN', `source: this token may only send events of source '${opts.onlySource}'`);
          }
          try {
            return parseEventObject(value, item.ref, this.pseudonymiser);
          } catch (e) {
            // Which of a message's events it was: its type and id carry no personal data.
            if (!(e instanceof UtklarError) || values.length === 1) throw e;
            const v = value as { type?: unknown; eventId?: unknown };
            throw new UtklarError(e.code, e.message.replace(/^line (\d+): /, `line $1 (${String(v.type)} ${String(v.eventId)}): `), { details: e.details });
          }
        });
        valid.push({ item, events });
        outcomes.set(item.ref, { ref: item.ref, ok: true, eventId: events[0]!.eventId, eventIds: events.map((e) => e.eventId) });
      } catch (e) {
        if (!(e instanceof UtklarError)) throw e;
        outcomes.set(item.ref, { ref: item.ref, ok: false, error: e });
      }
    }
    const withhold = (why: string) => {
      for (const v of valid) {
        if (outcomes.get(v.item.ref)?.ok) outcomes.set(v.item.ref, { ref: v.item.ref, ok: false, withheld: true, error: new UtklarError('INVALID_REQUEST', `not sent: ${why}`) });
      }
    };
    const refused = items.some((i) => outcomes.get(i.ref)?.ok === false);
    if (opts.allOrNothing && refused) withhold('another item of the request was refused');
    else {
      // An item's events are all committed or, if one cannot be encoded, none of them.
      const atomic = opts.allOrNothing === true || valid.some((v) => v.events.length > 1);
      const rejected = await this.producer.send(valid.flatMap((v) => v.events), { allOrNothing: atomic });
      for (const r of rejected) {
        const v = valid.find((x) => x.events.includes(r.event))!;
        outcomes.set(v.item.ref, { ref: v.item.ref, ok: false, error: r.error });
      }
      if (atomic && rejected.length > 0) withhold('another event of the request could not be encoded');
    }
    const dead = items.filter((i) => isDeadLetter(outcomes.get(i.ref)));
    await this.deadLetters.sendJson(dead.map((item) => {
      const error = (outcomes.get(item.ref) as { error: UtklarError }).error;
      // An HL7 message comes redacted field by field (hl7/redact.ts): its times must not be scrubbed.
      const raw = item.rawFormat === 'hl7v2' ? item.raw : scrubEventJson(item.raw, this.pseudonymiser);
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
      if (isDeadLetter(o)) this.metrics?.deadLettered.inc({ channel: this.channel.name, code: o.error.code });
    }
    return result;
  }
}

const isDeadLetter = (o: Outcome | undefined): o is Extract<Outcome, { ok: false }> => o?.ok === false && !o.withheld;
