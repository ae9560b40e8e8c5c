import type { ClickHouseClient } from '@clickhouse/client';
import { utklarDaysSql } from '../facts/day-counts.ts';
import { bedDaysIn, int } from '../indicators/sql.ts';
import { epochDay, fromEpochDay } from '../core/stockholm-time.ts';
import { changedDelta, columnsIn, command, currentEpisodes, generationEpisodes, ROLLUP_TABLES, type ReadPoint } from './read-model.ts';

/**
 * The closed-episode rollups (migrations 007–009): a generation's closed episodes summed per
 * dimension and month. A discharged episode's ready periods are closed (the fold ends an open one
 * at the discharge), so its day counts are final and do not depend on "today".
 */
export const ROLLUP_DIMENSIONS = ['status', 'region', 'home_county', 'home_municipality', 'out_of_county', 'care_type', 'hospital', 'track_colour'] as const;

interface Rollup {
  table: (typeof ROLLUP_TABLES)[number];
  dimensions: readonly string[];
  /**
   * The same sums per day (the family's day column instead of its month): the period's days
   * outside whole months are read here instead of one episode at a time, where those would not be
   * found by the snapshot's sort key (episodes admitted on a day may be discharged at any time after).
   */
  daily?: (typeof ROLLUP_TABLES)[number];
}

/**
 * A family of period sums: which day a period is over, what is summed per episode, and which
 * episodes the family's rollups hold.
 */
export interface SumsFamily {
  day: 'discharged_day' | 'admitted_day';
  month: 'discharged_month' | 'admitted_month';
  sums: readonly string[];
  /** Per episode, with `d` its utklar days: each sum's SQL, in the order of `sums`. */
  episodeSums: readonly string[];
  /** What an episode must be to be counted at all, besides the scope and the period. */
  counted: string | null;
  /** Of the counted, the ones the rollups hold: closed. Null: every counted episode in a period is closed. */
  closed: string | null;
  /** The counted ones the rollups do not hold (read one by one, any period); null when there are none. */
  open: string | null;
  /**
   * Implied for any counted episode of a period starting at `from`, said outright: the snapshot is
   * sorted by region and discharge day, so a condition on discharge days skips the years before.
   */
  prune: (from: number) => string | null;
  /** A group whose sums come to 0 of this one is left out. */
  nonEmpty: string;
  /** Narrowest first (see rollupFor). */
  rollups: readonly Rollup[];
}

/**
 * Discharges in a period: mean days, goal fulfilment, per 1 000, variation, track colours. Only
 * ready episodes count, and one discharged in a period is closed.
 *
 * Both rollups are sorted by month first (migration 008); the municipal one, by kommun next, lacks
 * the hospital and Utom län, so that a nation's page reads a quarter of the rows.
 */
export const DISCHARGES: SumsFamily = {
  day: 'discharged_day',
  month: 'discharged_month',
  sums: ['ready', 'utklar', 'same_day', 'days', 'fvk'],
  episodeSums: ['count()', 'countIf(d >= 1)', 'countIf(d = 0)', 'sum(d)', 'countIf(fast_vardkontakt = 1)'],
  counted: 'length(ready_start_days) > 0',
  closed: null,
  open: null,
  prune: () => null,
  nonEmpty: 'ready',
  rollups: [
    { table: 'episode_rollup_municipal', dimensions: ['status', 'region', 'home_county', 'home_municipality', 'care_type', 'track_colour'] },
    { table: 'episode_rollup', dimensions: ROLLUP_DIMENSIONS },
  ],
};

/**
 * Admissions in a period: the overview's admitted, ready and utklar counts and the readmissions.
 * Every episode counts; the rollup (migration 009) holds the discharged ones, the open ones (a few
 * thousand nationally) are read one by one, their days up to today.
 */
