import type { Agreement } from '../agreements/agreement.ts';
import type { AgreementSet } from '../agreements/agreement-set.ts';
import { billableFrom } from '../clock/rules.ts';
import { CARE_TYPES } from '../contract/event.ts';
import { paymentReadsFrom, type Month, type PaymentCell } from './payment-basis.ts';
import { int, str, utklarDays } from './sql.ts';
import { LAST_PLACE, PLACES } from '../snapshot/payment-rollup.ts';

type CareType = (typeof CARE_TYPES)[number];

/**
 * The invoice month summed in ClickHouse: the cells paymentBasisOf needs (per region, care type,
 * liable municipality, invoiced or not, day-0 discharge or not, and stretch of discharge days with
 * the same agreements in force), instead of every episode of the month (a nation's ≈ 80 000). The
 * rules stay in TypeScript: which agreement is in force (AgreementSet.inForce) and from which
 * payment day a liable episode is billed (billableFrom) are asked here for each stretch and
 * written into the SQL as literals; the 12:00 rule and the conditions are the stored payment days
 * and liability; averages, thresholds and amounts are computed from the sums by paymentBasisOf.
 */
export function paymentCellsSql(set: AgreementSet, month: Month, today: number): {
  sql: (source: string, signed?: boolean) => string;
  rollup: ((rollupRows: string) => string) | null;
  toCells: (rows: Record<string, unknown>[]) => PaymentCell[];
} {
  const readsFrom = paymentReadsFrom(set, month);
  const overlaps = (a: Agreement) => a.validFrom <= month.toDay && (a.validTo === null || readsFrom <= a.validTo);
  const inWindow = set.agreements.filter(overlaps);
  // The days within the window on which an agreement begins or ends: between two of them every
  // region has the same agreement in force.
  const breaks = [...new Set(inWindow.flatMap((a) => [a.validFrom, a.validTo === null ? null : a.validTo + 1]).filter((d): d is number => d !== null && Number.isFinite(d) && d > readsFrom && d <= month.toDay))].sort((a, b) => a - b);
  const starts = [readsFrom, ...breaks];
  const stretch = breaks.length === 0 ? '0' : breaks.map((b) => `(discharged_day >= ${int(b)})`).join(' + ');

  const own = [...new Set(inWindow.map((a) => a.region).filter((r) => r !== '*'))].sort();
  // A region without an agreement of its own gets the law's defaults: every such region alike, so
  // one that no agreement names ('') stands for them all.
  const from = (region: string, s: number, careType: CareType) => {
    const a = set.inForce(region, starts[s]!);
    return a ? billableFrom(a.rules.payment, careType) : 0;
  };
  const cases: string[] = [];
  // The places billed from, as numbers: the rollup keeps each payment day's place up to LAST_PLACE
  // and answers where no agreement bills from a later one.
  const fromPlaces: number[] = [];
  const billFrom = (when: string, n: number) => (fromPlaces.push(n), cases.push(when, int(n)));
  for (let s = 0; s < starts.length; s++) {
    for (const c of CARE_TYPES) {
      const otherwise = from('', s, c);
      for (const r of own) {
        const n = from(r, s, c);
        if (n !== otherwise) billFrom(`region = ${str(r)} AND stretch = ${int(s)} AND care_type = ${str(c)}`, n);
      }
      if (otherwise !== 0) billFrom(`stretch = ${int(s)} AND care_type = ${str(c)}`, otherwise);
    }
  }
  const billedFrom = cases.length === 0 ? '0' : `multiIf(${cases.join(', ')}, 0)`;

  // `signed`: the source carries a sign (a changed episode's generation row -1, its newest version
  // +1; changedDelta), summed as such. first_day is then the earliest of the +1 rows only, a bound
  // from below where a -1 row held the earliest (see mergePaymentCells).
  const sql = (source: string, signed = false) => `
    SELECT region, recipient_municipality AS kommun, care_type AS care, invoiced, day_zero, stretch,
      ${signed ? 'sum(sign)' : 'count()'} AS episodes, sum(${signed ? 'sign * ' : ''}length(payment_days)) AS days,
      ${signed ? `min(if(sign > 0, toInt64(discharged_day), toInt64(${NO_DAY})))` : 'min(discharged_day)'} AS first_day,
      sumMap(arrayMap(x -> toYear(toDate(x)), billable), arrayMap(x -> ${signed ? 'toInt64(sign)' : 'toUInt64(1)'}, billable)) AS by_year
    FROM (
      SELECT ${signed ? 'sign, ' : ''}region, recipient_municipality, care_type, payment_days, discharged_day,
        discharged_day >= ${int(month.fromDay)} AS invoiced, ${utklarDays(today)} = 0 AS day_zero, ${stretch} AS stretch,
        if(invoiced AND liability != 'not-liable', arraySlice(payment_days, ${billedFrom} + 1), emptyArrayInt32()) AS billable
      FROM ${source})
    GROUP BY region, kommun, care, invoiced, day_zero, stretch`;

  // The same cells from the generation's payment rollup (rows of it that satisfy the condition):
  // a row's liable days from place billedFrom on are the entries whose place is that or more.
  // 18.16 lambdas cannot read a column, so the place each row bills from is passed as an array.
  const billed = billedFrom === '0' ? {
    places: 'if(billed, year_place, emptyArrayUInt32())',
    days: 'if(billed, year_place_days, emptyArrayUInt64())',
  } : {
    places: `if(billed, arrayFilter((e, b) -> e % ${PLACES} >= b, year_place, from_place), emptyArrayUInt32())`,
    days: `if(billed, arrayFilter((n, e, b) -> e % ${PLACES} >= b, year_place_days, year_place, from_place), emptyArrayUInt64())`,
  };
  const rollup = fromPlaces.some((n) => n > LAST_PLACE) ? null : (rollupRows: string) => `
    SELECT region, recipient_municipality AS kommun, care_type AS care, invoiced, day_zero, stretch,
      sum(episode_count) AS episodes, sum(paid_days) AS days, min(discharged_day) AS first_day,
      sumMap(arrayMap(e -> toUInt16(intDiv(e, ${PLACES})), billable), billable_days) AS by_year
    FROM (
      SELECT region, recipient_municipality, care_type, discharged_day, episode_count, paid_days, day_zero,
        discharged_day >= ${int(month.fromDay)} AS invoiced, ${stretch} AS stretch, invoiced AND liable AS billed,
        ${billedFrom === '0' ? '' : `arrayResize(emptyArrayUInt8(), length(year_place), toUInt8(${billedFrom})) AS from_place,`}
        ${billed.places} AS billable, ${billed.days} AS billable_days
      FROM ${rollupRows})
    GROUP BY region, kommun, care, invoiced, day_zero, stretch`;

  const toCells = (rows: Record<string, unknown>[]): PaymentCell[] => rows.map((r) => {
    const [years, counts] = r.by_year as [unknown[], unknown[]];
    return {
      region: String(r.region), careType: String(r.care) as CareType, municipality: String(r.kommun),
      agreementDay: starts[Number(r.stretch)]!, firstDischargedDay: Number(r.first_day),
      invoiced: Number(r.invoiced) === 1, dayZero: Number(r.day_zero) === 1, episodes: Number(r.episodes), paymentDays: Number(r.days),
      billableByYear: new Map(years.map((y, i) => [Number(y), Number(counts[i])])),
    };
  });
  return { sql, rollup, toCells };
}

