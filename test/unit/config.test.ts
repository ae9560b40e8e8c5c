import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../services/core/config.ts';

describe('UTKLAR_CONSUMERS', () => {
  it('runs the one consumer group of the events topic by default', () => {
    expect(loadConfig({}).consumers).toEqual(['clock']);
  });

  it('refuses the retired groups with the reason, not as unknown', () => {
    expect(() => loadConfig({ UTKLAR_CONSUMERS: 'clock,episode-store' })).toThrow(/episode-store is retired: the clock keeps the one state per episode/);
    expect(() => loadConfig({ UTKLAR_CONSUMERS: 'sink-clickhouse' })).toThrow(/sink-clickhouse is retired: the clock writes the ClickHouse event rows/);
    expect(() => loadConfig({ UTKLAR_CONSUMERS: 'clock,sink-facts' })).toThrow(/sink-facts is retired: the clock writes the episode facts/);
    expect(() => loadConfig({ UTKLAR_CONSUMERS: 'kafka' })).toThrow(/unknown kafka/);
  });
});
