import type { ClickHouseClient } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { readPoint } from '../../services/snapshot/read-model.ts';

/**
 * The read point counts the versions stored since the watermark of the generation it read, not
 * since one read again: a scalar subquery reading it again ran before the query around it, so a
 * generation recorded in between was paired with the count since the previous watermark, and the
 * changed episodes, found since the new one, could be none (`IN ()`, a 503 on CI's date run).
 */
describe('the read point', () => {
  it('counts the versions since the very watermark it read', async () => {
    const asked: string[] = [];
    const client = {
      query: async ({ query }: { query: string }) => {
        asked.push(query);
        const answer = /max\(generation\)/.test(query) ? [{ g: 42, w: 1_796_000_000, r: [] }] : /count\(\)/.test(query) ? [{ c: 0 }] : [];
        return { json: async () => answer };
      },
    } as unknown as ClickHouseClient;
    const at = await readPoint(client, 'db_t');
    expect(at).toMatchObject({ generation: 42, watermarkSeconds: 1_796_000_000, changes: 0 });
    expect(asked).toHaveLength(2);
    // The generation, its watermark and rollups in one read, no subquery reading them again.
    expect(asked[0]).not.toMatch(/\(\s*SELECT/i);
    // The count names the watermark read, as a literal.
    expect(asked[1]).toMatch(/episode_facts_recent WHERE ingested_at >= toDateTime\(1796000000, 'UTC'\)/);
    expect(asked[1]).not.toMatch(/episode_snapshot_generations/);
  });
});
