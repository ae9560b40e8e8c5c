import { randomUUID } from 'node:crypto';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import { topics } from '../core/config.ts';
import { UtklarError } from '../core/errors.ts';
import type { PatientEvent } from '../contract/event.ts';
import { EventCodec } from '../kafka/codec.ts';
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
  #producer: Producer;
  #connected = false;

  constructor(
    private readonly kafka: Kafka,
    registryUrl: string,
    private readonly namespace: string,
  ) {
    this.codec = new EventCodec(registryUrl);
    this.topic = topics(namespace).patientEvents;
    this.#producer = this.#newProducer();
  }

  #newProducer(): Producer {
    return this.kafka.producer({
      transactionalId: `${this.namespace}-producer-${randomUUID()}`,
      idempotent: true,
      maxInFlightRequests: 1,
      // Murmur2 like the Java client, so other producers keyed by patientKey land on the same partition.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  async connect(): Promise<void> {
    await ensureTopics(this.kafka, this.namespace);
    await this.codec.register(this.topic);
    await this.#producer.connect();
    this.#connected = true;
  }

  /**
   * After a failed transaction the kafkajs producer is not fit to go on: a commit that failed
   * leaves it in COMMITTING for good (tulios/kafkajs#1416), and after an abort it keeps its
   * producer id and epoch and may reuse sequence numbers of the aborted batch, which the broker
   * then acknowledges as duplicates of data that was never committed. So each failure retires it:
   * the retry goes out on a new producer, with a transactional id of its own.
   */
  async #replaceProducer(): Promise<void> {
    const old = this.#producer;
    this.#producer = this.#newProducer();
    this.#connected = false;
    await old.disconnect().catch(() => undefined);
  }

  #queue: Promise<unknown> = Promise.resolve();

  /**
   * Returns the events that could not be encoded; all others are committed together. Calls are
   * serialised: a transactional producer has one transaction open at a time.
   */
  send(events: PatientEvent[]): Promise<Rejected[]> {
    const run = this.#queue.then(() => this.#send(events));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #send(events: PatientEvent[]): Promise<Rejected[]> {
    const rejected: Rejected[] = [];
    const messages = [];
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
    if (messages.length === 0) return rejected;
    try {
      if (!this.#connected) {
        await this.#producer.connect();
        this.#connected = true;
      }
      const tx = await this.#producer.transaction();
      try {
        await tx.send({ topic: this.topic, messages });
        await tx.commit();
      } catch (cause) {
        await tx.abort().catch(() => undefined);
        throw cause;
      }
    } catch (cause) {
      await this.#replaceProducer();
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
