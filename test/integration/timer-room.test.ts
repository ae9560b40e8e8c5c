import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { parseNdjsonEvent } from '../../services/contract/ndjson-event.ts';
import { withCheckDigit } from '../../services/contract/personnummer.ts';
import { OREBRO_RULES } from '../../services/clock/rules.ts';
import type { DecodedEvent } from '../../services/model/decoded-event.ts';
import { clockKeys } from '../../services/store/clock-keys.ts';
import { ClockStore } from '../../services/store/clock-store.ts';
import { FACTS_PER_CALL, OUTBOX_ROOM } from '../../services/store/timer-round.ts';
import { NDJSON_BY_TYPE, line, pseudonymiser } from '../unit/sample-events.ts';
import { configOf, isolatedEnv } from '../support/env.ts';

/**
 * The timer worker shares each partition's outbox with the live changes, and the publisher sends
 * it in order (timer-round.ts, OUTBOX_ROOM): it announces only while the outbox has room, a
 * bounded number of facts per call, and every due fact still goes out once, in later rounds.
 */
describe('timer worker: announcements wait for room in the outbox', () => {
  const config = configOf(isolatedEnv('server'));
  const ns = `${config.namespace}-timer-room`;
  const redis = new Redis(config.redisUrl);
  const k = clockKeys(ns).of(0);

  afterAll(async () => {
    for (const p of clockKeys(ns).patterns) {
      const keys = await redis.keys(p);
      for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
    }
    redis.disconnect();
  });

  it('adds nothing to a full outbox, at most a bounded number of facts a call, and every fact once in the end', async () => {
    const store = new ClockStore(redis, ns, 'clock', 'patient-events', OREBRO_RULES, { partitions: 1 });
    // Eight patients ready since February 2026 and still in hospital: hundreds of day boundaries each.
    let offset = 0;
    const batch: DecodedEvent[] = [];
    for (let n = 0; n < 8; n++) {
      const who = { personnummer: withCheckDigit(`1940010${n + 1}12${n}`), episodeId: `TR-${n}` };
      for (const type of ['admission', 'ready-for-discharge'] as const) {
        const event = parseNdjsonEvent(line({ ...NDJSON_BY_TYPE[type], ...who, eventId: `tr-${n}-${type}` }), 1, pseudonymiser);
        batch.push({ event, schemaId: 1, partition: 0, offset: String(offset++) });
      }
    }
    await store.apply(batch);
    await redis.del(k.outbox);
    // Past QUIET_MS since the events were applied (wall time): their timers are due.
    const now = () => Date.now() + 5_000;
    expect(await redis.zcount(k.timers, 0, now())).toBe(8);

    // A full outbox: nothing is added, every timer stays due.
    const filler = redis.pipeline();
    for (let i = 0; i < OUTBOX_ROOM; i++) filler.xadd(k.outbox, '*', 'kind', 'filler', 'key', 'x', 'value', '{}');
    await filler.exec();
    expect(await store.fireDue(now())).toBe(0);
    expect(await redis.xlen(k.outbox)).toBe(OUTBOX_ROOM);
    expect(await redis.zcount(k.timers, 0, now())).toBe(8);

    // Room: a call adds a bounded number of facts (it stops claiming once FACTS_PER_CALL is
    // reached, finishing the episode it is on), so not all eight in one go.
    await redis.del(k.outbox);
    const fired = await store.fireDue(now());
    const added = await redis.xlen(k.outbox);
    expect(fired).toBeGreaterThan(0);
    expect(fired).toBeLessThan(8);
    expect(added).toBeGreaterThanOrEqual(FACTS_PER_CALL);
    expect(added).toBeLessThan(FACTS_PER_CALL + 500);
    // The outbox is full again: the next round waits for the publisher.
    expect(await store.fireDue(now())).toBe(0);

    // The publisher sends (here: the entries are taken away) and the rest follow, round by round.
    const facts: string[] = [];
    for (let round = 0; round < 50 && (await redis.zcount(k.timers, 0, now())) > 0; round++) {
      for (const [, fields] of await redis.xrange(k.outbox, '-', '+')) facts.push(fields[fields.indexOf('value') + 1]!);
      await redis.del(k.outbox);
      await store.fireDue(now());
    }
    for (const [, fields] of await redis.xrange(k.outbox, '-', '+')) facts.push(fields[fields.indexOf('value') + 1]!);
    expect(await redis.zcount(k.timers, 0, now())).toBe(0);
    // Every fact once: each carries a deterministic id; every episode announced up to today.
    const ids = facts.map((f) => String((JSON.parse(f) as { clockEventId: string }).clockEventId));
    expect(new Set(ids).size).toBe(ids.length);
    const episodes = new Set(facts.map((f) => String((JSON.parse(f) as { episodeId: string }).episodeId)));
    expect(episodes.size).toBe(8);
    const announced = await Promise.all(batch.filter((d) => d.event.type === 'admission').map((d) => redis.hget(k.state(d.event.episodeId), 'announcedDays')));
    expect(new Set(announced).size).toBe(1);
    expect(Number(announced[0])).toBeGreaterThan(250);
  }, 120_000);
});
