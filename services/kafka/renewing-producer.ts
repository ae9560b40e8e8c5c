import { randomUUID } from 'node:crypto';
import { Partitioners, type Kafka, type Producer, type ProducerBatch, type ProducerRecord, type RecordMetadata } from 'kafkajs';

/**
 * An idempotent (optionally transactional) kafkajs producer that is replaced after every failed
 * send. kafkajs rolls a partition's sequence number back when a produce request fails, even if the
 * broker wrote the batch before the connection dropped; the next send from the same producer can
 * then carry the sequence numbers of that written batch, and the broker acknowledges it as a
 * duplicate without storing it: the new messages would be lost while the send resolved. A
 * transactional producer whose commit failed stays in COMMITTING for good (tulios/kafkajs#1416).
 * A new producer gets a new producer id (and transactional id), so it starts afresh; the caller
 * resends what failed (idempotently).
 */
export class RenewingProducer {
  #producer: Producer;
  #connected = false;

  constructor(
    private readonly kafka: Kafka,
    /** Makes it transactional: each producer gets `<prefix>-<uuid>` as its transactional id. */
    private readonly transactionalIdPrefix?: string,
  ) {
    this.#producer = this.#create();
  }

  #create(): Producer {
    return this.kafka.producer({
      ...(this.transactionalIdPrefix ? { transactionalId: `${this.transactionalIdPrefix}-${randomUUID()}` } : {}),
      idempotent: true,
      maxInFlightRequests: 1,
      // Murmur2 like the Java client, so other producers keyed by patientKey land on the same partition.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  async connect(): Promise<void> {
    if (this.#connected) return;
    await this.#producer.connect();
    this.#connected = true;
  }

  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    return this.run((p) => p.send(record));
  }

  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    return this.run((p) => p.sendBatch(batch));
  }

  /** Runs `work` with the current producer (connected); if it fails, the producer is retired. */
  async run<T>(work: (p: Producer) => Promise<T>): Promise<T> {
    try {
      await this.connect();
      return await work(this.#producer);
    } catch (e) {
      const old = this.#producer;
      this.#producer = this.#create();
      this.#connected = false;
      await old.disconnect().catch(() => undefined);
      throw e;
    }
  }

  async disconnect(): Promise<void> {
    await this.#producer.disconnect();
    this.#connected = false;
  }
}
