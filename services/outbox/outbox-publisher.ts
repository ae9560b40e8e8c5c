import { hostname } from 'node:os';
import type { RedisLike } from '../core/redis.ts';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { PartitionOwnership } from '../model/partition-ownership.ts';
import { streamIdAtMost, type OutboxProgress } from '../kafka/outbox-progress.ts';
import { PartitionProducers } from '../kafka/partition-producers.ts';
import type { RegisteredSchema } from '../kafka/registered-schema.ts';
import { stateChanged } from '../clock/changelog.ts';
import type { StoredEpisode } from '../clock/stored-episode.ts';

/**
 * How the publisher gathers entries into transactions. Each Kafka transaction costs the broker
 * a fixed amount (its coordinator's records, a commit marker in every partition it wrote), so a
 * replay's entries go in few large ones; a live rate's few entries wait at most `lingerMs`.
 */
export interface OutboxGathering {
  /** How often the outboxes are looked at. */
  everyMs: number;
  /** A partition with at least this many unsent entries is sent at once. */
  minEntries: number;
  /** Fewer unsent entries are sent once the first of them has waited this long. */
  lingerMs: number;
  /** Entries per transaction at most. */
  maxEntries: number;
}

/**
 * The most entries a partition's outbox holds before the clock waits for the publisher (room).
 * The outbox is sent in order, so a live change waits behind everything ahead of it, and Redis
 * holds all of it: at 10 000 a partition a million-event replay peaked at 67 000 entries (Redis
 * 1.8 GiB), at 2 000 at 26 000 (1.5 GiB), at no throughput cost the bench could tell (2026-12-06).
 * At 2 000 (entries sent but not yet deleted included: they wait for their episode facts, up to
 * the row buffer's 1 s) what is ahead of a live change is about one gathered transaction. (The
 * API's freshness right after a replay is set by the read model, not by this: README, Performance.)
 */
export const OUTBOX_HIGH_WATER = 2_000;

/** 2026-12-05, 100 000 events: 50 ms / 500 a transaction kept the broker at 0.24 cores; gathered, 0.10. */
export const DEFAULT_GATHERING: OutboxGathering = { everyMs: 50, minEntries: 1000, lingerMs: 200, maxEntries: 5000 };

export interface OutboxRoute {
  topic: string;
  /** Avro via the registry; without one the entry's JSON is sent as it is. */
  schema?: RegisteredSchema;
  id: (value: Record<string, unknown>) => string;
  headers?: (value: Record<string, unknown>) => Record<string, string>;
}

/**
 * Moves derived messages from the partitions' Redis outboxes (each written atomically with its
 * partition's state) to Kafka: the partitions this process owns in the consumer group, each in
 * Kafka transactions of its own producer, whose transactional id is the partition's. A process
 * that lost a partition (paused past its session, then woken) is fenced by the new owner and
 * commits nothing more there. Each transaction also commits how far the partition's outbox is
 * published (outbox-progress.ts); an entry is deleted once its transaction committed, and a new
 * owner skips the entries a crash left behind that Kafka already has: each message is committed
 * once under read_committed.
 */
export class OutboxPublisher {
  readonly #producers: PartitionProducers;
  /** The assignment the producers follow (see PartitionOwnership.generation). */
  #generation = -1;
  /** Per partition taken over in this assignment: the last entry Kafka had from earlier holders. */
  readonly #published = new Map<number, string | null>();
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  /** Messages this process sent to Kafka (not those an earlier holder had sent). */
  published = 0;
  /** When the outbox was last found empty (a heartbeat: publishing keeps up). */
  lastDrainedAt = 0;
  /** Per partition, the last entry sent (none: read from the start, as after a restart). */
  readonly #cursors = new Map<number, string>();
  /** Sent batches whose entries are not deleted yet. */
  #waiting = 0;
  #deleting: Promise<void> = Promise.resolve();
  #stopped = false;
  /** Per partition: when unsent entries were first seen waiting (cleared once sent). */
  readonly #waitingSince = new Map<number, number>();

