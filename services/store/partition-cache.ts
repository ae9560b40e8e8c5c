import { emptyMaps, type ViewMaps } from './batch-view.ts';

/**
 * What this process knows of one partition's episodes in Redis, parsed, kept from batch to batch
 * so that a batch reads and parses only the episodes and patients it has not met before (before
 * this, every batch re-read and re-parsed each touched episode's whole event log).
 *
 * It is valid only as long as nobody else wrote the partition. Every applying step moves the
 * partition's applied offset, so the offset this cache last wrote is its token: a batch that
 * reads another offset in Redis (another process applied events there, Redis lost writes, the
 * keys were wiped) starts from an empty cache. Writes that do not move the offset are the
 * eviction sweep's (this process forgets the partition's cache when it evicts there) and the
 * timer worker's (which touch no field a plan reads). A batch that did not apply as planned
 * (a conflict, a replayed step, an error) forgets the partition too: its view ran ahead of Redis.
 */
export class PartitionCache {
  /** The applied offset the cache is in step with (null: none applied there yet). */
  applied: string | null = null;
  readonly maps: ViewMaps = emptyMaps();
  /** A batch is working in it. */
  busy = false;

  /** Episodes whose event log and state the cache holds. */
  hasEpisode(id: string): boolean {
    return this.maps.events.has(id);
  }

  hasPatient(key: string): boolean {
    return this.maps.history.has(key);
  }

  get size(): number {
    return this.maps.events.size + this.maps.stateOf.size + this.maps.history.size;
  }

  /**
   * Starts over once it holds more than `max` entries, so memory stays bounded at national
   * volume: whatever is forgotten is read from Redis again when it is next touched. All at once,
   * not the oldest part: an episode's log, row and parsed state must be forgotten together.
   */
  trim(max: number): void {
    if (this.size > max) this.reset();
  }

  /**
   * Lets go of episodes that closed (discharged, cancelled): they are rarely touched again, and
   * holding every closed episode of a replayed year kept the heap near its cap, where the
   * collector took a fifth of the process. A late event or a relink reads one from Redis again.
   * The patients' histories stay: every readmission check needs them.
   */
  dropEpisodes(ids: Iterable<string>): void {
    for (const id of ids) {
      this.maps.events.delete(id);
      this.maps.stateOf.delete(id);
      this.maps.stored.delete(id);
    }
  }

  /** Forgets everything it holds (its applied offset too). */
  reset(): void {
    for (const map of Object.values(this.maps) as Map<string, unknown>[]) map.clear();
    this.applied = null;
  }
}

/** The caches of the partitions this process applies, one per partition. */
export class PartitionCaches {
  readonly #byPartition = new Map<number, PartitionCache>();

  /** 10 000 entries (≈ 3 per episode, a few KB each): tens of MB a partition, inside bin/utklar's heap cap. */
  constructor(private readonly maxEntriesPerPartition = 10_000) {}

  /** The partition's cache, empty when the partition was forgotten or never seen. */
  of(partition: number): PartitionCache {
    let cache = this.#byPartition.get(partition);
    if (!cache) this.#byPartition.set(partition, (cache = new PartitionCache()));
    return cache;
  }

  /** Forgets a partition's cache, unless it was already replaced (only the current one goes). */
  forget(partition: number, cache?: PartitionCache): void {
    if (cache === undefined || this.#byPartition.get(partition) === cache) this.#byPartition.delete(partition);
  }

  /** After a batch applied as planned: the cache is in step with Redis at `applied`. */
  settle(partition: number, cache: PartitionCache, applied: string | null, closed: Iterable<string> = []): void {
    if (this.#byPartition.get(partition) !== cache) return;
    cache.applied = applied;
    cache.dropEpisodes(closed);
    cache.trim(this.maxEntriesPerPartition);
  }

  /** Forgets the caches of partitions this process no longer owns (they moved to another). */
  keepOnly(partitions: readonly number[]): void {
    for (const p of this.#byPartition.keys()) if (!partitions.includes(p)) this.#byPartition.delete(p);
  }
}
