import { describe, expect, it } from 'vitest';
import { rollupFor } from '../../services/snapshot/rollup-sql.ts';
import { columnsIn, ROLLUP_TABLES } from '../../services/snapshot/read-model.ts';

/** Which rollup a query reads: covering its columns, sorted by what its scope fixes, else the narrowest; none for a region. */
describe('the rollup a query reads', () => {
  const both = { rollups: [...ROLLUP_TABLES] };
  const choose = (base: string, keys: string[], at = both) => rollupFor(at, columnsIn(`${base} ${keys.join(' ')}`), base)?.table ?? null;
  const status = "status NOT IN ('CANCELLED', 'PENDING')";

  it('a nation reads the municipal rollup, a kommun too (sorted by kommun within a month)', () => {
    expect(choose(status, ['toString(discharged_month)', 'care_type'])).toBe('episode_rollup_municipal');
    expect(choose(`${status} AND home_municipality = '1880'`, ['home_municipality', 'care_type'])).toBe('episode_rollup_municipal');
  });

  it('a region reads its episodes (they lie together in the snapshot), though the rollups cover it', () => {
    expect(choose(`${status} AND region = '18'`, ['toString(discharged_month)', 'care_type'])).toBeNull();
    expect(choose(`${status} AND region = '18' AND hospital = 'USÖ'`, ['care_type'])).toBeNull();
  });

  it('a hospital or Utom län needs the wide rollup; a ward none', () => {
    expect(choose(`${status} AND hospital = 'USÖ'`, ['care_type'])).toBe('episode_rollup');
    expect(choose(`${status} AND (home_county IN ('18') OR out_of_county = 1)`, ['care_type'])).toBe('episode_rollup');
    expect(choose(`${status} AND ward = 'AVD1'`, ['care_type'])).toBeNull();
    expect(choose(status, ['ward'])).toBeNull();
  });

  it('only rollups the generation holds (one built before a rollup existed is not in it)', () => {
    expect(choose(status, ['care_type'], { rollups: ['episode_rollup'] })).toBe('episode_rollup');
    expect(choose(`${status} AND hospital = 'USÖ'`, ['care_type'], { rollups: ['episode_rollup_municipal'] })).toBeNull();
    expect(choose(status, ['care_type'], { rollups: [] })).toBeNull();
  });
});