export const ADMISSIONS: SumsFamily = {
  day: 'admitted_day',
  month: 'admitted_month',
  sums: ['admitted', 'ready', 'utklar', 'readmissions'],
  episodeSums: ['count()', 'countIf(length(ready_start_days) > 0)', 'countIf(d >= 1)', "countIf(readmission_of != '')"],
  counted: null,
  closed: 'discharged_day >= 0',
  open: 'discharged_day < 0',
  // Admitted on or after `from`: open, or discharged on or after it.
  prune: (from) => `(discharged_day < 0 OR discharged_day >= ${int(from)})`,
  nonEmpty: 'admitted',
  rollups: [{ table: 'episode_admissions_rollup', dimensions: ['status', 'region', 'home_county', 'home_municipality', 'out_of_county', 'care_type', 'hospital'], daily: 'episode_admissions_daily' }],
};

// Closed periods only, so any "today" gives the same count: 0 says none is used.
const closedDays = utklarDaysSql(0);

/** The episode columns the sums `exprs` read (`d`, the utklar days, reads the ready periods). */
const columnsOfSums = (exprs: readonly string[]): string[] =>
  columnsIn(`${exprs.join(' ')} ${exprs.some((e) => /\bd\b/.test(e)) ? 'ready_start_days ready_end_days' : ''}`);

/**
 * The rollup of `family` a query over `named` columns under condition `base` reads, of those
 * generation `at` holds: the narrowest whose dimensions cover every column named; none when no
 * rollup covers them, or when the conditions fix a region.
 */
export function rollupFor(at: Pick<ReadPoint, 'rollups'>, named: readonly string[], base: string, family: SumsFamily = DISCHARGES): Rollup | undefined {
  // A region's episodes lie together in the snapshot (sorted by region, then discharge day): one
  // plain read of them beats a rollup's five branches on 18.16, where each branch costs ≈ 20 ms.
  if (/\bregion = /.test(base)) return undefined;
  return family.rollups.find((r) => at.rollups.includes(r.table) && named.every((c) => c === family.month || r.dimensions.includes(c)));
}

/** Writes generation `g`'s rollups from its snapshot rows (before the generation is recorded, so a recorded one is complete). */
export async function buildRollup(client: ClickHouseClient, db: string, g: number): Promise<void> {
  await buildBedDaysRollup(client, db, g);
  for (const family of [DISCHARGES, ADMISSIONS]) {
    // The widest from the episodes, the narrower ones from it: the same sums, fewer dimensions.
    const [widest, ...narrower] = [...family.rollups].reverse();
    const dims = widest!.dimensions.join(', ');
    const closed = [`generation = ${int(g)}`, 'discharged_day >= 0', family.counted, family.closed].filter(Boolean).join(' AND ');
    // By day first where the family has a daily rollup (its months are then summed from it).
    const [first, by] = widest!.daily ? [widest!.daily, `${family.month}, ${family.day}`] : [widest!.table, family.month];
    await command(client, `
      INSERT INTO ${db}.${first} (generation, ${dims}, ${by}, ${family.sums.join(', ')})
      SELECT ${int(g)} AS generation, ${dims}, ${by}, ${family.episodeSums.join(', ')}
      FROM (SELECT ${dims}, ${by}, ${columnsOfSums(family.episodeSums).join(', ')}, ${closedDays} AS d FROM ${db}.episode_snapshot WHERE ${closed})
      GROUP BY ${dims}, ${by}`);
    if (widest!.daily) {
      await command(client, `
        INSERT INTO ${db}.${widest!.table} (generation, ${dims}, ${family.month}, ${family.sums.join(', ')})
        SELECT generation, ${dims}, ${family.month}, ${family.sums.map((x) => `sum(${x})`).join(', ')} FROM ${db}.${widest!.daily}
        WHERE generation = ${int(g)} GROUP BY generation, ${dims}, ${family.month}`);
    }
    for (const { table, dimensions } of narrower) {
      const narrow = dimensions.join(', ');
      await command(client, `
        INSERT INTO ${db}.${table} (generation, ${narrow}, ${family.month}, ${family.sums.join(', ')})
        SELECT generation, ${narrow}, ${family.month}, ${family.sums.map((x) => `sum(${x})`).join(', ')} FROM ${db}.${widest!.table}
        WHERE generation = ${int(g)} GROUP BY generation, ${narrow}, ${family.month}`);
    }
  }
}

