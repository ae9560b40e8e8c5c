import type { RedisLike } from '../../services/core/redis.ts';
import { scanKeys } from '../../services/core/redis.ts';
import { clockKeys, type PartitionKeys } from '../../services/store/clock-keys.ts';
import { DEFAULT_EVENT_PARTITIONS } from '../../services/kafka/topics.ts';

/** The clock's keys of every partition of the events topic. */
export const partitionKeys = (ns: string, partitions = DEFAULT_EVENT_PARTITIONS): PartitionKeys[] =>
  Array.from({ length: partitions }, (_, p) => clockKeys(ns).of(p));

/** Every stored episode's state key, by episodeId (each episode lives in its patient's partition). */
export async function stateKeys(redis: RedisLike, ns: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const key of await scanKeys(redis, clockKeys(ns).every('clock:ep:*'))) {
    if (key.endsWith(':events')) continue;
    const id = key.slice(key.indexOf(':clock:ep:') + ':clock:ep:'.length);
    if (out.has(id)) throw new Error(`episode ${id} is stored in two partitions: ${out.get(id)} and ${key}`);
    out.set(id, key);
  }
  return out;
}

/**
 * The state key of one episode, in whichever partition it is (its events are at `<key>:events`);
 * a key that does not exist when the episode is stored nowhere.
 */
export async function stateKeyOf(redis: RedisLike, ns: string, episodeId: string): Promise<string> {
  const found = await scanKeys(redis, clockKeys(ns).every(`clock:ep:${episodeId}`));
  if (found.length > 1) throw new Error(`episode ${episodeId} is stored in ${found.length} partitions`);
  return found[0] ?? `${ns}:nowhere:${episodeId}`;
}

/** Every key of the namespace: the partitions' and the rest. */
export async function namespaceKeys(redis: RedisLike, ns: string): Promise<string[]> {
  return (await Promise.all(clockKeys(ns).patterns.map((p) => scanKeys(redis, p)))).flat();
}

/** Entries waiting in the partitions' outboxes. */
export async function outboxLength(redis: RedisLike, ns: string, partitions = DEFAULT_EVENT_PARTITIONS): Promise<number> {
  const lengths = await Promise.all(partitionKeys(ns, partitions).map((k) => redis.xlen(k.outbox)));
  return lengths.reduce((a, b) => a + b, 0);
}

/** Timers due by `until` in every partition. */
export async function dueTimers(redis: RedisLike, ns: string, until: number, partitions = DEFAULT_EVENT_PARTITIONS): Promise<number> {
  const counts = await Promise.all(partitionKeys(ns, partitions).map((k) => redis.zcount(k.timers, '-inf', until)));
  return counts.reduce((a, b) => a + b, 0);
}

/** Events the group has applied, over all partitions (each applied offset + 1). */
export async function appliedEvents(redis: RedisLike, ns: string, group: string, topic: string, partitions = DEFAULT_EVENT_PARTITIONS): Promise<number> {
  const offsets = await Promise.all(partitionKeys(ns, partitions).map((k) => redis.get(k.applied(group, topic))));
  return offsets.reduce((a, o) => a + (o === null ? 0 : Number(o) + 1), 0);
}
