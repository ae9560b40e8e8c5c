import { Partitioners, type Kafka, type Producer, type ProducerBatch, type ProducerRecord, type RecordMetadata } from 'kafkajs';

/**
 * An idempotent kafkajs producer that is replaced after every failed send. kafkajs rolls a
 * partition's sequence number back when a produce request fails, even if the broker wrote the
 * batch before the connection dropped; the next send from the same producer can then carry the
 * sequence numbers of that written batch, and the broker acknowledges it as a duplicate without
 * storing it: the new messages would be lost while the send resolved. A new producer gets a new
 * producer id, so its sequences start afresh; the caller resends what failed (idempotently).
 */
export class RenewingProducer {
  #producer: Producer;
  #connected = false;

  constructor(private readonly kafka: Kafka) {
    this.#producer = this.#create();
  }

  #create(): Producer {
    return this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  }

  async connect(): Promise<void> {
    if (this.#connected) return;
    await this.#producer.connect();
    this.#connected = true;
  }

  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    return this.#guard((p) => p.send(record));
  }

  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    return this.#guard((p) => p.sendBatch(batch));
  }

  async #guard(send: (p: Producer) => Promise<RecordMetadata[]>): Promise<RecordMetadata[]> {
    try {
      await this.connect();
      return await send(this.#producer);
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
