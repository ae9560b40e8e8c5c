import { loadConfig } from '../core/config.ts';
import { UtklarError } from '../core/errors.ts';
import { epochDay } from '../core/stockholm-time.ts';
import { backtest, backtestTable } from '../forecast/backtest.ts';
import { readHistory } from '../forecast/forecast-read.ts';
import { MODEL_DEFAULTS } from '../forecast/readiness-model.ts';
import { openClickHouse } from '../sink-clickhouse/clickhouse.ts';
import { num, parse } from './args.ts';

export const FORECAST_USAGE = `  utklar forecast --backtest --from 2026-01 --to 2026-06 [--region 18] [--days 7] [--window 90] [--min-at-risk 20] [--format table|json]
      Replay the forecast (GET /api/v1/forecast) over the stored history: each day of the period
      forecast at its midnight from what was known then, scored per recipient municipality and day
      against what happened and against last week's same day (mean absolute error, band coverage).
      Reads ClickHouse directly: with embedded chDB, not while the pipeline runs.`;

const LOOKBACK_DAYS = 60;

function monthDay(v: unknown, name: string, end: boolean): number {
  const m = typeof v === 'string' ? /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(v) : null;
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) throw new UtklarError('CONFIG', `--${name}: expected YYYY-MM or YYYY-MM-DD`);
  const [year, month] = [Number(m[1]), Number(m[2])];
  if (m[3]) return epochDay({ year, month, day: Number(m[3]) });
  return end ? epochDay({ year: month === 12 ? year + 1 : year, month: month === 12 ? 1 : month + 1, day: 1 }) - 1 : epochDay({ year, month, day: 1 });
}

export async function forecastCommand(argv: string[]): Promise<number> {
  const a = parse(argv, {
    backtest: { type: 'boolean', default: false }, from: { type: 'string' }, to: { type: 'string' }, region: { type: 'string', default: '18' },
    days: { type: 'string', default: '7' }, window: { type: 'string', default: String(MODEL_DEFAULTS.windowDays) },
    'min-at-risk': { type: 'string', default: String(MODEL_DEFAULTS.minAtRisk) }, format: { type: 'string', default: 'table' },
  });
  if (!a.backtest) throw new UtklarError('CONFIG', 'utklar forecast: only --backtest is a command; the live forecast is GET /api/v1/forecast');
  if (a.format !== 'table' && a.format !== 'json') throw new UtklarError('CONFIG', `--format: expected table or json, got '${String(a.format)}'`);
  const [fromDay, toDay] = [monthDay(a.from, 'from', false), monthDay(a.to, 'to', true)];
  if (toDay < fromDay) throw new UtklarError('CONFIG', '--to lies before --from');
  const region = String(a.region);
  const model = { windowDays: num(a.window, 'window'), minAtRisk: num(a['min-at-risk'], 'min-at-risk') };
  const days = num(a.days, 'days');
  const config = loadConfig();
  const { client } = await openClickHouse(config);
  try {
    const started = Date.now();
    const history = await readHistory(client, config.clickhouseDatabase, { admittedFrom: fromDay - model.windowDays - LOOKBACK_DAYS, regions: [region] });
    const lastReady = history.reduce((m, e) => Math.max(m, e.readyDay ?? -1), -1);
    if (lastReady < toDay + days - 1) {
      process.stderr.write(`utklar forecast: warning: the stored history's last ready notice is on epoch day ${lastReady}, before the last day scored (${toDay + days - 1}): the days after it count as 0 ready\n`);
    }
    const result = backtest(history, { fromDay, toDay, days, model, select: (e) => e.region === region });
    const seconds = (Date.now() - started) / 1000;
    if (a.format === 'json') process.stdout.write(`${JSON.stringify({ region, stays: history.length, seconds, ...result })}\n`);
    else process.stdout.write(`Region ${region}, ${history.length} stays read from ${config.clickhouseDatabase}, ${seconds.toFixed(1)} s\n${backtestTable(result)}\n`);
    return 0;
  } finally {
    await client.close();
  }
}
