import { userInfo } from 'node:os';
import { INVOICE_ROUTES } from '../api/invoice-routes.ts';
import { monthOf } from '../api/routes.ts';
import { LAW_DEFAULTS, OREBRO_RULES } from '../clock/rules.ts';
import { regionalRules } from '../agreements/regional-rules.ts';
import { loadConfig } from '../core/config.ts';
import { UtklarError } from '../core/errors.ts';
import { stockholmDay } from '../core/stockholm-time.ts';
import { freezeInvoice } from '../invoices/frozen-invoices.ts';
import { liveInvoice } from '../invoices/invoice-read.ts';
import { loadPopulation } from '../reference/population.ts';
import { migrate, openClickHouse } from '../sink-clickhouse/clickhouse.ts';
import { parse } from './args.ts';

export const INVOICE_USAGE = `  utklar invoice --month 2026-11 --region 18 [--format json|csv] [--table lines|specification] [--decimal point|comma]
      The month's invoice basis of the region, as GET /api/v1/invoices answers it (the frozen
      basis once frozen). Reads ClickHouse directly: with embedded chDB, not while the pipeline runs.
  utklar invoice --freeze --month 2026-11 --region 18 [--by NAME]
      Freeze the month's basis in ClickHouse (agreement versions, content hash, when, who: --by or
      the login name). Exit 3 when the month is already frozen.`;

/** `utklar invoice`: 0 done, 3 the month was already frozen. */
export async function invoice(argv: string[]): Promise<number> {
  const a = parse(argv, {
    month: { type: 'string' }, region: { type: 'string' }, format: { type: 'string', default: 'json' }, table: { type: 'string', default: 'lines' },
    decimal: { type: 'string', default: 'point' }, freeze: { type: 'boolean', default: false }, by: { type: 'string' },
  });
  if (typeof a.month !== 'string' || typeof a.region !== 'string') throw new UtklarError('CONFIG', '--month YYYY-MM and --region NN are required');
  const config = loadConfig();
  const now = Date.now();
  const today = stockholmDay(now);
  const month = monthOf(a.month, today);
  const { client } = await openClickHouse(config);
  try {
    await migrate(client, config.clickhouseDatabase);
    const deps = { client, db: config.clickhouseDatabase, rules: regionalRules(config.rules === 'law' ? LAW_DEFAULTS : OREBRO_RULES, config.agreements), agreements: config.agreements, population: loadPopulation(config.populationDir) };
    const scope = { kind: 'region' as const, region: a.region };
    if (a.freeze) {
      const basis = await liveInvoice(deps, scope, a.region, month, today);
      try {
        const freeze = await freezeInvoice(client, deps.db, basis, config.agreements, typeof a.by === 'string' ? a.by : userInfo().username, now);
        process.stdout.write(`${JSON.stringify({ region: basis.region, month: basis.month, frozen: freeze, lines: basis.rows.length, episodes: basis.specification.length })}\n`);
        return 0;
      } catch (e) {
        if (!(e instanceof UtklarError) || e.code !== 'CONFLICT') throw e;
        process.stderr.write(`utklar: ${e.code}: ${e.message}\n`);
        return 3;
      }
    }
    const q = new URLSearchParams({ region: a.region, format: String(a.format), table: String(a.table), decimal: String(a.decimal) });
    if (a.format !== 'json' && a.format !== 'csv') throw new UtklarError('CONFIG', `--format: expected json or csv, got '${String(a.format)}'`);
    const r = await INVOICE_ROUTES.invoices!.handler(deps, scope, q, month, today, now);
    process.stdout.write(a.format === 'json' ? `${r.body}\n` : r.body);
    return 0;
  } finally {
    await client.close();
  }
}
