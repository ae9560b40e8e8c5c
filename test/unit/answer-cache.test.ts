import { describe, expect, it } from 'vitest';
import { AnswerCache } from '../../services/indicators/answer-cache.ts';

const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ i }));

describe('the answer cache', () => {
  it('answers a key it holds and counts hits and misses', () => {
    const c = new AnswerCache();
    expect(c.get('a')).toBeUndefined();
    c.set('a', rows(2));
    expect(c.get('a')).toEqual(rows(2));
    expect([c.hits, c.misses]).toEqual([1, 1]);
  });

  it('lets the least recently used go first when full, by entries and by rows', () => {
    const c = new AnswerCache(2, 10, 10);
    c.set('a', rows(1));
    c.set('b', rows(1));
    c.get('a');
    c.set('c', rows(1));
    expect([c.get('a'), c.get('b'), c.get('c')].map((r) => r !== undefined)).toEqual([true, false, true]);
    const d = new AnswerCache(100, 10, 10);
    d.set('x', rows(6));
    d.set('y', rows(6));
    expect([d.get('x'), d.get('y')].map((r) => r !== undefined)).toEqual([false, true]);
  });

  it('keeps no answer larger than its bound, and forgets everything on clear', () => {
    const c = new AnswerCache(10, 100, 5);
    c.set('big', rows(6));
    expect(c.get('big')).toBeUndefined();
    c.set('small', rows(5));
    c.clear();
    expect(c.size).toBe(0);
    expect(c.get('small')).toBeUndefined();
  });
});