/** The bed-day rollup's dimensions (migration 016): the discharges' rollup's, by the month each bed-day fell in. */
export const BED_DAY_DIMENSIONS = ['status', 'region', 'home_county', 'home_municipality', 'out_of_county', 'care_type', 'hospital'] as const;

/** Writes generation `g`'s bed-day rollup: each closed ready episode's utklar days (day 0 not counted), one row per day, summed per month. */
export async function buildBedDaysRollup(client: ClickHouseClient, db: string, g: number): Promise<void> {
  const dims = BED_DAY_DIMENSIONS.join(', ');
  // A period from s to e holds the utklar days s + 1 … e (bedDaysIn); range(n) is 18.16's only range.
  await command(client, `
    INSERT INTO ${db}.episode_bed_days_rollup (generation, ${dims}, bed_month, bed_days)
    SELECT ${int(g)} AS generation, ${dims}, toYYYYMM(toDate(bed_day)) AS bed_month, toInt64(count()) AS bed_days
    FROM (
      SELECT ${dims}, arrayJoin(arrayMap(i -> toInt32(period.1 + 1 + i), range(toUInt32(greatest(0, period.2 - period.1))))) AS bed_day
      FROM (
        SELECT ${dims}, arrayJoin(arrayMap((s, e) -> (s, e), ready_start_days, ready_end_days)) AS period
        FROM ${db}.episode_snapshot WHERE generation = ${int(g)} AND discharged_day >= 0 AND length(ready_start_days) > 0))
    GROUP BY ${dims}, bed_month`);
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

/**
 * Per-group sums in two parts: the generation's (its rollups and rows, the changed episodes'
 * generation rows included), the same at every read point of the generation, so that an answer
 * cache keeps it for the generation's life (ten minutes) however many versions are stored; and the
 * changed episodes' delta at this read point (a few rows, read-model.ts: changedDelta), which every
 * stored version changes. mergeSums adds them up as `whole` would answer; where the delta has a
 * group the generation lacks, `whole` is asked instead.
 */
export interface SplitSums {
  /** Per group, every group (none left out), ordered by the group keys. */
  generation: string;
  /** Per group, the delta's signed sums; null when no episode changed. */
  delta: string | null;
  /** Both in one query: per group, empty groups left out, ordered by the group keys. */
  whole: string;
  keys: readonly string[];
  sums: readonly string[];
  /** A group whose sum of this comes to 0 is left out. */
  nonEmpty: string;
}

/**
 * The answer of `s.whole` from its two parts' answers, or null when the delta has a group the
 * generation's answer lacks (its place in the order is then ClickHouse's to say: a key may be a
 * String or a 64-bit integer, both JSON strings). Sums are Int64, JSON strings.
 */
export function mergeSums(s: SplitSums, generation: readonly Record<string, unknown>[], delta: readonly Record<string, unknown>[]): Record<string, unknown>[] | null {
  // Nothing changed in the groups: the generation's rows as they are (no copies, no index of thousands of keys).
  if (delta.length === 0) return generation.filter((r) => Number(r[s.nonEmpty]) > 0);
  const id = (r: Record<string, unknown>) => JSON.stringify(s.keys.map((k) => r[k]));
  const out = generation.map((r) => ({ ...r }));
  const at = new Map(out.map((r, i) => [id(r), i]));
  for (const d of delta) {
    const i = at.get(id(d));
    if (i === undefined) {
      if (s.sums.every((x) => Number(d[x]) === 0)) continue;
      return null;
    }
    for (const x of s.sums) out[i]![x] = String(Number(out[i]![x]) + Number(d[x]));
  }
  return out.filter((r) => Number(r[s.nonEmpty]) > 0);
}

export interface PeriodSumsQuery {
  db: string;
  /** EPISODE_LEVEL: every episode one by one from every version (the reference). */
  at: ReadPoint;
  /** Conditions on the episode's dimensions (scope and listbox filters), without the period. */
  base: string;
  /** The period, inclusive epoch days (of the family's day). */
  fromDay: number;
  toDay: number;
  today: number;
  /** Group keys: SQL expressions over the episode's columns, each returned as k0, k1, …. */
  keys: string[];
  /** These of the family's sums only (and its `nonEmpty` one); all without. */
  only?: readonly string[];
}

/**
 * Per group of `keys`, the family's sums over the counted episodes of the period that satisfy
 * `base`, as one SQL query. Through a rollup (rollupFor) when the generation has one whose
 * dimensions include every column `base` and `keys` name:
 *   the rollup's whole months (its closed episodes)
 *   + the period's other days: from the daily rollup where the family has one, else every other
 *     closed episode of those days one by one
 *   + every open episode of the period, one by one (admissions; today counts)
 *   + the delta of the episodes changed since the watermark (read-model.ts, changedDelta): each
 *     one's generation row counted with sign -1, its newest version with +1, in one branch (on
 *     18.16 each branch costs; taking back and adding in two, with a NOT IN of the changed ids in
 *     every other, cost ≈ 20 ms more at five national years).
 * Otherwise every episode one by one. Both are the same sums (a property test compares them for
 * random scopes, filters and corrections); groups whose `nonEmpty` sum is 0 are left out.
 */
export function periodSums(family: SumsFamily, q: PeriodSumsQuery): string | SplitSums {
  const F = family;
  const all = (...parts: (string | null)[]) => parts.filter((x): x is string => x !== null).join(' AND ');
  const period = (from: number, to: number) => `${F.day} >= ${int(from)} AND ${F.day} <= ${int(to)}`;
  const keyList = q.keys.map((k, i) => `${k} AS k${i}`).join(', ');
  const groupBy = q.keys.map((_, i) => `k${i}`).join(', ');
  // The sums asked for (and the one that decides a group is empty); `d` computed only if one needs it.
  const chosen = F.sums.map((name, i) => ({ name, expr: F.episodeSums[i]! })).filter((x) => !q.only || q.only.includes(x.name) || x.name === F.nonEmpty);
  const needsDays = chosen.some((x) => /\bd\b/.test(x.expr));
  const summed = chosen.map((x) => `toInt64(${x.expr}) AS s_${x.name}`).join(', ');
  const grouped = (inner: string) => `
    SELECT ${groupBy}, ${chosen.map((x) => `sum(s_${x.name}) AS ${x.name}`).join(', ')} FROM (${inner})
    GROUP BY ${groupBy}`;
  const outer = (inner: string) => `${grouped(inner)} HAVING ${F.nonEmpty} > 0 ORDER BY ${groupBy}`;
  const split = (generation: string[], delta: string | null): SplitSums =>
    splitSums(grouped, generation, delta, { keys: q.keys.map((_, i) => `k${i}`), sums: chosen.map((x) => x.name), nonEmpty: F.nonEmpty });
  // One type (18.16's UNION ALL wants the same types in every branch), named apart from the sums they add to.
  const episodes = (source: string) => `SELECT ${keyList}, ${summed} FROM ${needsDays ? `(SELECT *, ${utklarDaysSql(q.today)} AS d FROM ${source})` : source} GROUP BY ${groupBy}`;
  const columns = [...new Set([...columnsIn(q.keys.join(' ')), ...columnsOfSums(chosen.map((x) => x.expr))])];
  const at = q.at;
  const { whole, rollup, daily } = rollupChoice(F, q);
  const signed = (source: string) => `SELECT ${groupBy}, ${chosen.map((x) => `toInt64(sign * u_${x.name}) AS s_${x.name}`).join(', ')}
      FROM (SELECT ${keyList}, sign, ${chosen.map((x) => `toInt64(${x.expr}) AS u_${x.name}`).join(', ')} FROM ${needsDays ? `(SELECT *, ${utklarDaysSql(q.today)} AS d FROM ${source})` : source} GROUP BY ${groupBy}, sign)`;
  if (!rollup || (!whole && !daily)) {
    const cond = all(q.base, period(q.fromDay, q.toDay), F.counted, F.prune(q.fromDay));
    if (at.generation === 0 || at.changed.many) return outer(episodes(currentEpisodes(q.db, cond, at, columns)));
    // The generation's rows, the changed episodes' included, and their delta apart (see SplitSums).
    const delta = changedDelta(q.db, at, cond, columns);
    return split([episodes(generationEpisodes(q.db, cond, at, columns))], delta && signed(delta));
  }
  const closed = all(F.counted, F.closed) || null;
  // The period's days outside the whole months, as plain ranges (the sort key skips to them; an OR would not).
  const edges = whole ? [[q.fromDay, whole.fromDay - 1], [whole.toDay + 1, q.toDay]].filter(([a, b]) => a! <= b!) : [[q.fromDay, q.toDay]];
  // Every generation row counted in the period is in exactly one part (the rolled-up months, the
  // days outside them, the open ones), changed episodes' too; their delta, signed, then turns each
  // changed episode's generation row into its newest version, once for the whole period.
  const counted = all(q.base, period(q.fromDay, q.toDay), F.counted, F.closed && F.open ? `(${F.closed} OR ${F.open})` : F.closed);
  const delta = changedDelta(q.db, at, counted, columns);
  const rolled = (table: string, range: string) => `SELECT ${keyList}, ${chosen.map((x) => `toInt64(${x.name}) AS s_${x.name}`).join(', ')} FROM ${q.db}.${table}
      WHERE generation = ${int(at.generation)} AND ${q.base} AND ${range}`;
  return split([
    ...(whole ? [rolled(rollup.table, `${F.month} >= ${int(whole.fromMonth)} AND ${F.month} <= ${int(whole.toMonth)}`)] : []),
    ...edges.map(([a, b]) => (daily ? rolled(daily, period(a!, b!)) : episodes(generationEpisodes(q.db, all(q.base, period(a!, b!), closed, F.prune(a!)), at, columns)))),
    ...(F.open ? [episodes(generationEpisodes(q.db, all(q.base, period(q.fromDay, q.toDay), F.counted, F.open), at, columns))] : []),
  ], delta && signed(delta));
}

/** Which rollup periodSums reads for `q` (its whole months, and its daily rollup where the family has one). */
function rollupChoice(family: SumsFamily, q: Pick<PeriodSumsQuery, 'at' | 'base' | 'keys' | 'fromDay' | 'toDay'>) {
  const whole = wholeMonths(q.fromDay, q.toDay);
  const rollup = rollupFor(q.at, columnsIn(`${q.base} ${q.keys.join(' ')}`), q.base, family);
  const daily = rollup?.daily !== undefined && q.at.rollups.includes(rollup.daily) ? rollup.daily : null;
  return { whole, rollup, daily };
}

/** Whether periodSums answers `q` through a rollup (else it reads every matching episode). */
export function throughRollup(family: SumsFamily, q: Pick<PeriodSumsQuery, 'at' | 'base' | 'keys' | 'fromDay' | 'toDay'>): boolean {
  const { whole, rollup, daily } = rollupChoice(family, q);
  return rollup !== undefined && (whole !== null || daily !== null);
}

export interface BedDaysQuery {
  db: string;
  at: ReadPoint;
  /** Conditions on the episode's dimensions (scope and listbox filters). */
  base: string;
  /** The group's SQL expression over the episode's columns. */
  group: string;
  /** The period, inclusive epoch days; `toDay` no later than today. */
  fromDay: number;
  toDay: number;
  today: number;
}

/**
 * Per group and care type, the utklar bed-days in the period (occupied-beds) through the bed-day
 * rollup, or null when it cannot answer (the generation has none, the conditions or the group name
 * a column it lacks or fix a region, or the period holds no whole month):
 *   the rollup's whole months (its closed episodes' bed-days that fell in them)
 *   + the closed episodes' bed-days on the period's other days, one by one (discharged on or after
 *     the first of those days: the sort key finds them)
 *   + every open episode, one by one (its days up to today)
 *   + the delta of the episodes changed since the watermark: each one's bed-days in the whole
 *     period, its generation row's taken back and its newest version's added (changedDelta).
 * The same sums as bedDaysIn over every episode's latest version (a property test compares them).
 */
export function bedDaysSql(q: BedDaysQuery): SplitSums | null {
  const { at, db } = q;
  if (!at.rollups.includes('episode_bed_days_rollup')) return null;
  // As rollupFor: a region's episodes lie together in the snapshot; one plain read beats a union on 18.16.
  if (/\bregion = /.test(q.base)) return null;
  if (!columnsIn(`${q.base} ${q.group}`).every((c) => (BED_DAY_DIMENSIONS as readonly string[]).includes(c))) return null;
  const whole = wholeMonths(q.fromDay, q.toDay);
  if (!whole) return null;
  const all = (...parts: string[]) => parts.join(' AND ');
  const ready = 'length(ready_start_days) > 0';
  const closed = 'discharged_day >= 0';
  const columns = [...new Set([...columnsIn(q.group), 'care_type', 'ready_start_days', 'ready_end_days'])];
  // One type in every branch (18.16's UNION ALL).
  const episodes = (source: string, from: number, to: number) =>
    `SELECT ${q.group} AS grp, care_type, toInt64(sum(${bedDaysIn(from, to, q.today)})) AS b FROM ${source} GROUP BY grp, care_type`;
  // Every generation row is in exactly one part (the rolled-up months with the days outside them,
  // or the open ones), changed episodes' too; their delta, signed, turns each changed episode's
  // bed-days in the whole period into its newest version's (bedDaysIn adds up over days).
  const delta = changedDelta(db, at, all(q.base, ready, `(discharged_day < 0 OR discharged_day >= ${int(q.fromDay)})`), columns);
  const edges = [[q.fromDay, whole.fromDay - 1], [whole.toDay + 1, q.toDay]].filter(([a, b]) => a! <= b!);
  const generation = [
    `SELECT ${q.group} AS grp, care_type, toInt64(bed_days) AS b FROM ${db}.episode_bed_days_rollup
      WHERE generation = ${int(at.generation)} AND ${q.base} AND bed_month >= ${int(whole.fromMonth)} AND bed_month <= ${int(whole.toMonth)}`,
    ...edges.map(([a, b]) => episodes(generationEpisodes(db, all(q.base, ready, closed, `discharged_day >= ${int(a!)}`), at, columns), a!, b!)),
    episodes(generationEpisodes(db, all(q.base, ready, 'discharged_day < 0'), at, columns), q.fromDay, q.toDay),
  ];
  const signed = delta && `SELECT ${q.group} AS grp, care_type, toInt64(sum(sign * (${bedDaysIn(q.fromDay, q.toDay, q.today)}))) AS b FROM ${delta} GROUP BY grp, care_type`;
  const grouped = (inner: string) => `
    SELECT grp, care_type, sum(b) AS bed_days FROM (${inner})
    GROUP BY grp, care_type`;
  return splitSums(grouped, generation, signed, { keys: ['grp', 'care_type'], sums: ['bed_days'], nonEmpty: 'bed_days' });
}

/**
 * A sum's two parts and the one query of both (SplitSums): `grouped` sums branches (UNION ALL)
 * per group of `s.keys`; the generation's part and the whole ordered by them, the whole without
 * its empty groups.
 */
function splitSums(grouped: (inner: string) => string, generation: readonly string[], delta: string | null, s: Pick<SplitSums, 'keys' | 'sums' | 'nonEmpty'>): SplitSums {
  const union = (parts: readonly string[]) => parts.join('\n    UNION ALL\n    ');
  const order = s.keys.join(', ');
  return {
    generation: `${grouped(union(generation))} ORDER BY ${order}`,
    delta: delta === null ? null : grouped(delta),
    whole: `${grouped(union(delta === null ? generation : [...generation, delta]))} HAVING ${s.nonEmpty} > 0 ORDER BY ${order}`,
    ...s,
  };
}
