import type { ClickHouseClient } from '@clickhouse/client';
import type { AgreementSet } from '../agreements/agreement-set.ts';
import type { RegionRules } from '../clock/rules.ts';
import * as ind from '../indicators/indicators.ts';
import type { InvoiceMonth } from '../invoices/freeze-schedule.ts';
import { parseFilters } from '../model/filters.ts';
import type { PopulationTable } from '../reference/population.ts';
import { rowsToCells, type Cell } from './cells.ts';

/** One side of the diff: a database and the agreements its figures are computed under. */
export interface CellSource {
  client: ClickHouseClient;
  db: string;
  rules: RegionRules;
  agreements: AgreementSet;
  population: PopulationTable;
  /** UTKLAR_SMALL_CELL_MIN: which cells the API would withhold (marked, not left out). */
  smallCellMin?: number;
}

/**
 * Every indicator the API serves, per month by municipality and care type where it has them
 * (the route's own computation, ind.*, without the API's small-cell layer: the diff is the
 * region's, exact). The forecast and the de-identified rows are not indicators of the past.
 */
const MONTHLY: { indicator: string; compute: (ctx: ind.Ctx, month: InvoiceMonth) => Promise<ind.Result> }[] = [
  { indicator: 'overview', compute: (ctx) => ind.overview(ctx, 'municipality') },
  { indicator: 'indicators/mean-days', compute: (ctx) => ind.meanDays(ctx, 'municipality') },
  { indicator: 'indicators/goal-fulfilment', compute: (ctx) => ind.goalFulfilment(ctx, 'municipality') },
  { indicator: 'indicators/per-1000', compute: (ctx) => ind.perThousand(ctx) },
  { indicator: 'indicators/occupied-beds', compute: (ctx) => ind.occupiedBeds(ctx, 'municipality') },
  { indicator: 'indicators/variation', compute: (ctx) => ind.variation(ctx) },
  { indicator: 'track-colours', compute: (ctx) => ind.trackColours(ctx) },
  { indicator: 'readmissions', compute: (ctx) => ind.readmissions(ctx, 'municipality') },
  { indicator: 'delay-reasons', compute: (ctx) => ind.delayReasons(ctx, 'none') },
  { indicator: 'payment', compute: (ctx, month) => ind.payment(ctx, month) },
];

/** The regions with episodes in a database (each region's figures are compared under its own scope, as its token reads them). */
export async function regionsIn(client: ClickHouseClient, db: string): Promise<string[]> {
  const rows = await (await client.query({ query: `SELECT DISTINCT region FROM ${db}.episode_facts WHERE region != '' ORDER BY region`, format: 'JSONEachRow' })).json<{ region: string }>();
  return rows.map((r) => r.region);
}

/** The cells of one indicator of one region and month (`month` 'nu': the waiting figures as of now). */
async function cellsOf(src: CellSource, region: string, month: InvoiceMonth | 'nu', m: (typeof MONTHLY)[number] | null, today: number): Promise<Cell[]> {
  const scope = { kind: 'region' as const, region };
  const ctxOf = (fromDay: number, toDay: number): ind.Ctx => ({
    client: src.client, db: src.db, scope, today, rules: src.rules, agreements: src.agreements, population: src.population,
    filters: parseFilters(new URLSearchParams(), { fromDay, toDay }),
  });
  if (month === 'nu' || !m) return rowsToCells('waiting', region, 'nu', (await ind.waiting(ctxOf(today, today), 'municipality')).rows, src.smallCellMin);
  return rowsToCells(m.indicator, region, month.label, (await m.compute(ctxOf(month.fromDay, Math.min(month.toDay, today)), month)).rows, src.smallCellMin);
}

/**
 * Both sides' cells, indicator by indicator in step: each region's month of an indicator is read
 * on both sides at the same moment (side by side), so events arriving meanwhile reach both reads
 * alike rather than only the side read later.
 */
export async function indicatorCells(sides: readonly [CellSource, CellSource], regions: readonly string[], months: readonly InvoiceMonth[], today: number): Promise<[Cell[], Cell[]]> {
  const out: [Cell[], Cell[]] = [[], []];
  const both = async (region: string, month: InvoiceMonth | 'nu', m: (typeof MONTHLY)[number] | null) => {
    const [a, b] = await Promise.all(sides.map((side) => cellsOf(side, region, month, m, today)));
    out[0].push(...a!);
    out[1].push(...b!);
  };
  for (const region of regions) {
    for (const month of months) {
      if (month.fromDay > today) continue;
      for (const m of MONTHLY) await both(region, month, m);
    }
    await both(region, 'nu', null);
  }
  return out;
}
