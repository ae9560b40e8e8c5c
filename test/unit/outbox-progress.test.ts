import { describe, expect, it } from 'vitest';
import { LatestByKey, streamIdAtMost } from '../../services/kafka/outbox-progress.ts';

describe('the outbox progress markers as a new owner reads them', () => {
  it('the newest marker per key by offset: reading the topic again from its start never hands out an older one', () => {
    const latest = new LatestByKey();
    latest.record('g.clock.outbox.p3', 10n, '100-0');
    latest.record('g.clock.outbox.p3', 42n, '250-7');
    latest.record('g.clock.outbox.p4', 11n, '120-0');
    expect(latest.get('g.clock.outbox.p3')).toBe('250-7');
    // The reader's group rejoined and reads from offset 0 again: the old records come back.
    latest.record('g.clock.outbox.p3', 10n, '100-0');
    latest.record('g.clock.outbox.p3', 42n, '250-7');
    expect(latest.get('g.clock.outbox.p3')).toBe('250-7');
    latest.record('g.clock.outbox.p3', 43n, '260-0');
    expect(latest.get('g.clock.outbox.p3')).toBe('260-0');
    expect(latest.get('g.clock.outbox.p4')).toBe('120-0');
    expect(latest.get('g.clock.outbox.p5')).toBeNull();
  });

  it('stream ids compare by time, then sequence', () => {
    expect(streamIdAtMost('1796536708388-5', '1796536708388-5')).toBe(true);
    expect(streamIdAtMost('1796536708388-5', '1796536708388-12')).toBe(true);
    expect(streamIdAtMost('1796536708388-12', '1796536708388-5')).toBe(false);
    expect(streamIdAtMost('1796536708387-99', '1796536708388-0')).toBe(true);
  });
});
