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

describe('UTKLAR_EVENT_PARTITIONS', () => {
  it('creates the events topic with 12 partitions unless told otherwise, and refuses nonsense', () => {
    expect(loadConfig({}).eventPartitions).toBe(12);
    expect(loadConfig({ UTKLAR_EVENT_PARTITIONS: '3' }).eventPartitions).toBe(3);
    expect(() => loadConfig({ UTKLAR_EVENT_PARTITIONS: '0' })).toThrow(/UTKLAR_EVENT_PARTITIONS must be a whole number from 1 to 256, got '0'/);
    expect(() => loadConfig({ UTKLAR_EVENT_PARTITIONS: 'many' })).toThrow(/got 'many'/);
  });
});

describe('UTKLAR_COOKIE_SECURE', () => {
  it('marks the session cookie Secure only when told the pages are served over TLS, and refuses nonsense', () => {
    expect(loadConfig({}).cookieSecure).toBe(false);
    expect(loadConfig({ UTKLAR_COOKIE_SECURE: '1' }).cookieSecure).toBe(true);
    expect(loadConfig({ UTKLAR_COOKIE_SECURE: 'true' }).cookieSecure).toBe(true);
    expect(loadConfig({ UTKLAR_COOKIE_SECURE: '0' }).cookieSecure).toBe(false);
    expect(() => loadConfig({ UTKLAR_COOKIE_SECURE: 'yes' })).toThrow(/UTKLAR_COOKIE_SECURE must be 1\/true or 0\/false, got 'yes'/);
  });
});

describe('UTKLAR_MAX_EVENTS_PER_S', () => {
  it('sets no ceiling unless told, takes a whole number and refuses nonsense', () => {
    expect(loadConfig({}).maxEventsPerSecond).toBe(0);
    expect(loadConfig({ UTKLAR_MAX_EVENTS_PER_S: '' }).maxEventsPerSecond).toBe(0);
    expect(loadConfig({ UTKLAR_MAX_EVENTS_PER_S: '2500' }).maxEventsPerSecond).toBe(2500);
    expect(() => loadConfig({ UTKLAR_MAX_EVENTS_PER_S: '-1' })).toThrow(/UTKLAR_MAX_EVENTS_PER_S: expected events per second as a whole number \(0: no ceiling\), got '-1'/);
    expect(() => loadConfig({ UTKLAR_MAX_EVENTS_PER_S: '1.5' })).toThrow(/got '1.5'/);
  });
});
