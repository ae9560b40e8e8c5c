import type { ClickHouseClient } from '@clickhouse/client';
import type { AgreementSet } from '../agreements/agreement-set.ts';
import type { RegionRules } from '../clock/rules.ts';
import { UtklarError } from '../core/errors.ts';
import { fromEpochDay } from '../core/stockholm-time.ts';
import type { Month } from '../indicators/payment-basis.ts';
import { corrections } from '../invoices/corrections.ts';
import { forMunicipality, type InvoiceBasis } from '../invoices/invoice-basis.ts';
import { correctionsCsv, linesCsv, specificationCsv, type CsvOptions } from '../invoices/invoice-csv.ts';
import { liveInvoice } from '../invoices/invoice-read.ts';
import { frozenInvoice } from '../invoices/frozen-invoices.ts';
import { scopeText, type Scope } from '../model/scope.ts';
import { countyCodes, municipalities } from '../reference/municipalities.ts';
import type { PopulationTable } from '../reference/population.ts';

interface Deps {
  client: ClickHouseClient;
  db: string;
  rules: RegionRules;
  agreements?: AgreementSet;
  population: PopulationTable;
}
interface Reply {
  status: number;
  contentType: string;
  body: string;
  /** Episodes the answer lists one by one (the specification, the corrections): what the access log records. */
  episodes: number;
}
type Handler = (deps: Deps, scope: Scope, q: URLSearchParams, month: Month, today: number, now: number) => Promise<Reply>;

const PARAMS = [
  ['month', 'YYYY-MM (default: last month)'],
  ['region', 'länskod of the invoicing region (default: the token\'s region; for a municipality token its own county\'s region)'],
  ['format', 'json (default) or csv (UTF-8 with BOM, semicolon-separated, Swedish headers)'],
  ['decimal', 'csv: point (default) or comma'],
] as const;

/** The invoice endpoints: path → parameters and answer (the OpenAPI document lists the same). */
export const INVOICE_ROUTES: Record<string, { summary: string; params: readonly (readonly [string, string])[]; handler: Handler }> = {
  invoices: {
    summary: 'Betalningsansvar, the invoice basis of a month per liable municipality and care type, with its specification per episode; the frozen basis once the month is frozen (status frozen), the live one before (preliminary)',
    params: [...PARAMS, ['table', 'csv: lines (default, per municipality and care type) or specification (per episode)']],
    handler: async (deps, scope, q, month, today, now) => {
      const { region, kommun } = invoiceScope(scope, q);
      const frozen = await frozenInvoice(deps.client, deps.db, region, monthText(month));
      const full = frozen?.basis ?? (await liveInvoice(deps, scope, region, month, today));
      const basis = kommun === null ? full : forMunicipality(full, kommun);
      if (q.get('format') === 'csv') {
        const table = q.get('table') ?? 'lines';
        if (table !== 'lines' && table !== 'specification') throw new UtklarError('INVALID_REQUEST', `table: expected lines or specification, got '${table}'`);
        return csvReply((table === 'lines' ? linesCsv : specificationCsv)(basis, csvOptions(q)), table === 'lines' ? 0 : basis.specification.length);
      }
      return json(basis.specification.length, { endpoint: 'invoices', scope: scopeText(scope), status: frozen ? 'frozen' : 'preliminary', frozen: frozen?.freeze ?? null, asOf: new Date(now).toISOString(), ...basis });
    },
  },
  'invoices/corrections': {
    summary: 'What changed since the month was frozen: episodes added, removed or with other days or amounts, the live basis against the frozen one, for the next invoice',
    params: PARAMS,
    handler: async (deps, scope, q, month, today, now) => {
      const { region, kommun } = invoiceScope(scope, q);
      const frozen = await frozenInvoice(deps.client, deps.db, region, monthText(month));
      const notes: string[] = [];
      let c = { month: monthText(month), region, episodes: [], rows: [] } as ReturnType<typeof corrections>;
      if (frozen) {
        const scoped = (b: InvoiceBasis) => (kommun === null ? b : forMunicipality(b, kommun));
        c = corrections(scoped(frozen.basis), await liveInvoice(deps, scope, region, month, today));
        notes.push(`the live basis against the one frozen ${frozen.freeze.frozenAt} by ${frozen.freeze.frozenBy}; billableDaysDelta and amountSekDelta are live minus frozen`);
      } else notes.push(`${monthText(month)} of region ${region} is not frozen: its invoice basis is preliminary and there is nothing to correct`);
      if (q.get('format') === 'csv') return csvReply(correctionsCsv(c, csvOptions(q)), c.episodes.length);
      return json(c.episodes.length, { endpoint: 'invoices/corrections', scope: scopeText(scope), frozen: frozen?.freeze ?? null, asOf: new Date(now).toISOString(), ...c, notes });
    },
  },
};

const json = (episodes: number, v: unknown): Reply => ({ status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify(v), episodes });
const csvReply = (body: string, episodes: number): Reply => ({ status: 200, contentType: 'text/csv; charset=utf-8', body, episodes });
const monthText = (m: Month) => { const d = fromEpochDay(m.fromDay); return `${d.year}-${String(d.month).padStart(2, '0')}`; };

function csvOptions(q: URLSearchParams): CsvOptions {
  const d = q.get('decimal') ?? 'point';
  if (d !== 'point' && d !== 'comma') throw new UtklarError('INVALID_REQUEST', `decimal: expected point or comma, got '${d}'`);
  return { decimal: d };
}

/**
 * Invoices are between a region and the municipalities liable for its patients: a region reads
 * its own, a municipality the lines it is liable for in any region's; nobody else reads them.
 */
export function invoiceScope(scope: Scope, q: URLSearchParams): { region: string; kommun: string | null } {
  const known = new Set(INVOICE_ROUTES.invoices!.params.map(([p]) => p));
  const unknown = [...q.keys()].filter((k) => !known.has(k));
  // The listbox filters would make a partial invoice that reads like a whole one.
  if (unknown.length > 0) throw new UtklarError('INVALID_REQUEST', `invoices take month, region, format, decimal and table only, not ${unknown.join(', ')}`);
  const asked = q.get('region');
  if (asked !== null && !countyCodes.has(asked)) throw new UtklarError('INVALID_REQUEST', `region: expected a länskod, got '${asked}'`);
  if (scope.kind === 'region') {
    if (asked !== null && asked !== scope.region) throw new UtklarError('FORBIDDEN', `scope ${scopeText(scope)} cannot read region ${asked}'s invoices`);
    return { region: scope.region, kommun: null };
  }
  if (scope.kind === 'municipality') return { region: asked ?? municipalities.get(scope.municipality)?.countyCode ?? '', kommun: scope.municipality };
  throw new UtklarError('FORBIDDEN', `scope ${scopeText(scope)} reads no invoices: they are the region's and the liable municipality's`);
}
