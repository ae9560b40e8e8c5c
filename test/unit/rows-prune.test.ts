import { describe, expect, it } from 'vitest';
import { epochDay } from '../../services/core/stockholm-time.ts';
import { bucketOf, OPEN_BUCKET, rowsPrune, sampleRank, SAMPLE_EVERY } from '../../services/snapshot/rows-sql.ts';

/** What a page of rows may be, on the rows table's sort key (rows-sql.ts): implied by its condition, never narrower. */
describe('the rows table\'s runs a page reads', () => {
  const from = epochDay({ year: 2026, month: 1, day: 1 });
  const to = epochDay({ year: 2026, month: 12, day: 1 });
  const [lo, hi] = [bucketOf(from), bucketOf(to)];
  const none = { kommuner: [] };

  it('buckets of a discharge month (year × 12 + month − 1, as migration 017 computes it), the open episodes last', () => {
    expect(lo).toBe(2026 * 12);
    expect(hi).toBe(2026 * 12 + 11);
    expect(bucketOf(epochDay({ year: 2026, month: 1, day: 31 }))).toBe(lo);
    expect(bucketOf(epochDay({ year: 2025, month: 12, day: 31 }))).toBe(lo - 1);
    expect(bucketOf(0)).toBe(1970 * 12);
    expect(bucketOf(-1)).toBe(OPEN_BUCKET);
    expect(bucketOf(epochDay({ year: 2999, month: 12, day: 31 }))).toBeLessThan(OPEN_BUCKET);
  });

  it('discharged in the period, or open', () => {
    expect(rowsPrune({ closedFrom: from, closedTo: to, open: true, ...none })).toBe(`((rows_bucket >= ${lo} AND rows_bucket <= ${hi}) OR rows_bucket = ${OPEN_BUCKET})`);
    expect(rowsPrune({ closedFrom: from, closedTo: to, open: false, ...none })).toBe(`rows_bucket >= ${lo} AND rows_bucket <= ${hi} AND rows_bucket < ${OPEN_BUCKET}`);
  });

  it('open or discharged since the period began (admitted in it, occupied), open only (waiting)', () => {
    expect(rowsPrune({ closedFrom: from, closedTo: null, open: true, ...none })).toBe(`rows_bucket >= ${lo}`);
    expect(rowsPrune({ closedFrom: null, closedTo: -1, open: true, ...none })).toBe(`rows_bucket = ${OPEN_BUCKET}`);
    // A period before day 0 holds no discharge day below 0.
    expect(rowsPrune({ closedFrom: -5, closedTo: 3, open: false, ...none })).toBe(`rows_bucket >= ${1970 * 12} AND rows_bucket <= ${1970 * 12} AND rows_bucket < ${OPEN_BUCKET}`);
  });

  it('a home kommun is its code\'s county\'s runs or \'\' (those treated outside their county); each list of kommuner on its own', () => {
    expect(rowsPrune({ closedFrom: null, closedTo: -1, open: true, kommuner: [['1880']] })).toBe(`rows_bucket = ${OPEN_BUCKET} AND rows_county IN ('', '18')`);
    expect(rowsPrune({ closedFrom: null, closedTo: -1, open: true, kommuner: [['1880'], ['0180', '1881']] }))
      .toBe(`rows_bucket = ${OPEN_BUCKET} AND rows_county IN ('', '18') AND rows_county IN ('', '01', '18')`);
    // A code ClickHouse's substring would cut otherwise than JavaScript's slice implies nothing.
    expect(rowsPrune({ closedFrom: null, closedTo: -1, open: true, kommuner: [['Åre']] })).toBe(`rows_bucket = ${OPEN_BUCKET}`);
  });

  it('the bound lies where the sample holds twice a page\'s episodes', () => {
    expect(sampleRank(1000)).toBe(Math.ceil(2000 / SAMPLE_EVERY));
    expect(sampleRank(1)).toBe(1);
    expect(sampleRank(0)).toBe(1);
  });
});
