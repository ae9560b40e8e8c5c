import { describe, expect, it } from 'vitest';
import { MinHeap } from '../../services/simulator/min-heap.ts';
import { Rng } from '../../services/simulator/rng.ts';

describe('MinHeap', () => {
  it('is empty at first', () => {
    const h = new MinHeap<string>();
    expect(h.size).toBe(0);
    expect(h.peekPriority()).toBeUndefined();
    expect(h.pop()).toBeUndefined();
  });

  it('pops in priority order, whatever the push order', () => {
    const h = new MinHeap<number>();
    const rng = new Rng(5);
    const ps = Array.from({ length: 500 }, () => rng.int(0, 10_000));
    for (const p of ps) h.push(p, p);
    expect(h.size).toBe(500);
    const out: number[] = [];
    while (h.size > 0) {
      const peek = h.peekPriority();
      const v = h.pop()!;
      expect(v).toBe(peek);
      out.push(v);
    }
    expect(out).toEqual([...ps].sort((a, b) => a - b));
  });

  it('keeps insertion order among equal priorities', () => {
    const h = new MinHeap<string>();
    const labels = Array.from({ length: 50 }, (_, i) => `x${i}`);
    labels.forEach((l, i) => {
      h.push(i % 3, l);
    });
    const out: string[] = [];
    for (let v = h.pop(); v !== undefined; v = h.pop()) out.push(v);
    const expected = [0, 1, 2].flatMap((p) => labels.filter((_, i) => i % 3 === p));
    expect(out).toEqual(expected);
  });

  it('interleaves pushes and pops correctly', () => {
    const h = new MinHeap<number>();
    h.push(5, 5);
    h.push(1, 1);
    expect(h.pop()).toBe(1);
    h.push(3, 3);
    h.push(0, 0);
    expect(h.pop()).toBe(0);
    expect(h.pop()).toBe(3);
    expect(h.pop()).toBe(5);
    expect(h.size).toBe(0);
  });
});
