import type { ClickHouseClient } from '@clickhouse/client';
import { utklarDaysSql } from '../facts/day-counts.ts';
import { int } from '../indicators/sql.ts';
import { columnsIn, command, rows, type ROLLUP_TABLES } from './read-model.ts';

/**
 * The invoice basis's rollup (migration 020): a generation's closed ready episodes per discharge
 * day, region, recipient kommun, care type, status, day-0 discharge or not and liable or not,
 * with their payment days per calendar year and place in the episode's list. The cells of an
 * invoice month (indicators/payment-sql.ts) are summed from it as from the episodes themselves.
 */
export const PAYMENT_ROLLUP = 'episode_payment_rollup' satisfies (typeof ROLLUP_TABLES)[number];

/** A payment day's place in its episode's list (0-based) is kept up to this; later ones count as this one. */
export const LAST_PLACE = 63;
/** year_place = year × PLACES + place. */
export const PLACES = LAST_PLACE + 1;

/** The episode columns a condition may name to be answered from the rollup (its keys). */
export const PAYMENT_ROLLUP_KEYS = ['status', 'region', 'recipient_municipality', 'care_type', 'discharged_day'] as const;

/** Whether the rollup's keys decide `cond` (a condition on episode columns): it names no other. */
export const paymentRollupAnswers = (cond: string): boolean => columnsIn(cond).every((c) => (PAYMENT_ROLLUP_KEYS as readonly string[]).includes(c));

/**
 * Discharge days a pass of the rollup's build sums: its groups (a day's regions, kommuner, care
 * types, …, each with a map of payment days by year and place) for all five national years at
 * once needed more than the 1.86 GiB a query may use on the bundled 18.16 server (2026-12-07);
 * a year's are a fifth of that. The passes' groups are disjoint (the day is a key): the same rows.
 */
const PASS_DAYS = 366;

/**
 * Writes generation `g`'s payment rollup from its snapshot rows, a year of discharge days a pass.
 * A discharged episode's ready periods are closed (the fold ends an open one at the discharge),
 * so whether it was discharged on day 0 does not depend on "today": counted with none.
 */
export async function buildPaymentRollup(client: ClickHouseClient, db: string, g: number, passDays = PASS_DAYS): Promise<void> {
  const place = `toUInt32(toYear(toDate(x)) * ${int(PLACES)} + least(i - 1, ${int(LAST_PLACE)}))`;
  const counted = `generation = ${int(g)} AND discharged_day >= 0 AND length(ready_start_days) > 0`;
  const [span] = await rows(client, `SELECT toInt64(min(discharged_day)) AS a, toInt64(max(discharged_day)) AS b, count() AS n FROM ${db}.episode_snapshot WHERE ${counted}`);
  if (Number(span!.n) === 0) return;
  for (let from = Number(span!.a); from <= Number(span!.b); from += passDays) {
    await command(client, `
      INSERT INTO ${db}.${PAYMENT_ROLLUP} (generation, discharged_day, region, recipient_municipality, care_type, status, day_zero, liable, episode_count, paid_days, year_place, year_place_days)
      SELECT ${int(g)} AS generation, discharged_day, region, recipient_municipality, care_type, status, day_zero, liable, count(), sum(length(payment_days)),
        (sumMap(arrayMap((x, i) -> ${place}, payment_days, arrayEnumerate(payment_days)), arrayMap(x -> toUInt64(1), payment_days)) AS by_place).1, by_place.2
      FROM (
        SELECT discharged_day, region, recipient_municipality, care_type, status, payment_days,
          liability != 'not-liable' AS liable, ${utklarDaysSql(0)} = 0 AS day_zero
        FROM ${db}.episode_snapshot WHERE ${counted} AND discharged_day >= ${int(from)} AND discharged_day < ${int(from + passDays)})
      GROUP BY discharged_day, region, recipient_municipality, care_type, status, day_zero, liable`);
  }
}
