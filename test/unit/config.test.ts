import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../services/core/config.ts';

describe('UTKLAR_CONSUMERS', () => {
  it('runs the two event-topic groups and the facts sink by default', () => {
    expect(loadConfig({}).consumers).toEqual(['sink-clickhouse', 'clock', 'sink-facts']);
  });

  it('refuses the retired episode-store group with the reason, not as unknown', () => {
    expect(() => loadConfig({ UTKLAR_CONSUMERS: 'sink-clickhouse,episode-store' })).toThrow(/episode-store is retired: the clock keeps the one state per episode/);
    expect(() => loadConfig({ UTKLAR_CONSUMERS: 'kafka' })).toThrow(/unknown kafka/);
  });
});
