import type { ClickHouseClient } from '@clickhouse/client';
import { AgreementSet } from '../agreements/agreement-set.ts';
import type { RegionRules } from '../clock/rules.ts';
import { paymentEpisodes, type Ctx } from '../indicators/indicators.ts';
import type { Month } from '../indicators/payment-basis.ts';
import { parseFilters } from '../model/filters.ts';
import type { Scope } from '../model/scope.ts';
import type { PopulationTable } from '../reference/population.ts';
import type { ReadModel } from '../snapshot/read-model.ts';
import { invoiceBasis, type InvoiceBasis } from './invoice-basis.ts';

export interface InvoiceSource {
  client: ClickHouseClient;
  db: string;
  rules: RegionRules;
  agreements?: AgreementSet;
  population: PopulationTable;
  readModel?: ReadModel;
}

/**
 * The live (preliminary) invoice basis of `region`'s `month` as `scope` may see it: a region
 * all of its municipalities' lines, a municipality the lines it is liable for. Read through the
 * same read model and read point as every indicator.
 */
export async function liveInvoice(src: InvoiceSource, scope: Scope, region: string, month: Month, today: number): Promise<InvoiceBasis> {
  const agreements = src.agreements ?? AgreementSet.of(src.rules);
  // No listbox filters: an invoice is the whole month of the liable municipalities in scope.
  const filters = parseFilters(new URLSearchParams(), { fromDay: month.fromDay, toDay: month.toDay });
  const ctx: Ctx = { client: src.client, db: src.db, filters, scope, today, rules: src.rules, agreements, population: src.population, readModel: src.readModel };
  return invoiceBasis(await paymentEpisodes(ctx, month, agreements, region), agreements, month, region);
}
