import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { createClient } from '@clickhouse/client';
import type { Connection } from '@clickhouse/client-common';
import { describe, expect, it } from 'vitest';
import { ChdbPool, openChdbPool } from '../../services/sink-clickhouse/chdb-pool.ts';

/** A connection whose statements finish when the test says so, recording what it was asked. */
function held(name: string, log: string[]) {
  const pending: (() => void)[] = [];
  let closed = false;
  const answer = (what: string) => new Promise<never>((resolve, reject) => {
    log.push(`${name}:${what}`);
    pending.push(() => (what === 'fail' ? reject(new Error(`${name} failed`)) : resolve({ name } as never)));
  });
  const c = {
    query: (p: { query: string }) => answer(p.query),
    exec: (p: { query: string }) => answer(p.query),
    command: (p: { query: string }) => answer(p.query),
    insert: (p: { query: string }) => answer(p.query),
    ping: () => answer('ping'),
    close: async () => { closed = true; },
  } as unknown as Connection<Readable>;
  return { c, finishOne: () => pending.shift()?.(), get closed() { return closed; } };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('ChdbPool', () => {
  it('sends each statement to the connection with the fewest under way, ties in turn', async () => {
    const log: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((n) => held(n, log));
    const pool = new ChdbPool([a!.c, b!.c, c!.c]);
    const q = (query: string) => pool.query({ query } as never);
    const first = [q('1'), q('2'), q('3')];
    await tick();
    expect(log).toEqual(['a:1', 'b:2', 'c:3']);
    // b finishes: the next statement goes to b, the only idle one, not to a (next in turn).
    b!.finishOne();
    await first[1];
    const fourth = q('4');
    await tick();
    expect(log.at(-1)).toBe('b:4');
    // All busy (one each): in turn again, after b.
    const fifth = q('5');
    await tick();
    expect(log.at(-1)).toBe('c:5');
    for (const h of [a!, b!, c!, c!]) h.finishOne();
    await Promise.all([first[0], first[2], fourth, fifth]);
  });

  it('frees a connection whose statement failed, passing the error on', async () => {
    const log: string[] = [];
    const [a, b] = ['a', 'b'].map((n) => held(n, log));
    const pool = new ChdbPool([a!.c, b!.c]);
    const failing = pool.command({ query: 'fail' } as never);
    const other = pool.exec({ query: 'x' } as never);
    await tick();
    a!.finishOne();
    await expect(failing).rejects.toThrow('a failed');
    const next = pool.insert({ query: 'y' } as never);
    await tick();
    expect(log).toEqual(['a:fail', 'b:x', 'a:y']);
    a!.finishOne();
    b!.finishOne();
    await Promise.all([other, next]);
  });

  it('closes every connection', async () => {
    const hs = ['a', 'b', 'c'].map((n) => held(n, []));
    await new ChdbPool(hs.map((h) => h.c)).close();
    expect(hs.map((h) => h.closed)).toEqual([true, true, true]);
  });

  it('refuses to be empty', () => {
    expect(() => new ChdbPool([])).toThrow(/at least one/);
  });

  it('on real chDB: what one connection writes, the others read, at once and while they run side by side; none compiles aggregates', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'utklar-chdb-pool-'));
    const pool = await openChdbPool(dir, 3);
    const client = createClient({ connection: pool } as never);
    try {
      await client.command({ query: 'CREATE DATABASE IF NOT EXISTS pool_t' });
      await client.command({ query: 'CREATE TABLE pool_t.x (id UInt32, v String) ENGINE = MergeTree ORDER BY id' });
      // Twelve inserts at once are spread over the three connections; every one lands.
      await Promise.all(Array.from({ length: 12 }, (_, i) => client.insert({ table: 'pool_t.x', values: [{ id: i, v: `v${i}` }], format: 'JSONEachRow' })));
      // Three reads at once, one per connection, each sees all twelve rows.
      const counts = await Promise.all(Array.from({ length: 3 }, async () => (await (await client.query({ query: 'SELECT count() AS n, sum(id) AS s FROM pool_t.x', format: 'JSONEachRow' })).json<{ n: string; s: string }>())[0]!));
      expect(counts.map((c) => [Number(c.n), Number(c.s)])).toEqual([[12, 66], [12, 66], [12, 66]]);
      // Every connection was opened compiling no aggregate or sort description (three at once: one on each).
      const jit = await Promise.all(Array.from({ length: 3 }, async () => (await (await client.query({ query: "SELECT toUInt8(getSetting('compile_aggregate_expressions')) AS a, toUInt8(getSetting('compile_sort_description')) AS s, sleepEachRow(0.05) AS _ FROM numbers(2)", format: 'JSONEachRow' })).json<{ a: number; s: number }>()).map((r) => [Number(r.a), Number(r.s)])));
      expect(jit.flat()).toEqual(Array.from({ length: 6 }, () => [0, 0]));
    } finally {
      await client.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
