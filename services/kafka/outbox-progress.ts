import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { UtklarError } from '../core/errors.ts';

/**
 * How far each partition's outbox has been published, read back from Kafka. Every outbox
 * transaction also writes the id of its last entry to the progress topic (compacted, one
 * partition per events partition, key = `<group>:p<N>`), so the marker commits or aborts with
 * the messages. A process taking a partition over asks, once its producer has fenced the previous
 * holder, for the last committed marker: entries up to it are in Kafka already and are not sent
 * again (no duplicate under read_committed), the rest are.
 *
 * One read_committed consumer per process follows the whole topic, without committing offsets
 * (its group is its own and leaves nothing behind).
 */
export class OutboxProgress {
  readonly #consumer: Consumer;
  readonly #admin: Admin;
  /** The last committed marker per key, with the offset it was read at. */
  readonly #latest = new LatestByKey();
  /** Per partition, the next offset to read: everything before it has been seen. */
  readonly #position = new Map<number, bigint>();

  constructor(kafka: Kafka, readonly topic: string, private readonly log: Logger) {
    this.#consumer = kafka.consumer({ groupId: `${topic}.reader.${process.pid}.${Date.now()}`, allowAutoTopicCreation: false, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    this.#admin = kafka.admin();
  }

  async start(): Promise<void> {
    await this.#admin.connect();
    await this.#consumer.connect();
    // Batches of markers only (aborted transactions) reach no handler but this one.
    this.#consumer.on(this.#consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const next = BigInt(payload.lastOffset) + 1n;
      if (next > (this.#position.get(payload.partition) ?? 0n)) this.#position.set(payload.partition, next);
    });
    await this.#consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.#consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        if (message.key && message.value) this.#latest.record(message.key.toString(), BigInt(message.offset), message.value.toString());
      },
    });
  }

  /**
   * The last entry id committed for `key` in `partition`, once everything committed there up to
   * now has been read; null when none ever was.
   */
  async lastCommitted(partition: number, key: string, timeoutMs = 30_000): Promise<string | null> {
    const end = BigInt((await this.#admin.fetchTopicOffsets(this.topic)).find((p) => p.partition === partition)?.high ?? '0');
    for (const until = Date.now() + timeoutMs; (this.#position.get(partition) ?? 0n) < end; await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() > until) throw new UtklarError('DEPENDENCY_UNAVAILABLE', `kafka: the outbox progress of partition ${partition} not read up to offset ${end} within ${timeoutMs} ms`, { retriable: true });
    }
    return this.#latest.get(key);
  }

  async stop(): Promise<void> {
    await this.#consumer.disconnect().catch((e) => this.log.debug({ err: e }, 'progress reader disconnect failed'));
    await this.#admin.disconnect().catch(() => undefined);
  }
}

/**
 * The newest value per key by offset. The reader's group (of one, committing nothing) can lose
 * its session when the process is starved of CPU; it then rejoins and reads the topic again from
 * the beginning, and a plain "last one read wins" would hand a new owner an older marker
 * meanwhile, whose entries it would publish a second time (seen: 1 000 changeIds committed twice
 * in the crash-equivalence test). A value read again at an older offset changes nothing.
 */
export class LatestByKey {
  readonly #byKey = new Map<string, { offset: bigint; value: string }>();

  record(key: string, offset: bigint, value: string): void {
    const known = this.#byKey.get(key);
    if (!known || offset > known.offset) this.#byKey.set(key, { offset, value });
  }

  get(key: string): string | null {
    return this.#byKey.get(key)?.value ?? null;
  }
}

/** Redis stream ids (`<ms>-<seq>`) in their order. */
export function streamIdAtMost(id: string, bound: string): boolean {
  const [a1, a2] = id.split('-').map(BigInt) as [bigint, bigint];
  const [b1, b2] = bound.split('-').map(BigInt) as [bigint, bigint];
  return a1 < b1 || (a1 === b1 && a2 <= b2);
}
