import { describe, expect, it } from 'vitest';
import { Pace } from '../../services/processor/pace.ts';

/** Virtual time: `sleep` advances the clock instead of waiting. */
function virtual() {
  let t = 1_000_000;
  const slept: number[] = [];
  return { now: () => t, sleep: async (ms: number) => { slept.push(ms); t += ms; }, advance: (ms: number) => (t += ms), slept, at: () => t };
}

describe('Pace: a ceiling on events per second', () => {
  it('lets the first slice through at once and holds every later one to the rate', async () => {
    const v = virtual();
    const pace = new Pace(1_000, v.now, v.sleep);
    const start = v.at();
    for (let i = 0; i < 10; i++) await pace.take(250);
    // 2 500 events at 1 000/s: the tenth slice may start at 2.25 s, after nine slices' worth.
    expect(v.at() - start).toBe(2_250);
    expect(v.slept).toEqual([250, 250, 250, 250, 250, 250, 250, 250, 250]);
  });

  it('is shared: slices taken at once by several partitions queue behind each other', async () => {
    // Taken in the same instant: the clock stands still while they are handed out.
    const v = virtual();
    const pace = new Pace(100, v.now, async () => undefined);
    const waits = await Promise.all([pace.take(10), pace.take(10), pace.take(10)]);
    expect(waits).toEqual([0, 100, 200]);
  });

  it('saves no credit while idle: after a pause one slice goes at once, the next waits for it', async () => {
    const v = virtual();
    const pace = new Pace(100, v.now, v.sleep);
    await pace.take(50);
    v.advance(60_000);
    expect(await pace.take(50)).toBe(0);
    expect(await pace.take(50)).toBe(500);
  });

  it('cuts slices so that no wait outlasts a quarter of a second, and refuses a ceiling that is none', () => {
    expect(new Pace(3_000).sliceSize(1_000)).toBe(750);
    expect(new Pace(100_000).sliceSize(1_000)).toBe(1_000);
    expect(new Pace(2).sliceSize(1_000)).toBe(1);
    expect(() => new Pace(0)).toThrow(RangeError);
    expect(() => new Pace(Number.NaN)).toThrow(RangeError);
  });
});
