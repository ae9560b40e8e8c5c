import type { ClickHouseClient } from '@clickhouse/client';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RowBuffer } from '../../services/sink-clickhouse/row-buffer.ts';

/**
 * When the row buffer inserts, in virtual time. The inserts themselves are the ClickHouse
 * integration tests' business; here the client only records what it was asked to store.
 */
describe('row buffer: when a flush is due', () => {
  let inserts: { at: number; rows: number }[];
  let buffer: RowBuffer;
  const client = { insert: async ({ values }: { values: object[] }) => void inserts.push({ at: Date.now(), rows: values.length }) } as unknown as ClickHouseClient;
  const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ i }));

  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    inserts = [];
    buffer = new RowBuffer(client, 'db', pino({ level: 'silent' }));
  });
  afterEach(() => vi.useRealTimers());

  it('stores a live rate\'s few rows 100 ms after the first, although rows keep coming', async () => {
    // 20 rows a second, one every 50 ms: never quiet for 100 ms, far from 10 000 rows.
    for (let t = 0; t < 1_000; t += 50) {
      void buffer.offer('events', rows(1));
      await vi.advanceTimersByTimeAsync(50);
    }
    expect(inserts.length).toBeGreaterThanOrEqual(9);
    for (const [i, x] of inserts.entries()) expect(x.at).toBe(100 * (i + 1));
  });

  it('lets a replay\'s rows gather for a second (or 10 000 rows)', async () => {
    // 300 rows every 50 ms: 6 000 a second.
    for (let t = 0; t < 1_000; t += 50) {
      void buffer.offer('events', rows(300));
      await vi.advanceTimersByTimeAsync(50);
    }
    expect(inserts).toEqual([{ at: 1_000, rows: 6_000 }]);
    for (let t = 0; t < 1_000; t += 50) {
      void buffer.offer('events', rows(1_000));
      await vi.advanceTimersByTimeAsync(50);
    }
    expect(inserts.slice(1).map((x) => x.rows)).toEqual([10_000, 10_000]);
  });

  it('stores at once when no rows came for 100 ms', async () => {
    const stored = buffer.offer('events', rows(150));
    await vi.advanceTimersByTimeAsync(99);
    expect(inserts).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await stored;
    expect(inserts).toEqual([{ at: 100, rows: 150 }]);
  });
});
