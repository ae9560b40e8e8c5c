import type { ClickHouseClient } from '@clickhouse/client';
import { fromEpochDay } from '../core/stockholm-time.ts';
import { FACT_COLUMNS, int, str } from '../indicators/sql.ts';
import { command, type ReadPoint } from './read-model.ts';

/**
 * The patient-level rows' latest-version table (migration 017): a generation's rows of
 * episode_snapshot again, sorted by discharge month (the bucket), county (rows_county, see
 * countySql) and episode id in 64-row granules, and a sample of every SAMPLE_EVERY-th of them. A
 * page of episodes ordered by id (GET /api/v1/rows) is found there without sorting a year of
 * episodes: the sample's k-th matching id bounds the page from above (episode_id <= bound), and
 * every run of one month and county is read only up to the bound, a kommun's runs only. ClickHouse 18.16 cannot stop a sorted read early (no
 * optimize_read_in_order), so the bound is what limits the granules read; the conditions are
 * PREWHERE, so the other columns are read only for granules holding a row of the page.
 */
export const ROWS_TABLE = 'episode_snapshot_rows';
export const ROWS_SAMPLE = 'episode_snapshot_rows_sample';
/**
 * The same rows sorted by home kommun first (migration 021): a kommun's page reads its own runs,
 * not its county's (a kommun may be a twelfth of them).
 */
export const ROWS_KOMMUN = 'episode_snapshot_rows_kommun';
/** A page naming up to this many home kommuner reads ROWS_KOMMUN (a run per kommun and month). */
export const MAX_KOMMUN_RUNS = 24;
/** The open episodes' bucket: after every discharge bucket, so that "discharged since a day, or open" is one range. */
export const OPEN_BUCKET = 1_000_000;
/** One episode in SAMPLE_EVERY (by the hash of its id) is in the sample. */
export const SAMPLE_EVERY = 32;
/** The bound is set where the sample says SAFETY × the rows a page needs lie below it. */
const SAFETY = 2;

/**
 * A bucket is a discharge month (year × 12 + month − 1): a run of the sort order. Calendar months,
 * as periods are asked: a period's runs then hold few episodes outside it, which matters where ids
 * grow with time (a bound below a period's first ids would otherwise read a straddling bucket's
 * earlier discharges; 64-day buckets read 4 times the rows at five national years). Readers and
 * builders must agree: changing it needs a new table.
 */
const bucketSql = `toUInt32(if(discharged_day < 0, ${OPEN_BUCKET}, toYear(toDate(discharged_day)) * 12 + toMonth(toDate(discharged_day)) - 1))`;
export const bucketOf = (day: number): number => {
  if (day < 0) return OPEN_BUCKET;
  const { year, month } = fromEpochDay(day);
  return year * 12 + month - 1;
};
/**
 * The run's county: the home county of an episode treated in it whose home kommun's code begins
 * with it, '' for every other. By construction, then, a region's episodes are in its county's runs
 * or in '', and a home kommun's in its code's county's or in '', whatever the rows hold.
 */
const countySql = "if(home_county = region AND substring(home_municipality, 1, 2) = home_county, home_county, '')";

const COLUMNS = ['generation', 'rows_bucket', 'rows_county', 'episode_id', 'version', ...FACT_COLUMNS];

/** Writes generation `g`'s rows table and its sample from its episode_snapshot partition. */
export async function buildRowsTable(client: ClickHouseClient, db: string, g: number): Promise<void> {
  await command(client, `INSERT INTO ${db}.${ROWS_TABLE} (${COLUMNS.join(', ')})
    SELECT generation, ${bucketSql} AS rows_bucket, ${countySql} AS rows_county, episode_id, version, ${FACT_COLUMNS.join(', ')} FROM ${db}.episode_snapshot WHERE generation = ${int(g)}`);
  // One part: each run is then a few granules to read, not a few per part.
  await command(client, `OPTIMIZE TABLE ${db}.${ROWS_TABLE} PARTITION ${int(g)} FINAL`);
  await command(client, `INSERT INTO ${db}.${ROWS_SAMPLE} (${COLUMNS.join(', ')})
    SELECT ${COLUMNS.join(', ')} FROM ${db}.${ROWS_TABLE} WHERE generation = ${int(g)} AND cityHash64(episode_id) % ${int(SAMPLE_EVERY)} = 0`);
  await command(client, `INSERT INTO ${db}.${ROWS_KOMMUN} (${COLUMNS.join(', ')})
    SELECT ${COLUMNS.join(', ')} FROM ${db}.${ROWS_TABLE} WHERE generation = ${int(g)}`);
  await command(client, `OPTIMIZE TABLE ${db}.${ROWS_KOMMUN} PARTITION ${int(g)} FINAL`);
}

/** Whether generation `at` was built with the rows table (recorded with it). */
export const hasRowsTable = (at: Pick<ReadPoint, 'generation' | 'rollups'>): boolean =>
  at.generation > 0 && at.rollups.includes(ROWS_TABLE) && at.rollups.includes(ROWS_SAMPLE);

/** Whether generation `at` was built with ROWS_KOMMUN too. */
export const hasKommunRows = (at: Pick<ReadPoint, 'generation' | 'rollups'>): boolean => hasRowsTable(at) && at.rollups.includes(ROWS_KOMMUN);

/**
 * What the episodes of a page can be, said on the rows table's sort key: their buckets (closed
 * episodes discharged in [closedFrom, closedTo], and the open ones when `open`), and the runs'
 * counties that the home kommuner asked for imply. Each part is implied by the query's own
 * condition, so it changes no answer; it only lets the server skip the other runs.
 */
export function rowsPrune(o: { closedFrom: number | null; closedTo: number | null; open: boolean; kommuner: string[][] }): string {
  const parts: string[] = [];
  const lo = o.closedFrom === null ? 0 : bucketOf(Math.max(0, o.closedFrom));
  const closed = o.closedTo !== null && o.closedTo < 0 ? null
    : o.closedTo === null ? `rows_bucket >= ${int(lo)}` : `rows_bucket >= ${int(lo)} AND rows_bucket <= ${int(bucketOf(o.closedTo))}`;
  if (closed === null) parts.push(o.open ? `rows_bucket = ${int(OPEN_BUCKET)}` : '0');
  // Open episodes are in the last bucket: an unbounded range holds them already.
  else parts.push(o.open && o.closedTo !== null ? `((${closed}) OR rows_bucket = ${int(OPEN_BUCKET)})` : o.open ? closed : `${closed} AND rows_bucket < ${int(OPEN_BUCKET)}`);
  // See countySql: implied by the kommun's code (a kommun code is ASCII digits; any other implies nothing here).
  for (const codes of o.kommuner) {
    if (!codes.every((c) => /^[\x20-\x7e]*$/.test(c))) continue;
    parts.push(`rows_county IN (${[...new Set(['', ...codes.map((c) => c.slice(0, 2))])].sort().map(str).join(', ')})`);
  }
  return parts.join(' AND ');
}

/** How many of the sample's matching episodes lie below the bound for a page ending at `need`. */
export const sampleRank = (need: number): number => Math.max(1, Math.ceil((SAFETY * need) / SAMPLE_EVERY));
