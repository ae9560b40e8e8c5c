import { describe, expect, it } from 'vitest';
import { mergeSums, type SplitSums } from '../../services/snapshot/rollup-sql.ts';

/** A sum's generation part (cached for the generation) plus its changed episodes' delta, as the one query would answer. */
describe('merging a sum\'s generation part and its delta', () => {
  const split: SplitSums = { generation: '', delta: '', whole: '', keys: ['k0', 'k1'], sums: ['ready', 'days'], nonEmpty: 'ready' };
  // As ClickHouse answers in JSONEachRow: Int64 sums (and 64-bit keys) as strings, in the generation's order.
  const generation = [
    { k0: '202601', k1: 'PSYCHIATRIC', ready: '10', days: '40' },
    { k0: '202601', k1: 'SOMATIC', ready: '1', days: '3' },
    { k0: '202602', k1: 'SOMATIC', ready: '5', days: '9' },
  ];

  it('adds the delta to its groups, keeps the order and leaves out the groups it empties', () => {
    const delta = [
      { k0: '202602', k1: 'SOMATIC', ready: '2', days: '-1' },
      { k0: '202601', k1: 'SOMATIC', ready: '-1', days: '-3' },
    ];
    expect(mergeSums(split, generation, delta)).toEqual([
      { k0: '202601', k1: 'PSYCHIATRIC', ready: '10', days: '40' },
      { k0: '202602', k1: 'SOMATIC', ready: '7', days: '8' },
    ]);
  });

  it('answers the generation part alone, less its empty groups, when nothing changed', () => {
    expect(mergeSums(split, [...generation, { k0: '202603', k1: 'SOMATIC', ready: '0', days: '0' }], [])).toEqual(generation);
  });

  it('leaves the order to ClickHouse (null) when the delta brings a group the generation lacks', () => {
    expect(mergeSums(split, generation, [{ k0: '202512', k1: 'SOMATIC', ready: '1', days: '2' }])).toBeNull();
    // One that comes to nothing is no group at all.
    expect(mergeSums(split, generation, [{ k0: '202512', k1: 'SOMATIC', ready: '0', days: '0' }])).toEqual(generation);
  });

  it('tells keys apart by their JSON type as well as their text', () => {
    const numeric: SplitSums = { ...split, keys: ['k0'] };
    expect(mergeSums(numeric, [{ k0: 1, ready: '1', days: '1' }], [{ k0: '1', ready: '1', days: '1' }])).toBeNull();
  });

  it('leaves its inputs as they were (they are cached answers)', () => {
    const before = JSON.stringify(generation);
    mergeSums(split, generation, [{ k0: '202601', k1: 'SOMATIC', ready: '5', days: '5' }]);
    expect(JSON.stringify(generation)).toBe(before);
  });
});
