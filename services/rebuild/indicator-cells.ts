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

/** The cells of every indicator for each region and month, and the waiting figures as of now. */
export async function indicatorCells(src: CellSource, regions: readonly string[], months: readonly InvoiceMonth[], today: number): Promise<Cell[]> {
  const cells: Cell[] = [];
  for (const region of regions) {
    const scope = { kind: 'region' as const, region };
    const ctxOf = (fromDay: number, toDay: number): ind.Ctx => ({
      client: src.client, db: src.db, scope, today, rules: src.rules, agreements: src.agreements, population: src.population,
      filters: parseFilters(new URLSearchParams(), { fromDay, toDay }),
    });
    for (const month of months) {
      if (month.fromDay > today) continue;
      const ctx = ctxOf(month.fromDay, Math.min(month.toDay, today));
      for (const m of MONTHLY) cells.push(...rowsToCells(m.indicator, region, month.label, (await m.compute(ctx, month)).rows, src.smallCellMin));
    }
    cells.push(...rowsToCells('waiting', region, 'nu', (await ind.waiting(ctxOf(today, today), 'municipality')).rows, src.smallCellMin));
  }
  return cells;
}
