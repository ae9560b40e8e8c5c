import { describe, expect, it } from 'vitest';
import { runChaos } from '../chaos/run.ts';

/**
 * The reduced chaos run inside npm test (npm run chaos is the full one: more events, 1 000
 * malformed messages, a 60 s ClickHouse outage, three runs in a row).
 */
describe('chaos (reduced): SIGKILLs, Redis and Kafka broker restarts, ClickHouse outage, duplicates, reordering and malformed messages', () => {
  it('ends with state, event rows, indicators and dead letters exactly as recomputed, and no personal data anywhere', async () => {
    const s = await runChaos({
      seed: Number(process.env.UTKLAR_TEST_SEED ?? 7), days: 45, rate: 40, duplicateShare: 0.1, malformed: 200,
      killsPerService: 1, clickhouseOutageMs: 10_000, kafkaRestart: true, log: (l) => process.stderr.write(`chaos: ${l}\n`),
    });
    const byCheck = [...new Set(s.mismatches.map((m) => m.check))].map((check) => {
      const list = s.mismatches.filter((m) => m.check === check);
      return `${check}: ${list.length}, e.g. ${list[0]!.detail}`;
    });
    process.stderr.write(`chaos: ${JSON.stringify({ ...s, mismatches: byCheck })}\n`);
    expect(s.faults).toHaveLength(6);
    expect(s.mismatches).toEqual([]);
    expect(s.personalData).toEqual([]);
  }, 900_000);
});
