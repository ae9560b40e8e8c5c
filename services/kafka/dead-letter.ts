import type { Kafka, KafkaMessage } from 'kafkajs';
import { topics } from '../core/config.ts';
import type { UtklarError } from '../core/errors.ts';
import { RenewingProducer } from './renewing-producer.ts';

/**
 * Messages the pipeline cannot use go here untouched, with the reason in headers, so nothing is
 * lost and the partition keeps moving. The original bytes are kept: they are already
 * pseudonymised (only the producer edge ever sees a personnummer).
 */
export class DeadLetters {
  readonly topic: string;
  readonly #producer: RenewingProducer;

  constructor(kafka: Kafka, namespace: string) {
    this.topic = topics(namespace).deadLetter;
    this.#producer = new RenewingProducer(kafka);
  }

  connect = () => this.#producer.connect();
  disconnect = () => this.#producer.disconnect();

  /**
   * Dead letters that never were a message on a topic: what a source's edge (HTTP, MLLP) could
   * not turn into an event, as JSON with the reason, in the headers' same vocabulary. The caller
   * removes personal data first: the entry is kept forever.
   */
  async sendJson(entries: { key: string | null; entry: { code: string; reason: string; consumer: string; sourceTopic: string } & Record<string, unknown> }[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#producer.send({
      topic: this.topic,
      messages: entries.map(({ key, entry }) => ({
        key,
        value: JSON.stringify(entry),
        headers: {
          'dlq-code': entry.code,
          'dlq-reason': entry.reason,
          'dlq-consumer': entry.consumer,
          'dlq-source-topic': entry.sourceTopic,
          'dlq-format': 'json',
        },
      })),
    });
  }

  async send(
    entries: { message: KafkaMessage; error: UtklarError }[],
    origin: { topic: string; partition: number; consumer: string },
  ): Promise<void> {
    if (entries.length === 0) return;
    await this.#producer.send({
      topic: this.topic,
      messages: entries.map(({ message, error }) => ({
        key: message.key,
        value: message.value,
        headers: {
          'dlq-code': error.code,
          'dlq-reason': error.message,
          'dlq-consumer': origin.consumer,
          'dlq-source-topic': origin.topic,
          'dlq-source-partition': String(origin.partition),
          'dlq-source-offset': message.offset,
        },
      })),
    });
  }
}
