import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { clockKeys } from '../../services/store/clock-keys.ts';
import { foldEpisode } from '../../services/clock/episode-state.ts';
import type { PatientEvent } from '../../services/contract/event.ts';
import { ClockStore, MAX_STEPS_PER_CALL } from '../../services/store/clock-store.ts';
import { OREBRO_RULES } from '../../services/clock/rules.ts';
import type { DecodedEvent } from '../../services/model/decoded-event.ts';
import { buildWorkload } from '../chaos/workload.ts';
import { configOf, isolatedEnv } from '../support/env.ts';

/**
 * ClockStore.apply plans a whole batch against one read of Redis and applies it in one script call.
 * Two workers applying the same batches at the same moment (a consumer that lost its partitions
 * and has not noticed yet, next to the one that got them, both from the committed offset) must leave Redis exactly as one worker
 * applying event by event does: a step whose state changed underneath stops the rest of its
 * batch, which is then planned again from a fresh read, and every effect (state, outbox message)
 * happens once.
 */
describe('clock: pipelined batches raced by two workers', () => {
  const env = isolatedEnv('server');
  const config = configOf(env);
  const topic = 'patient-events';
  const group = 'clock';
  const redis = [new Redis(config.redisUrl), new Redis(config.redisUrl), new Redis(config.redisUrl)];
  const namespaces = [`${config.namespace}-single`, `${config.namespace}-raced`, `${config.namespace}-foreign`, `${config.namespace}-handover`, `${config.namespace}-sliced`, `${config.namespace}-sliced-shipped`];

  afterAll(async () => {
    for (const ns of namespaces) {
      const keys = (await Promise.all(clockKeys(ns).patterns.map((p) => redis[0]!.keys(p)))).flat();
      for (let i = 0; i < keys.length; i += 1000) await redis[0]!.del(...keys.slice(i, i + 1000));
    }
    for (const r of redis) r.disconnect();
  });

  async function dump(ns: string): Promise<{ keys: Record<string, unknown>; outbox: string[] }> {
    const r = redis[0]!;
    const keys: Record<string, unknown> = {};
    const outbox: string[] = [];
    // A partition's key `{<ns>:p3}:clock:…` is named `{p3}:clock:…`: alike in every namespace.
    for (const key of (await Promise.all(clockKeys(ns).patterns.map((p) => r.keys(p)))).flat()) {
      const name = key.startsWith('{') ? key.replace(`{${ns}:`, '{') : key.slice(ns.length);
      if (name.endsWith(':clock:recent')) continue; // wall time of the last change
      if (name.endsWith(':clock:outbox')) {
        outbox.push(...(await r.xrange(key, '-', '+')).map(([, f]) => f.join('|')));
        continue;
      }
      const type = await r.type(key);
      keys[name] = type === 'hash' ? Object.fromEntries(Object.entries(await r.hgetall(key)).sort())
        : type === 'set' ? (await r.smembers(key)).sort()
        : type === 'zset' ? await r.zrange(key, '0', '-1', 'WITHSCORES')
        : type === 'string' ? await r.get(key)
        : type;
    }
    return { keys, outbox: outbox.sort() };
  }

  const byPartition: DecodedEvent[][] = [];
  let appliedOnce = 0;

  it('ends key for key, and outbox message for message, as one worker applying event by event', async () => {
    const w = await buildWorkload({ days: 40, rate: 60, seed: 5, from: '2026-01-01T00:00:00Z', duplicateShare: 0.1, malformed: 0 }, env);
    const partitions = 3;
    const offsets = new Array<number>(partitions).fill(0);
    for (let p = 0; p < partitions; p++) byPartition.push([]);
    for (const it of w.items) {
      if (it.kind !== 'event') continue;
      const partition = createHash('sha1').update(it.event.patientKey).digest()[0]! % partitions;
      byPartition[partition]!.push({ event: it.event, schemaId: 1, partition, offset: String(offsets[partition]!++) });
    }
    expect(byPartition.every((p) => p.length > 300)).toBe(true);

    const single = new ClockStore(redis[0]!, namespaces[0]!, group, topic, OREBRO_RULES);
    for (const events of byPartition) for (const d of events) appliedOnce += await single.apply([d]);

    const workers = [new ClockStore(redis[1]!, namespaces[1]!, group, topic, OREBRO_RULES), new ClockStore(redis[2]!, namespaces[1]!, group, topic, OREBRO_RULES)];
    let changed = 0;
    await Promise.all(byPartition.map(async (events) => {
      for (let i = 0; i < events.length; i += 150) {
        const batch = events.slice(i, i + 150);
        // The second worker takes the same events in small slices of its own, so its reads and
        // steps fall between the first one's: some of its plans meet state changed underneath.
        const [a, b] = await Promise.all([
          workers[0]!.apply(batch),
          (async () => {
            let n = 0;
            for (let j = 0; j < batch.length; j += 10 + (j % 37)) n += await workers[1]!.apply(batch.slice(j, j + 10 + (j % 37)));
            return n;
          })(),
        ]);
        changed += a + b;
      }
    }));
    const expected = await dump(namespaces[0]!);
    const actual = await dump(namespaces[1]!);
    expect(Object.keys(actual.keys).sort()).toEqual(Object.keys(expected.keys).sort());
    for (const key of Object.keys(expected.keys)) expect(actual.keys[key], key).toEqual(expected.keys[key]);
    expect(actual.outbox.length).toBe(expected.outbox.length);
    expect(actual.outbox).toEqual(expected.outbox);
    // Between them the workers applied each event once.
    expect(changed).toBe(appliedOnce);
  }, 300_000);

  it('plans the rest again, each event still applied once, when a batch meets state another writer changed', async () => {
    // A foreign writer (here: a version bump) changes an episode between the batch's read and
    // its script call; the steps from that episode's event on must stand still and be redone.
    const r = redis[1]!;
    const ns = namespaces[2]!;
    let bumps = 0;
    // The hook runs once the batch's reads are done, just before its script call goes out.
    const send = r.sendCommand.bind(r);
    let before: (() => Promise<void>) | undefined;
    r.sendCommand = ((...args: Parameters<typeof send>) => {
      const [command] = args;
      if (before && (command.name === 'evalsha' || command.name === 'eval')) {
        const hook = before;
        before = undefined;
        return hook().then(() => send(...args));
      }
      return send(...args);
    }) as typeof r.sendCommand;
    const store = new ClockStore(r, ns, group, topic, OREBRO_RULES);
    let changed = 0;
    for (const events of byPartition) {
      for (let i = 0; i < events.length; i += 150) {
        const batch = events.slice(i, i + 150);
        const victim = batch[Math.floor(batch.length / 2)]!.event.episodeId;
        before = async () => {
          const key = clockKeys(ns).of(batch[0]!.partition).state(victim);
          if ((await redis[0]!.hincrby(key, 'version', 1)) > 1) bumps++;
          else await redis[0]!.del(key); // a new episode: no foreign version to bump
        };
        changed += await store.apply(batch);
      }
    }
    r.sendCommand = send;
    expect(bumps).toBeGreaterThan(10);
    expect(store.conflicts).toBeGreaterThanOrEqual(bumps);
    expect(changed).toBe(appliedOnce);
    // Everything equals the undisturbed run but the bumped versions (an outbox entry carries the
    // version its changelog message, and change id, will have).
    const strip = (d: Awaited<ReturnType<typeof dump>>) => ({
      keys: Object.fromEntries(Object.entries(d.keys).map(([k, v]) => [k, /^\{p\d+\}:clock:ep:/.test(k) && !k.endsWith(':events') ? { ...(v as object), version: undefined } : v])),
      outbox: d.outbox.map((m) => m.replace(/\|version\|\d+/, '')).sort(),
    });
    expect(strip(await dump(ns))).toEqual(strip(await dump(namespaces[0]!)));
  }, 300_000);

  it('applies a batch longer than a script call\'s bound in slices, each its own call, ending as one worker applying event by event', async () => {
    // A script call holds Redis for its whole run (clock-store.ts, MAX_STEPS_PER_CALL): a replayed
    // batch of thousands of events is cut into calls of a bounded number of steps.
    const store = new ClockStore(redis[1]!, namespaces[4]!, group, topic, OREBRO_RULES, { maxStepsPerCall: 64 });
    let changed = 0;
    let calls = 0;
    for (const events of byPartition) {
      changed += await store.apply(events);
      calls += Math.ceil(events.length / 64);
    }
    expect(byPartition.every((events) => events.length > 64 * 4)).toBe(true);
    expect(store.scriptCalls).toBe(calls);
    expect(changed).toBe(appliedOnce);
    expect(await dump(namespaces[4]!)).toEqual(await dump(namespaces[0]!));
    // The bound as shipped: one call for a batch within it.
    const shipped = new ClockStore(redis[1]!, namespaces[5]!, group, topic, OREBRO_RULES);
    await shipped.apply(byPartition[0]!.slice(0, MAX_STEPS_PER_CALL));
    expect(shipped.scriptCalls).toBe(1);
    expect(MAX_STEPS_PER_CALL).toBeLessThan(1000);
  }, 300_000);

  it('keeps a partition\'s episodes between batches, and starts afresh when another worker wrote the partition', async () => {
    // Partitions change hands (a rebalance and back): a worker's cached episodes and patient
    // histories are then older than Redis. Patient histories carry no version a Lua step could
    // check, so a stale one would link readmissions wrongly without any guard noticing: the
    // worker must see from the partition's applied offset that it is no longer in step.
    const ns = namespaces[3]!;
    const a = new ClockStore(redis[1]!, ns, group, topic, OREBRO_RULES);
    const b = new ClockStore(redis[2]!, ns, group, topic, OREBRO_RULES);
    const events = byPartition[0]!;
    /**
     * Reads the cache should cost: each episode once when a batch first meets it, and again only
     * after it closed (the cache lets closed episodes go at the end of the batch that closed them).
     */
    const expectedReads = (xs: DecodedEvent[], size: number) => {
      const held = new Set<string>();
      const seen = new Map<string, PatientEvent[]>();
      let reads = 0;
      for (let i = 0; i < xs.length; i += size) {
        const batch = xs.slice(i, i + size);
        for (const id of new Set(batch.map((d) => d.event.episodeId))) if (!held.has(id)) (reads++, held.add(id));
        for (const d of batch) seen.set(d.event.episodeId, [...(seen.get(d.event.episodeId) ?? []), d.event]);
        for (const id of new Set(batch.map((d) => d.event.episodeId))) {
          if (['DISCHARGED', 'CANCELLED'].includes(foldEpisode(seen.get(id)!).status)) held.delete(id);
        }
      }
      return reads;
    };
    // A alone: each episode is read from Redis once, however many batches touch it.
    const half = Math.floor(events.length / 2);
    for (let i = 0; i < half; i += 50) await a.apply(events.slice(i, Math.min(i + 50, half)));
    expect(a.episodesRead).toBe(expectedReads(events.slice(0, half), 50));
    // Far fewer than one read per episode per batch, which is what it cost without the cache.
    expect(a.episodesRead).toBeLessThan(0.8 * Array.from({ length: Math.ceil(half / 50) }, (_, i) => new Set(events.slice(i * 50, Math.min(i * 50 + 50, half)).map((d) => d.event.episodeId)).size).reduce((x, y) => x + y, 0));
    // Then B and A take turns: each batch follows one the other worker applied.
    for (let i = half, turn = 0; i < events.length; i += 50, turn++) await (turn % 2 === 0 ? b : a).apply(events.slice(i, i + 50));
    expect(a.conflicts + b.conflicts).toBe(0);
    const single = await dump(namespaces[0]!);
    const actual = await dump(ns);
    const ids = new Set(events.flatMap((d) => [d.event.episodeId, d.event.patientKey]));
    // {p0}:clock:ep:<episodeId>[:events], {p0}:clock:patient:<patientKey>
    const ofPartition0 = (d: typeof single) => Object.fromEntries(Object.entries(d.keys).filter(([k]) => ids.has(k.split(':')[3]!)));
    expect(Object.keys(ofPartition0(actual)).length).toBeGreaterThan(100);
    expect(ofPartition0(actual)).toEqual(ofPartition0(single));
  }, 300_000);
});