/** No discharge day: larger than any (first_day of a cell with no +1 row). */
const NO_DAY = 2 ** 32;

/**
 * A month's cells over every generation row (paymentCellsSql's rows) plus the changed episodes'
 * signed delta (the same SQL, `signed`): what the one query over every episode's newest version
 * answers, cell by cell, except that a cell's first_day may be a retracted row's (the delta's -1
 * rows cannot take a minimum back). paymentBasisOf reads first_day in two places: whether a
 * month-before cell lies in the averaging window (a month's first day, which every row read
 * lies on or after for a rolling agreement and every month-before row before for a monthly one,
 * so a bound from below answers alike), and the text of a line without an agreement, where it must
 * be exact: payment() asks the one query where such a line would be written.
 */
export function mergePaymentCells(generation: Record<string, unknown>[], delta: Record<string, unknown>[]): Record<string, unknown>[] {
  const key = (r: Record<string, unknown>) => `${String(r.region)}\u0000${String(r.kommun)}\u0000${String(r.care)}\u0000${String(r.invoiced)}\u0000${String(r.day_zero)}\u0000${String(r.stretch)}`;
  // Only the cells the delta touches are added up (a nation's month: a few hundred of ≈ 5 000).
  const touched = new Map<string, Record<string, unknown>[]>();
  for (const d of delta) {
    const k = key(d);
    const list = touched.get(k);
    if (list) list.push(d);
    else touched.set(k, [d]);
  }
  const out: Record<string, unknown>[] = [];
  for (const r of generation) {
    const k = key(r);
    const ds = touched.get(k);
    if (!ds) out.push(r);
    else {
      out.push(added([r, ...ds]));
      touched.delete(k);
    }
  }
  for (const ds of touched.values()) out.push(added(ds));
  return out.filter((c) => Number(c.episodes) !== 0);
}

/** One cell from several answers' rows of it: sums added, the earliest first day, years left with no billable day dropped. */
function added(rows: Record<string, unknown>[]): Record<string, unknown> {
  let episodes = 0;
  let days = 0;
  let first = NO_DAY;
  const years = new Map<number, number>();
  for (const r of rows) {
    const [ys, cs] = r.by_year as [unknown[], unknown[]];
    episodes += Number(r.episodes);
    days += Number(r.days);
    first = Math.min(first, Number(r.first_day));
    ys.forEach((y, i) => years.set(Number(y), (years.get(Number(y)) ?? 0) + Number(cs[i])));
  }
  const kept = [...years].filter(([, n]) => n !== 0).sort(([a], [b]) => a - b);
  return { ...rows[0], episodes, days, first_day: first, by_year: [kept.map(([y]) => y), kept.map(([, n]) => n)] };
}
