import type { ClickHouseClient } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { AccessLog } from '../../services/api/access-log.ts';

/** A ClickHouse stand-in that keeps what was inserted, failing the first `failures` inserts. */
function fakeClient(failures = 0) {
  const inserts: { table: string; values: Record<string, unknown>[] }[] = [];
  let left = failures;
  const client = {
    insert: async ({ table, values }: { table: string; values: Record<string, unknown>[] }) => {
      await new Promise((r) => setTimeout(r, 5));
      if (left-- > 0) throw new Error('ClickHouse down');
      inserts.push({ table, values });
    },
  } as unknown as ClickHouseClient;
  return { client, inserts };
}

const AT = Date.parse('2026-11-23T12:00:00Z');
const entry = (subject: string, more: Partial<Parameters<AccessLog['record']>[0]> = {}) => ({
  at: AT, subject, scope: { kind: 'municipality', municipality: '1880' } as const, endpoint: '/api/v1/rows', format: 'csv' as const,
  filters: new URLSearchParams('ward=Med%201&from=2026-11&kommun=1880'), episodes: 2, episodeRegions: ['03', '18', '18'], ...more,
});

describe('the access log (issue #19)', () => {
  it('stores who, scope, endpoint, filters, the count and the regions shown — nothing of the episodes', async () => {
    const { client, inserts } = fakeClient();
    const log = new AccessLog(() => client, 'utklar');
    log.record(entry('Örebro kommun'));
    await log.flush();
    expect(inserts).toEqual([{ table: 'utklar.access_log', values: [{
      at: AT / 1000, at_ms: AT, subject: 'Örebro kommun', scope: 'municipality:1880', endpoint: '/api/v1/rows', format: 'csv',
      filters: '{"from":"2026-11","kommun":"1880","ward":"Med 1"}', episodes: 2,
      // The municipality's own county (18) and the regions its residents were treated in.
      regions: ['03', '18'],
    }] }]);
  });

  it('a burst makes few inserts: entries arriving during one go in the next', async () => {
    const { client, inserts } = fakeClient();
    const log = new AccessLog(() => client, 'utklar');
    for (let i = 0; i < 50; i++) log.record(entry(`s${i}`));
    await log.flush();
    expect(inserts.length).toBeLessThanOrEqual(2);
    expect(inserts.flatMap((i) => i.values.map((v) => v.subject))).toEqual(Array.from({ length: 50 }, (_, i) => `s${i}`));
  });

  // record()'s own insert fails, and so does flush()'s retry of it.
  it('keeps what ClickHouse refused, and writes it once ClickHouse answers again', async () => {
    const { client, inserts } = fakeClient(2);
    const log = new AccessLog(() => client, 'utklar');
    log.record(entry('a'));
    await expect(log.flush()).rejects.toThrow('ClickHouse down');
    log.record(entry('b'));
    await log.flush();
    expect(inserts.flatMap((i) => i.values.map((v) => v.subject))).toEqual(['a', 'b']);
  });

  it('waits for ClickHouse to be opened', async () => {
    const { client, inserts } = fakeClient();
    let open: ClickHouseClient | undefined;
    const log = new AccessLog(() => open, 'utklar');
    log.record(entry('early'));
    await expect(log.flush()).rejects.toThrow(/not open yet/);
    open = client;
    await log.flush();
    expect(inserts.flatMap((i) => i.values.map((v) => v.subject))).toEqual(['early']);
  });
});
