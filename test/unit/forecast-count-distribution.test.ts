import { describe, expect, it } from 'vitest';
import { countPmf, quantile, summarise } from '../../services/forecast/count-distribution.ts';

const close = (a: number[], b: number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 12));

describe('the count of patients becoming ready: Bernoullis plus a Poisson', () => {
  it('two fair coins: 0, 1, 2 with ¼, ½, ¼', () => {
    close(countPmf([0.5, 0.5], 0), [0.25, 0.5, 0.25]);
  });

  it('a Poisson alone is a Poisson, and any mixture sums to 1', () => {
    const pmf = countPmf([], 2);
    close(pmf.slice(0, 4), [Math.exp(-2), 2 * Math.exp(-2), 2 * Math.exp(-2), (4 / 3) * Math.exp(-2)]);
    const mixed = countPmf([0.1, 0.9, 0.35, 0.6, 1e-9], 3.7);
    expect(mixed.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 9);
  });

  it('certain patients are counted exactly: no band around them', () => {
    expect(summarise([1, 1, 1], 0)).toEqual({ expected: 3, median: 3, band50: [3, 3], band90: [3, 3] });
    expect(summarise([], 0)).toEqual({ expected: 0, median: 0, band50: [0, 0], band90: [0, 0] });
  });

  it('quantiles are the smallest count reaching the probability; the bands nest', () => {
    const pmf = [0.25, 0.5, 0.25];
    expect([0.05, 0.25, 0.5, 0.75, 0.95].map((q) => quantile(pmf, q))).toEqual([0, 0, 1, 1, 2]);
    const s = summarise([0.2, 0.4, 0.7, 0.5, 0.9, 0.3], 4.2);
    expect(s.expected).toBeCloseTo(3 + 4.2, 12);
    expect(s.band90[0]).toBeLessThanOrEqual(s.band50[0]);
    expect(s.band50[0]).toBeLessThanOrEqual(s.median);
    expect(s.median).toBeLessThanOrEqual(s.band50[1]);
    expect(s.band50[1]).toBeLessThanOrEqual(s.band90[1]);
  });
});
