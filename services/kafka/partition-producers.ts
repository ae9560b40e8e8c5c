import { Partitioners, type Kafka, type Producer, type ProducerBatch } from 'kafkajs';
import type { Logger } from 'pino';
import { UtklarError } from '../core/errors.ts';

/** True for the broker's word that another producer took the transactional id over. */
export const isFenced = (e: unknown): boolean => {
  for (let x = e as { type?: string; message?: string; cause?: unknown; originalError?: unknown } | undefined; x; x = (x.cause ?? x.originalError) as typeof x) {
    if (x.type === 'INVALID_PRODUCER_EPOCH' || x.type === 'PRODUCER_FENCED' || /fenced/i.test(x.message ?? '')) return true;
  }
  return false;
};

interface Slot {
  producer: Producer;
  /** Connected and its transactional id initialised (which fences the id's earlier holders). */
  ready: Promise<void>;
}

/**
 * One transactional producer per owned partition of the events topic, with a transactional id
 * fixed per partition (Kafka Streams' EOS per task). Whoever owns the partition next initialises
 * the same id, which aborts the previous holder's open transaction and fences it: a process paused
 * past its session (a zombie) can no longer commit anything for a partition that has moved on.
 *
 * Producers are made when the partitions are assigned, not at the first send: a zombie that woke
 * up and made one then would fence the rightful owner. For the same reason a producer that failed
 * (a broker restart, a timed-out request) is made again only once the group has confirmed the
 * assignment since (a heartbeat that succeeded after the failure): a zombie's heartbeats fail.
 * A fenced partition is not taken up again until the next assignment.
 */
export class PartitionProducers {
  readonly #slots = new Map<number, Slot>();
  /** Partitions fenced in the current assignment: another process holds them now. */
  readonly #fenced = new Set<number>();
  /** Partitions whose producer failed, and when. */
  readonly #failed = new Map<number, number>();

  constructor(
    private readonly kafka: Kafka,
    /** The partition's transactional id (stable: it is what fences). */
    private readonly idOf: (partition: number) => string,
    private readonly log: Logger,
    /** Whether the consumer group confirmed this member's assignment after `since` (ms). */
    private readonly confirmedSince: (since: number) => boolean,
  ) {}

  /**
   * Follows a new assignment: fresh producers for the partitions owned now, none for the rest.
   * Fresh also for a partition that stays: while this process was away (paused, cut off) its
   * producer may have been fenced by another owner in between, and would fail every send.
   */
  follow(partitions: readonly number[]): void {
    this.#fenced.clear();
    this.#failed.clear();
    for (const slot of this.#slots.values()) void slot.producer.disconnect().catch(() => undefined);
    this.#slots.clear();
    for (const p of partitions) this.#slots.set(p, this.#open(p));
  }

  /** Whether this process may publish the partition now (a failed producer: once confirmed). */
  holds(partition: number): boolean {
    if (this.#fenced.has(partition)) return false;
    const failedAt = this.#failed.get(partition);
    return failedAt === undefined ? this.#slots.has(partition) : this.confirmedSince(failedAt);
  }

  /** Resolves once the partition's producer holds its transactional id (the fence is up). */
  async ready(partition: number): Promise<void> {
    await this.#slots.get(partition)?.ready;
  }

  #open(partition: number): Slot {
    const producer = this.kafka.producer({
      transactionalId: this.idOf(partition),
      idempotent: true,
      maxInFlightRequests: 1,
      // Murmur2 like the Java client, so other producers keyed alike land on the same partition.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const ready = (async () => {
      await producer.connect();
      // An empty transaction initialises the id now: the fence goes up at assignment.
      const tx = await producer.transaction();
      await tx.abort();
    })();
    ready.catch(() => undefined);
    return { producer, ready };
  }

  /**
   * Sends the batch in one transaction of the partition's producer: all of it or none is seen
   * by read_committed readers. Fenced → UtklarError FENCED (not retriable: the partition has
   * moved); any other failure retires the producer, and once the group has confirmed the
   * assignment the next send makes a new one with the same id (a kafkajs producer whose commit
   * failed stays COMMITTING: tulios/kafkajs#1416).
   */
  async send(partition: number, batch: ProducerBatch): Promise<void> {
    if (this.#fenced.has(partition)) throw new UtklarError('FENCED', `partition ${partition} is fenced: another process owns it`, { retriable: false });
    const failedAt = this.#failed.get(partition);
    if (failedAt !== undefined) {
      if (!this.confirmedSince(failedAt)) throw new UtklarError('DEPENDENCY_UNAVAILABLE', `partition ${partition}: waiting for the group to confirm it before its producer is made again`, { retriable: true });
      this.#failed.delete(partition);
      this.#slots.set(partition, this.#open(partition));
    }
    const slot = this.#slots.get(partition);
    if (!slot) throw new UtklarError('FENCED', `partition ${partition} is not held by this process`, { retriable: false });
    try {
      await slot.ready;
      const tx = await slot.producer.transaction();
      try {
        await tx.sendBatch(batch);
        await tx.commit();
      } catch (e) {
        await tx.abort().catch(() => undefined);
        throw e;
      }
    } catch (cause) {
      if (this.#slots.get(partition) === slot) this.#slots.delete(partition);
      void slot.producer.disconnect().catch(() => undefined);
      if (isFenced(cause)) {
        this.#fenced.add(partition);
        this.log.warn({ partition }, 'outbox producer fenced: another process owns the partition now');
        throw new UtklarError('FENCED', `partition ${partition}: fenced by its new owner`, { retriable: false, cause });
      }
      this.#failed.set(partition, Date.now());
      throw new UtklarError('DEPENDENCY_UNAVAILABLE', `kafka: outbox transaction of partition ${partition} failed: ${(cause as Error).message}`, { retriable: true, cause });
    }
  }

  async stop(): Promise<void> {
    const slots = [...this.#slots.values()];
    this.#slots.clear();
    await Promise.all(slots.map((s) => s.producer.disconnect().catch(() => undefined)));
  }
}
