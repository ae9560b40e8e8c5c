import type { Kafka, Message } from 'kafkajs';
import { topics } from '../core/config.ts';
import { UtklarError } from '../core/errors.ts';
import type { PatientEvent } from '../contract/event.ts';
import { EventCodec } from '../kafka/codec.ts';
import { RenewingProducer } from '../kafka/renewing-producer.ts';
import { ensureTopics } from '../kafka/topics.ts';

export interface Rejected {
  event: PatientEvent;
  error: UtklarError;
}

/**
 * Sends already-pseudonymised events. Each batch is encoded completely first and then written in
 * one Kafka transaction, so a batch is visible to (read-committed) consumers whole or not at all.
 */
export class EventProducer {
  readonly codec: EventCodec;
  readonly topic: string;
  // Transactional, and replaced after a failed transaction (see RenewingProducer).
  readonly #producer: RenewingProducer;

  constructor(
    private readonly kafka: Kafka,
    registryUrl: string,
    private readonly namespace: string,
    /** The events topic's partitions if this producer is the first to create it. */
    private readonly partitions?: number,
  ) {
    this.codec = new EventCodec(registryUrl);
    this.topic = topics(namespace).patientEvents;
    this.#producer = new RenewingProducer(kafka, `${namespace}-producer`);
  }

  async connect(): Promise<void> {
    await ensureTopics(this.kafka, this.namespace, this.partitions);
    await this.codec.register(this.topic);
    await this.#producer.connect();
  }

  #queue: Promise<unknown> = Promise.resolve();

  /**
   * Returns the events that could not be encoded; all others are committed together (with
   * `allOrNothing`, none are when one could not be). Calls are serialised: a transactional
   * producer has one transaction open at a time.
   */
  send(events: PatientEvent[], opts: { allOrNothing?: boolean } = {}): Promise<Rejected[]> {
    const run = this.#queue.then(() => this.#send(events, opts.allOrNothing === true));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #send(events: PatientEvent[], allOrNothing: boolean): Promise<Rejected[]> {
    const rejected: Rejected[] = [];
    const messages: Message[] = [];
    for (const event of events) {
      try {
        messages.push({
          key: event.patientKey,
          value: await this.codec.encode(event),
          headers: { 'event-type': event.type, 'event-id': event.eventId },
        });
      } catch (error) {
        rejected.push({ event, error: error as UtklarError });
      }
    }
    if (messages.length === 0 || (allOrNothing && rejected.length > 0)) return rejected;
    try {
      await this.#producer.run(async (p) => {
        const tx = await p.transaction();
        try {
          await tx.send({ topic: this.topic, messages });
          await tx.commit();
        } catch (cause) {
          await tx.abort().catch(() => undefined);
          throw cause;
        }
      });
    } catch (cause) {
      throw new UtklarError('DEPENDENCY_UNAVAILABLE', `kafka: batch of ${messages.length} not sent: ${(cause as Error).message}`, {
        retriable: true,
        cause,
      });
    }
    return rejected;
  }

  async disconnect(): Promise<void> {
    await this.#producer.disconnect();
  }
}
