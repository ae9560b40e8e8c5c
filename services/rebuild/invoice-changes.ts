import type { ClickHouseClient } from '@clickhouse/client';
import { stockholmDay } from '../core/stockholm-time.ts';
import { corrections, type Corrections } from '../invoices/corrections.ts';
import { frozenInvoice } from '../invoices/frozen-invoices.ts';
import { liveInvoice } from '../invoices/invoice-read.ts';
import { monthsBetween } from './months.ts';
import type { CellSource } from './indicator-cells.ts';

/** A frozen invoice basis the rebuild would change: what the next invoice would have to correct if it were promoted. */
export interface InvoiceChange {
  region: string;
  month: string;
  frozenAt: string;
  frozenBy: string;
  /** The agreement versions it was frozen under. */
  frozenAgreements: string[];
  /** Per liable municipality and care type whose billable days or amount change. */
  lines: Corrections['rows'];
  /** Episodes added, removed or changed in the specification (their ids are in the rebuild's JSON, not the summary). */
  episodes: Corrections['episodes'];
  billableDaysDelta: number;
  amountSekDelta: number | null;
}

/** Every (region, month) frozen in the live database. */
async function frozenMonths(client: ClickHouseClient, db: string): Promise<{ region: string; month: string }[]> {
  const rows = await (await client.query({ query: `SELECT DISTINCT region, toString(month) AS m FROM ${db}.invoice_freezes ORDER BY region, m`, format: 'JSONEachRow' })).json<{ region: string; m: string }>();
  return rows.map((r) => ({ region: r.region, month: `${r.m.slice(0, 4)}-${r.m.slice(4, 6)}` }));
}

/**
 * Each frozen basis of the live database against the same month computed from the rebuilt facts
 * under the rebuild's agreements (the corrections' own comparison, invoices/corrections.ts). An
 * episode whose only difference is the agreement's name (the same terms from a file of another
 * name) is no change.
 */
export async function invoiceChanges(live: { client: ClickHouseClient; db: string }, rebuilt: CellSource, now: number): Promise<InvoiceChange[]> {
  const out: InvoiceChange[] = [];
  for (const { region, month } of await frozenMonths(live.client, live.db)) {
    const frozen = await frozenInvoice(live.client, live.db, region, month);
    if (!frozen) continue;
    const [m] = monthsBetween(month, month);
    const basis = await liveInvoice({ ...rebuilt }, { kind: 'region', region }, region, m!, stockholmDay(now));
    const c = corrections(frozen.basis, basis);
    const episodes = c.episodes.filter((e) => e.fields.length !== 1 || e.fields[0] !== 'agreement');
    const lines = c.rows.filter((r) => r.billableDaysDelta !== 0 || r.amountSekDelta !== 0 || episodes.some((e) => e.kommun === r.kommun && e.careType === r.careType));
    if (episodes.length === 0 && lines.length === 0) continue;
    const amounts = lines.map((l) => l.amountSekDelta);
    out.push({
      region, month, frozenAt: frozen.freeze.frozenAt, frozenBy: frozen.freeze.frozenBy, frozenAgreements: frozen.freeze.agreements, lines, episodes,
      billableDaysDelta: lines.reduce((s, l) => s + l.billableDaysDelta, 0),
      amountSekDelta: amounts.some((a) => a === null) ? null : amounts.reduce<number>((s, a) => s + (a ?? 0), 0),
    });
  }
  return out;
}
