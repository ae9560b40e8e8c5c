import { describe, expect, it } from 'vitest';
import { Rng } from '../../services/simulator/rng.ts';

const draw = (seed: number, n: number) => {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => r.next());
};

describe('Rng', () => {
  it('repeats the same sequence for the same seed and differs for another seed', () => {
    expect(draw(42, 100)).toEqual(draw(42, 100));
    expect(draw(42, 100)).not.toEqual(draw(43, 100));
    expect(new Set(draw(42, 1000)).size).toBe(1000);
  });

  it('next() stays in [0, 1) with a mean near 1/2', () => {
    const xs = draw(7, 20_000);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
  });

  it('int() covers both inclusive bounds and nothing outside', () => {
    const r = new Rng(1);
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i++) seen.add(r.int(-2, 3));
    expect([...seen].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2, 3]);
  });

  it('uniform(), exponential() and logNormal() have the requested range, mean and median', () => {
    const r = new Rng(3);
    const n = 20_000;
    const u = Array.from({ length: n }, () => r.uniform(5, 6));
    expect(Math.min(...u)).toBeGreaterThanOrEqual(5);
    expect(Math.max(...u)).toBeLessThan(6);
    const e = Array.from({ length: n }, () => r.exponential(4));
    expect(Math.min(...e)).toBeGreaterThanOrEqual(0);
    const eMean = e.reduce((s, x) => s + x, 0) / n;
    expect(eMean).toBeGreaterThan(3.8);
    expect(eMean).toBeLessThan(4.2);
    const ln = Array.from({ length: n }, () => r.logNormal(3, 0.7)).sort((a, b) => a - b);
    expect(ln[0]!).toBeGreaterThan(0);
    const median = ln[n / 2]!;
    expect(median).toBeGreaterThan(2.8);
    expect(median).toBeLessThan(3.2);
    const mean = ln.reduce((s, x) => s + x, 0) / n;
    expect(mean).toBeGreaterThan(median); // right-skewed
  });

  it('chance() and weighted() follow the weights; zero weight is never chosen', () => {
    const r = new Rng(9);
    const n = 20_000;
    let hits = 0;
    const counts = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < n; i++) {
      if (r.chance(0.25)) hits++;
      counts[r.weighted([['a', 1], ['b', 0], ['c', 3]] as const)]++;
    }
    expect(hits / n).toBeGreaterThan(0.23);
    expect(hits / n).toBeLessThan(0.27);
    expect(counts.b).toBe(0);
    expect(counts.c / n).toBeGreaterThan(0.73);
    expect(counts.c / n).toBeLessThan(0.77);
    expect(r.chance(0)).toBe(false);
    expect(r.chance(1)).toBe(true);
  });
});
