import type { ClickHouseClient } from '@clickhouse/client';
import { utklarDaysSql } from '../facts/day-counts.ts';
import { int } from '../indicators/sql.ts';
import { epochDay, fromEpochDay } from '../core/stockholm-time.ts';
import { changedEpisodes, changedInSnapshot, columnsIn, command, currentEpisodes, ROLLUP_TABLES, type ReadPoint } from './read-model.ts';

/**
 * The closed-episode rollups (migrations 007, 008): a generation's discharged ready episodes summed
 * per dimension and discharge month. A discharged episode's ready periods are closed (the fold ends
 * an open one at the discharge), so its day counts are final and do not depend on "today".
 */
export const ROLLUP_DIMENSIONS = ['status', 'region', 'home_county', 'home_municipality', 'out_of_county', 'care_type', 'hospital', 'track_colour'] as const;

/**
 * The rollups. Both are sorted by month first, then by the scope's column that `sortedBy` names
 * (migration 008): a query reads the one its generation holds whose dimensions cover every column
 * it names, preferring one sorted by a column its conditions fix (a region's page the region's
 * rows of each month, a kommun's the kommun's), else the narrowest. The municipal one lacks the
 * hospital and Utom län, so that a nation's page reads a quarter of the rows.
 */
export const ROLLUPS: readonly { table: (typeof ROLLUP_TABLES)[number]; dimensions: readonly string[]; sortedBy: string }[] = [
  { table: 'episode_rollup_municipal', dimensions: ['status', 'region', 'home_county', 'home_municipality', 'care_type', 'track_colour'], sortedBy: 'home_municipality' },
  { table: 'episode_rollup', dimensions: ROLLUP_DIMENSIONS, sortedBy: 'region' },
];

/** The rollup a query over `named` columns under condition `base` reads, of those generation `at` holds; none when no rollup covers them. */
export function rollupFor(at: Pick<ReadPoint, 'rollups'>, named: readonly string[], base: string) {
  const covering = ROLLUPS.filter((r) => at.rollups.includes(r.table) && named.every((c) => c === 'discharged_month' || r.dimensions.includes(c)));
  return covering.find((r) => new RegExp(`\\b${r.sortedBy} = `).test(base)) ?? covering[0];
}

/** What a closed-episode indicator adds up per group, over ready episodes (see `closedSums`). */
export const SUMS = ['ready', 'utklar', 'same_day', 'days', 'fvk'] as const;

/** The sums over episodes, one row each, with `d` their utklar days. */
const EPISODE_SUMS = ['count()', 'countIf(d >= 1)', 'countIf(d = 0)', 'sum(d)', 'countIf(fast_vardkontakt = 1)'];
/** Signed, one type (18.16's UNION ALL wants the same types in every branch), named apart from the sums they add to. */
const summed = (sign: '' | '-') => EPISODE_SUMS.map((e, i) => `${sign}toInt64(${e}) AS s_${SUMS[i]}`).join(', ');
// Closed periods only, so any "today" gives the same count: 0 says none is used.
const closedDays = utklarDaysSql(0);

/** Writes generation `g`'s rollups from its snapshot rows (before the generation is recorded, so a recorded one is complete). */
export async function buildRollup(client: ClickHouseClient, db: string, g: number): Promise<void> {
  const dims = ROLLUP_DIMENSIONS.join(', ');
  await command(client, `
    INSERT INTO ${db}.episode_rollup (generation, ${dims}, discharged_month, ${SUMS.join(', ')})
    SELECT ${int(g)} AS generation, ${dims}, discharged_month, ${EPISODE_SUMS.join(', ')}
    FROM (SELECT ${dims}, discharged_month, fast_vardkontakt, ${closedDays} AS d FROM ${db}.episode_snapshot
          WHERE generation = ${int(g)} AND discharged_day >= 0 AND length(ready_start_days) > 0)
    GROUP BY ${dims}, discharged_month`);
  // The narrower ones from the widest: the same sums, fewer dimensions.
  for (const { table, dimensions } of ROLLUPS.filter((r) => r.table !== 'episode_rollup')) {
    const narrow = dimensions.join(', ');
    await command(client, `
      INSERT INTO ${db}.${table} (generation, ${narrow}, discharged_month, ${SUMS.join(', ')})
      SELECT generation, ${narrow}, discharged_month, ${SUMS.map((x) => `sum(${x})`).join(', ')} FROM ${db}.episode_rollup
      WHERE generation = ${int(g)} GROUP BY generation, ${narrow}, discharged_month`);
  }
}