  constructor(
    private readonly redis: RedisLike,
    kafka: Kafka,
    /** A partition's outbox stream. */
    private readonly outboxKey: (partition: number) => string,
    /** The partitions to drain: those the clock's consumer owns. */
    private readonly ownership: PartitionOwnership,
    /** A partition's transactional id: one per partition and consumer group (also its progress key). */
    private readonly transactionalId: (partition: number) => string,
    private readonly progress: OutboxProgress,
    /** Where each kind of outbox entry goes: 'state' → changelog, 'clock' → clock events, 'dead-letter' → DLQ. */
    private readonly routes: Record<string, OutboxRoute>,
    private readonly log: Logger,
    /**
     * Rows made of the sent entries (episode facts of 'state' entries): the promise settles when
     * they are stored, and only then are the entries deleted. A crash in between sends and
     * stores them again, with the same ids and keys.
     */
    private readonly derive?: (entries: { kind: string; value: Record<string, unknown> }[]) => Promise<void>,
    private readonly gathering: OutboxGathering = DEFAULT_GATHERING,
  ) {
    this.#producers = new PartitionProducers(kafka, transactionalId, log, (since) => ownership.confirmedSince(since));
    // After a reconnect Redis may have lost its last writes (a restart): read from the start
    // again rather than past a cursor that may no longer exist. What is still there is sent again.
    redis.on('ready', () => this.#cursors.clear());
  }

  async start(): Promise<void> {
    for (const route of Object.values(this.routes)) await route.schema?.register();
    this.#timer = setInterval(() => {
      if (this.#busy) return;
      this.#busy = true;
      this.drain(true)
        .catch((e) => this.log.warn({ err: e }, 'outbox publish failed; retrying'))
        .finally(() => (this.#busy = false));
    }, this.gathering.everyMs);
  }

  /**
   * Waits while a partition's outbox holds more than `max` entries, at most `maxWaitMs`: the
   * clock calls it before each batch, so a publisher that falls behind (it shares the process,
   * or Kafka is slow) slows the clock down instead of letting the outbox, and Redis's memory,
   * grow without bound. Bounded, because the consumer must heartbeat; returns the milliseconds waited.
   */
  async room(partition: number, max = OUTBOX_HIGH_WATER, maxWaitMs = 2_000): Promise<number> {
    const started = Date.now();
    let waited = 0;
    while ((await this.redis.xlen(this.outboxKey(partition))) > max && waited < maxWaitMs) {
      await new Promise((r) => setTimeout(r, 20));
      waited = Date.now() - started;
    }
    return waited;
  }

  /**
   * Publishes the served partitions' outboxes (all of them now, or with `gather` only those whose
   * entries are due by the gathering policy); returns how many messages were sent. An entry is deleted once Kafka acknowledged it and the rows `derive` made of it are
   * stored (ClickHouse episode facts); reading goes on past entries still waiting for their
   * rows, so a slow insert does not hold the topics back. One send carries every partition's
   * entries, each partition's in its order.
   */
  async drain(gather = false): Promise<number> {
    if (this.ownership.generation !== this.#generation) {
      // Partitions may have moved: producers for the new ones (fencing their former holders), and
      // each outbox read from its start (another process may have drained it meanwhile).
      this.#generation = this.ownership.generation;
      this.#producers.follow(this.ownership.assigned);
      this.#cursors.clear();
      this.#published.clear();
    }
    const served = this.ownership.assigned.filter((p) => this.#producers.holds(p));
    const before = this.published;
    let failure: unknown;
    // Each partition on its own: one that fails (fenced, Kafka away) holds back only itself.
    await Promise.all(served.map(async (p) => {
      try {
        while ((await this.#drainPartition(p, this.gathering.maxEntries, gather)) > 0);
      } catch (e) {
        failure ??= e;
      }
    }));
    if (failure) throw failure;
    if (this.#waiting === 0) this.lastDrainedAt = Date.now();
    return this.published - before;
  }

  /**
   * Sends the next entries of one partition's outbox in one transaction; returns how many it
   * handled (sent, or found sent by an earlier holder).
   */
  async #drainPartition(p: number, count: number, gather: boolean): Promise<number> {
    if (!this.#published.has(p)) {
      // After the fence: no earlier holder can commit more, so the marker read now is final.
      await this.#producers.ready(p);
      this.#published.set(p, await this.progress.lastCommitted(p, this.transactionalId(p)));
      this.log.info({ partition: p, generation: this.#generation, marker: this.#published.get(p) }, 'outbox partition taken over');
    }
    const cursor = this.#cursors.get(p);
    const entries = await this.redis.xrange(this.outboxKey(p), cursor === undefined ? '-' : `(${cursor}`, '+', 'COUNT', count);
    if (entries.length === 0) {
      this.#waitingSince.delete(p);
      return 0;
    }
    if (gather && entries.length < this.gathering.minEntries) {
      const since = this.#waitingSince.get(p) ?? Date.now();
      this.#waitingSince.set(p, since);
      if (Date.now() - since < this.gathering.lingerMs) return 0;
    }
    this.#waitingSince.delete(p);
    const marker = this.#published.get(p) ?? null;
    // Stream ids grow: the entries up to the marker are a prefix of what was read.
    const sentBefore = marker === null ? 0 : entries.filter(([id]) => streamIdAtMost(id, marker)).length;
    const byTopic = new Map<string, { key: string; value: Buffer; headers: Record<string, string> }[]>();
    const derived: { kind: string; value: Record<string, unknown> }[] = [];
    // Who sent it, under which assignment: how an operator (and the zombie test) tells a
    // message of a process that had lost the partition from the owner's.
    const writer = `${hostname()}/${process.pid}/g${this.#generation}`;
    for (const [i, [, fields]] of entries.entries()) {
      const f: Record<string, string> = {};
      for (let i = 0; i < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
      const { kind, value } = entryOf(f);
      const route = this.routes[kind];
      if (!route) throw new Error(`outbox entry of unknown kind '${kind}'`);
      if (this.derive) derived.push({ kind, value });
      // Kafka has it from an earlier holder: only its rows and its deletion are left to do.
      if (i < sentBefore) continue;
      const list = byTopic.get(route.topic) ?? [];
      const encoded = route.schema ? route.schema.encodeNow(value) : Buffer.from(f.value!);
      list.push({ key: f.key!, value: encoded, headers: { 'message-id': route.id(value), 'utklar-writer': writer, ...route.headers?.(value) } });
      byTopic.set(route.topic, list);
    }
    if (sentBefore < entries.length) {
      this.log.debug({ partition: p, generation: this.#generation, first: entries[sentBefore]![0], last: entries.at(-1)![0], sending: entries.length - sentBefore, marker }, 'outbox send');
      const progress = { key: this.transactionalId(p), value: entries.at(-1)![0], partition: p, headers: { 'utklar-writer': writer } };
      await this.#producers.send(p, { topicMessages: [...[...byTopic].map(([topic, messages]) => ({ topic, messages })), { topic: this.progress.topic, messages: [progress] }] });
    }
    const stored = this.derive ? this.derive(derived) : Promise.resolve();
    this.#cursors.set(p, entries.at(-1)![0]);
    this.#remove(p, entries.map(([id]) => id), stored);
    this.published += entries.length - sentBefore;
    return entries.length;
  }

  /** Deletes sent entries once their derived rows are stored, in order; retried while Redis is away. */
  #remove(partition: number, ids: string[], stored: Promise<void>): void {
    this.#waiting++;
    this.#deleting = this.#deleting.then(async () => {
      await stored;
      for (let attempt = 0; ; attempt++) {
        try {
          await this.redis.xdel(this.outboxKey(partition), ...ids);
          break;
        } catch (e) {
          if (this.#stopped) return;
          if (attempt % 10 === 0) this.log.warn({ err: e }, 'outbox delete failed; retrying');
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    }).finally(() => this.#waiting--);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.race([this.#deleting, new Promise((r) => setTimeout(r, 5_000))]);
    this.#stopped = true;
    await this.#producers.stop();
  }
}

/**
 * An outbox entry's kind and message. A new version is written as the state stored with it
 * ('stored': its version and cause beside it) and leaves as its changelog message ('state');
 * entries an older step wrote as the message itself ('state') still read as they are.
 */
function entryOf(f: Record<string, string>): { kind: string; value: Record<string, unknown> } {
  if (f.kind === 'stored') return { kind: 'state', value: stateChanged(JSON.parse(f.value!) as StoredEpisode, Number(f.version), f.cause!) };
  return { kind: f.kind!, value: JSON.parse(f.value!) as Record<string, unknown> };
}
