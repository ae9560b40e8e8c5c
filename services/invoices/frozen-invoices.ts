import { createHash, randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import type { AgreementSet } from '../agreements/agreement-set.ts';
import { UtklarError } from '../core/errors.ts';
import { int, str } from '../indicators/sql.ts';
import { QUERY_SETTINGS } from '../snapshot/read-model.ts';
import type { InvoiceBasis } from './invoice-basis.ts';

/** Who froze a month's basis, when, under which agreements, and the hash of what was frozen. */
export interface Freeze {
  frozenAt: string;
  frozenBy: string;
  agreements: string[];
  agreementsHash: string;
  contentHash: string;
}

export interface FrozenInvoice {
  freeze: Freeze;
  /** Exactly as frozen: `canonical(basis)` is the stored text byte for byte. */
  basis: InvoiceBasis;
}

/** The basis as stored and hashed. Its key order is the order the basis is built in, and JSON.parse keeps it. */
export const canonical = (b: InvoiceBasis): string => JSON.stringify(b);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
/** YYYY-MM as the table keeps it. */
const monthNumber = (month: string) => Number(month.replace('-', ''));

async function select(client: ClickHouseClient, query: string): Promise<Record<string, unknown>[]> {
  try {
    return await (await client.query({ query, format: 'JSONEachRow', clickhouse_settings: QUERY_SETTINGS })).json<Record<string, unknown>>();
  } catch (cause) {
    throw new UtklarError('DEPENDENCY_UNAVAILABLE', `clickhouse: query failed: ${(cause as Error).message}`, { retriable: true, cause });
  }
}

/** The first freeze of `region`'s `month`, the one that counts; null when the month is not frozen. */
export async function frozenInvoice(client: ClickHouseClient, db: string, region: string, month: string): Promise<(FrozenInvoice & { freezeId: string }) | null> {
  const [r] = await select(client, `SELECT freeze_id, toString(frozen_at) AS at, frozen_by, agreements, agreements_hash, content_hash, basis FROM ${db}.invoice_freezes
    WHERE region = ${str(region)} AND month = ${int(monthNumber(month))} ORDER BY frozen_at, freeze_id LIMIT 1`);
  if (!r) return null;
  const text = String(r.basis);
  // A stored basis that no longer matches its hash was changed behind the product's back: never answered as the frozen one.
  if (sha256(text) !== r.content_hash) throw new UtklarError('INTERNAL', `the frozen invoice basis of region ${region} ${month} does not match its content hash`);
  return {
    freezeId: String(r.freeze_id),
    freeze: { frozenAt: `${String(r.at).replace(' ', 'T')}Z`, frozenBy: String(r.frozen_by), agreements: r.agreements as string[], agreementsHash: String(r.agreements_hash), contentHash: String(r.content_hash) },
    basis: JSON.parse(text) as InvoiceBasis,
  };
}

/** Whether `region`'s `month` is frozen: a look at the table, without reading the basis. */
export async function isFrozen(client: ClickHouseClient, db: string, region: string, month: string): Promise<boolean> {
  const rows = await select(client, `SELECT 1 AS one FROM ${db}.invoice_freezes WHERE region = ${str(region)} AND month = ${int(monthNumber(month))} LIMIT 1`);
  return rows.length > 0;
}

/**
 * Stores `basis` as the frozen invoice basis of its region and month. A month already frozen is
 * refused (CONFLICT), and so is this freeze when another one won a race past that check.
 */
export async function freezeInvoice(client: ClickHouseClient, db: string, basis: InvoiceBasis, set: AgreementSet, by: string, now: number): Promise<Freeze> {
  const before = await frozenInvoice(client, db, basis.region, basis.month);
  if (before) throw new UtklarError('CONFLICT', `the invoice basis of region ${basis.region} for ${basis.month} was frozen ${before.freeze.frozenAt} by ${before.freeze.frozenBy} (hash ${before.freeze.contentHash}); corrections since: GET /api/v1/invoices/corrections?month=${basis.month}`);
  const text = canonical(basis);
  const ids = [...new Set(basis.rows.map((r) => r.agreement).filter((a): a is string => typeof a === 'string'))].sort();
  const terms = ids.map((id) => [id, set.agreements.find((a) => a.id === id)?.rules.payment ?? null, set.agreements.find((a) => a.id === id)?.rules.amountPerDayByYear ?? null]);
  const freezeId = randomUUID();
  const frozenAt = Math.floor(now / 1000);
  try {
    await client.insert({
      table: `${db}.invoice_freezes`, format: 'JSONEachRow',
      values: [{ region: basis.region, month: monthNumber(basis.month), freeze_id: freezeId, frozen_at: frozenAt, frozen_by: by, agreements: ids, agreements_hash: sha256(JSON.stringify(terms)), content_hash: sha256(text), basis: text }],
    });
  } catch (cause) {
    throw new UtklarError('DEPENDENCY_UNAVAILABLE', `clickhouse: storing the frozen basis failed: ${(cause as Error).message}`, { retriable: true, cause });
  }
  const first = await frozenInvoice(client, db, basis.region, basis.month);
  if (first?.freezeId !== freezeId) throw new UtklarError('CONFLICT', `the invoice basis of region ${basis.region} for ${basis.month} was frozen at the same time by ${first?.freeze.frozenBy}: that freeze counts`);
  return first.freeze;
}
