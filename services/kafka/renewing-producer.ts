import { randomUUID } from 'node:crypto';
import { Partitioners, type Kafka, type Producer, type ProducerBatch, type ProducerRecord, type RecordMetadata } from 'kafkajs';

/**
 * An idempotent (optionally transactional) kafkajs producer that is replaced after every failed
 * send. kafkajs rolls a partition's sequence number back when a produce request fails, even if the
 * broker wrote the batch before the connection dropped; the next send from the same producer can
 * then carry the sequence numbers of that written batch, and the broker acknowledges it as a
 * duplicate without storing it: the new messages would be lost while the send resolved. A
 * transactional producer whose commit failed stays in COMMITTING for good (tulios/kafkajs#1416).
 * A new producer gets a new producer id (or, transactional, a new epoch), so it starts afresh; the
 * caller resends what failed (idempotently).
 *
 * A transactional one keeps its transactional id across renewals. A send that failed in a broker
 * restart can leave its transaction open on the coordinator; every read_committed consumer of the
 * topic stops at it until it ends. Under a new id only the transaction timeout (kafkajs: 60 s)
 * ends it; under the same id the new producer's InitProducerId aborts it at once and fences the
 * old instance, whose state machine (the #1416 trap included) is dropped with it.
 */
export class RenewingProducer {
  #producer: Producer;
  #connecting: Promise<void> | null = null;
  readonly #transactionalId?: string;

  constructor(
    private readonly kafka: Kafka,
    /** Makes it transactional, with `<prefix>-<uuid>` as its transactional id (one per instance). */
    transactionalIdPrefix?: string,
  ) {
    this.#transactionalId = transactionalIdPrefix ? `${transactionalIdPrefix}-${randomUUID()}` : undefined;
    this.#producer = this.#create();
  }

  /** The transactional id every producer of this instance uses, if transactional. */
  get transactionalId(): string | undefined {
    return this.#transactionalId;
  }

  #create(): Producer {
    return this.kafka.producer({
      ...(this.#transactionalId ? { transactionalId: this.#transactionalId } : {}),
      idempotent: true,
      maxInFlightRequests: 1,
      // Murmur2 like the Java client, so other producers keyed by patientKey land on the same partition.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  /** Connects the current producer once (concurrent callers share the attempt; a failed one is tried again by the next). */
  connect(): Promise<void> {
    if (this.#connecting) return this.#connecting;
    const producer = this.#producer;
    const attempt = this.#initialise(producer).catch((e: unknown) => {
      if (this.#connecting === attempt) this.#connecting = null;
      throw e;
    });
    this.#connecting = attempt;
    return attempt;
  }

  /**
   * kafkajs's connect asks a producer id without the transactional id; the transactional
   * InitProducerId, which aborts a predecessor's open transaction and fences it, waits for the
   * first transaction. An empty transaction asks it now (its abort sends nothing to the broker).
   */
  async #initialise(producer: Producer): Promise<void> {
    await producer.connect();
    if (this.#transactionalId) await (await producer.transaction()).abort();
  }

  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    return this.run((p) => p.send(record));
  }

  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    return this.run((p) => p.sendBatch(batch));
  }

  /** Runs `work` with the current producer (connected); if it fails, the producer is retired. */
  async run<T>(work: (p: Producer) => Promise<T>): Promise<T> {
    const producer = this.#producer;
    try {
      await this.connect();
      return await work(producer);
    } catch (e) {
      if (this.#producer === producer) {
        this.#producer = this.#create();
        this.#connecting = null;
        await producer.disconnect().catch(() => undefined);
        // Transactional: initialise the successor now, not at the next send, so that a transaction
        // the failure left open is aborted as soon as the coordinator answers, even if no send follows.
        if (this.#transactionalId) this.connect().catch(() => undefined);
      }
      throw e;
    }
  }

  async disconnect(): Promise<void> {
    const connecting = this.#connecting;
    this.#connecting = null;
    await connecting?.catch(() => undefined);
    await this.#producer.disconnect();
  }
}
