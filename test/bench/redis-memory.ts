import type { Redis } from 'ioredis';
import { scanKeys } from '../../services/core/redis.ts';
import { clockKeys } from '../../services/store/clock-keys.ts';

export interface RedisMemory {
  openEpisodes: number;
  /**
   * Bytes per open episode, two ways (see measureRedis):
   *  - `episode`: the open episodes' own clock records (state hash + event log), as
   *    docs/clock-state.md measures it;
   *  - `namespace`: everything the run left in Redis under its namespace, divided by the open
   *    episodes — what a deployment pays per open episode at this point, closed episodes kept for
   *    readmission linkage, patient histories and indexes included.
   */
  bytesPerOpenEpisode: { episode: number | null; namespace: number | null };
  namespaceBytes: number;
  namespaceKeys: number;
  /** Keys and bytes per kind of key (`<ns>:clock:ep:*`, `<ns>:clock:patient:*`, …). */
  byKind: Record<string, { keys: number; bytes: number }>;
  /** INFO used_memory before the pipeline started and after it caught up: a shared Redis, so only indicative. */
  usedMemoryBefore: number;
  usedMemoryAfter: number;
}

/** Groups keys by kind: the namespace and ids replaced by `*`. */
function kindOf(ns: string, key: string): string {
  // A partition's keys start with its hash tag, `{<ns>:p<N>}:`; the rest with `<ns>:`.
  const rest = key.startsWith('{') ? key.slice(key.indexOf('}:') + 2) : key.slice(ns.length + 1);
  const rules: [RegExp, string][] = [
    [/^clock:ep:.*:events$/, 'clock:ep:*:events'],
    [/^clock:ep:/, 'clock:ep:*'],
    [/^clock:patient:/, 'clock:patient:*'],
    [/^clock:open:(region|municipality|ward):/, 'clock:open:$1:*'],
    [/^clock:closed/, 'clock:closed'],
    [/^clock:applied:/, 'clock:applied:*'],
    [/^episode:/, 'episode:*'],
    [/^applied:/, 'applied:*'],
  ];
  for (const [re, kind] of rules) {
    const m = re.exec(rest);
    if (m) return kind.replace('$1', m[1] ?? '');
  }
  return rest;
}

export async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0);
}

/** MEMORY USAGE of many keys, pipelined; SAMPLES 0 measures every element of a hash, not 5. */
async function memoryUsage(redis: Redis, keys: string[]): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < keys.length; i += 1000) {
    const pipe = redis.pipeline();
    for (const k of keys.slice(i, i + 1000)) pipe.memory('USAGE', k, 'SAMPLES', 0);
    for (const [err, bytes] of (await pipe.exec()) ?? []) out.push(err ? 0 : Number(bytes ?? 0));
  }
  return out;
}

/** Every key of the namespace: the partitions' (hash-tagged) and the rest. */
async function namespaceKeys(redis: Redis, ns: string): Promise<string[]> {
  return (await Promise.all(clockKeys(ns).patterns.map((p) => scanKeys(redis, p, 2000)))).flat();
}

/**
 * Redis bytes per open episode. Redis is shared (other namespaces, other runs), so INFO's
 * used_memory delta mixes in everyone else's keys; instead every key of this run's namespace is
 * measured with MEMORY USAGE (the key's value, its name and Redis' per-key overhead; allocator
 * fragmentation is not in it). Open episodes are the members of the clock's per-region open
 * sets, i.e. admitted and neither discharged nor cancelled.
 */
export async function measureRedis(redis: Redis, ns: string, usedMemoryBefore: number): Promise<RedisMemory> {
  const k = clockKeys(ns);
  const open = new Set<string>();
  const partitionOf = new Map<string, number>();
  for (const key of await scanKeys(redis, k.every('clock:open:region:*'))) {
    const partition = Number(/^\{[^}]*:p(\d+)\}/.exec(key)![1]);
    for (const id of await redis.smembers(key)) {
      open.add(id);
      partitionOf.set(id, partition);
    }
  }
  const ids = [...open];
  const own = await memoryUsage(redis, ids.flatMap((id) => [k.of(partitionOf.get(id)!).state(id), k.of(partitionOf.get(id)!).events(id)]));
  const episodeBytes = own.reduce((a, b) => a + b, 0);

  const keys = await namespaceKeys(redis, ns);
  const sizes = await memoryUsage(redis, keys);
  const byKind: Record<string, { keys: number; bytes: number }> = {};
  keys.forEach((key, i) => {
    const kind = (byKind[kindOf(ns, key)] ??= { keys: 0, bytes: 0 });
    kind.keys++;
    kind.bytes += sizes[i]!;
  });
  const namespaceBytes = sizes.reduce((a, b) => a + b, 0);
  const per = (bytes: number) => (ids.length > 0 ? Math.round(bytes / ids.length) : null);
  return {
    openEpisodes: ids.length,
    bytesPerOpenEpisode: { episode: per(episodeBytes), namespace: per(namespaceBytes) },
    namespaceBytes,
    namespaceKeys: keys.length,
    byKind: Object.fromEntries(Object.entries(byKind).sort((a, b) => b[1].bytes - a[1].bytes)),
    usedMemoryBefore,
    usedMemoryAfter: await usedMemory(redis),
  };
}

/** Deletes the namespace's keys (UNLINK: freed in the background, Redis stays responsive). */
export async function deleteNamespace(redis: Redis, ns: string): Promise<number> {
  const keys = await namespaceKeys(redis, ns);
  for (let i = 0; i < keys.length; i += 1000) await redis.unlink(...keys.slice(i, i + 1000));
  return keys.length;
}