/** The whole calendar months inside [fromDay, toDay], as epoch days and YYYYMM, or null when none is. */
export function wholeMonths(fromDay: number, toDay: number): { fromDay: number; toDay: number; fromMonth: number; toMonth: number } | null {
  const f = fromEpochDay(fromDay);
  const first = f.day === 1 ? f : { year: f.month === 12 ? f.year + 1 : f.year, month: f.month === 12 ? 1 : f.month + 1, day: 1 };
  const t = fromEpochDay(toDay + 1);
  const end = { year: t.year, month: t.month, day: 1 }; // the first day after the last whole month
  const start = epochDay(first);
  const stop = epochDay(end) - 1;
  if (stop < start) return null;
  const last = fromEpochDay(stop);
  return { fromDay: start, toDay: stop, fromMonth: first.year * 100 + first.month, toMonth: last.year * 100 + last.month };
}

export interface ClosedSumsQuery {
  db: string;
  /** EPISODE_LEVEL: every episode one by one from every version (the reference). */
  at: ReadPoint;
  /** Conditions on the episode's dimensions (scope and listbox filters), without the period. */
  base: string;
  /** The discharge period, inclusive epoch days. */
  fromDay: number;
  toDay: number;
  today: number;
  /** Group keys: SQL expressions over the episode's columns, each returned as k0, k1, …. */
  keys: string[];
}

/**
 * Per group of `keys`, the sums (SUMS) over the ready episodes discharged in the period that
 * satisfy `base`, as one SQL query. Through a rollup (ROLLUPS) when the generation has one whose
 * dimensions include every column `base` and `keys` name:
 *   the rollup's whole months
 *   − what the episodes changed since the watermark contributed to them (their snapshot rows)
 *   + those episodes' newest versions discharged in those months
 *   + every episode discharged on the period's other days, one by one.
 * The changed episodes are found in the recent hours and a few snapshot granules (read-model.ts).
 * Otherwise every episode one by one. Both are the same sums (a property test compares them for
 * random scopes, filters and corrections); groups whose sums come to no ready episode are left out.
 */
export function closedSums(q: ClosedSumsQuery): string {
  const ready = 'length(ready_start_days) > 0';
  const period = (from: number, to: number) => `discharged_day >= ${int(from)} AND discharged_day <= ${int(to)}`;
  const keyList = q.keys.map((k, i) => `${k} AS k${i}`).join(', ');
  const groupBy = q.keys.map((_, i) => `k${i}`).join(', ');
  const outer = (inner: string) => `
    SELECT ${groupBy}, ${SUMS.map((s) => `sum(s_${s}) AS ${s}`).join(', ')} FROM (${inner})
    GROUP BY ${groupBy} HAVING ready > 0 ORDER BY ${groupBy}`;
  const episodes = (source: string, sign: '' | '-' = '') => `SELECT ${keyList}, ${summed(sign)} FROM (SELECT *, ${utklarDaysSql(q.today)} AS d FROM ${source}) GROUP BY ${groupBy}`;
  const uses = `${q.keys.join(' ')} fast_vardkontakt ready_start_days ready_end_days`;
  const columns = columnsIn(uses);
  const at = q.at;
  const whole = wholeMonths(q.fromDay, q.toDay);
  const rollup = rollupFor(at, columnsIn(`${q.base} ${q.keys.join(' ')}`), q.base);
  if (!rollup || !whole) return outer(episodes(currentEpisodes(q.db, [q.base, period(q.fromDay, q.toDay), ready].join(' AND '), at, columns)));
  const inWhole = period(whole.fromDay, whole.toDay);
  // The period's days outside the whole months, as plain ranges (the sort key skips to them; an OR would not).
  const edges = [[q.fromDay, whole.fromDay - 1], [whole.toDay + 1, q.toDay]].filter(([a, b]) => a! <= b!).map(([a, b]) => period(a!, b!));
  const retracted = changedInSnapshot(q.db, at, [q.base, inWhole, ready].join(' AND '), columns);
  const changedNow = changedEpisodes(q.db, at, `${columns.join(' ')} ${q.base} ${inWhole} ${ready}`);
  return outer([
    `SELECT ${keyList}, ${SUMS.map((x) => `toInt64(${x}) AS s_${x}`).join(', ')} FROM ${q.db}.${rollup.table}
      WHERE generation = ${int(at.generation)} AND ${q.base} AND discharged_month >= ${int(whole.fromMonth)} AND discharged_month <= ${int(whole.toMonth)}`,
    ...(retracted ? [episodes(retracted, '-')] : []),
    ...(changedNow ? [episodes(`(SELECT ${columns.join(', ')} FROM ${changedNow} WHERE ${q.base} AND ${inWhole} AND ${ready})`)] : []),
    ...edges.map((edge) => episodes(currentEpisodes(q.db, [q.base, edge, ready].join(' AND '), at, columns))),
  ].join('\n    UNION ALL\n    '));
}
