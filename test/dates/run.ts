/**
 * `npm run test:dates`: the suites that depend on "now", run once per calendar date with every
 * Node process's clock moved to that date (test/dates/shift-clock.mjs through NODE_OPTIONS), the
 * services on real time. One line per date with vitest's summary; exit 1 if any date failed.
 *
 *   npm run test:dates                      every date below
 *   npm run test:dates -- 2027-03-28T12:00  only these (Stockholm local time; `today` = no shift)
 *   npm run test:dates -- --files test/unit  other suites than the default set
 *   npm run test:dates -- --except-today     every date but today (CI: `npm test` just ran today)
 *
 * Dates after today on purpose: Kafka's retention deletes records whose timestamps lie more than
 * its retention in the past, and the producers stamp records with the (shifted) Node clock.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { epochDay, stockholmDay, stockholmTimeOfDayMs } from '../../services/core/stockholm-time.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PRELOAD = path.join(root, 'test/dates/shift-clock.mjs');
const LOGS = path.join(root, 'test/dates/results');

// Stockholm wall times. 00:20 on 1 January: UTC is still on 31 December of the year before.
// Noon on the DST days: after the switch (a 23-hour and a 25-hour day). The evening of the
// months' last days: no run of the suites crosses midnight.
export const DATES = ['2027-01-01T00:20', '2027-01-15T12:00', '2027-03-28T12:00', '2027-03-31T21:00', '2027-10-31T12:00', '2027-12-31T21:00', 'today'];

// What reads "now" for a fixture, a default period or a rule: every unit test (cheap), and the
// integration and browser suites that build from Date.now().
export const FILES = [
  'test/unit',
  'test/integration/api-scope-matrix.test.ts',
  'test/integration/indicators.test.ts',
  'test/integration/alerting.test.ts',
  'test/integration/clock-service.test.ts',
  'test/integration/end-to-end.test.ts',
  'test/e2e/board.test.ts',
  'test/integration/forecast.test.ts',
  'test/e2e/forecast-and-access-log.test.ts',
  // The report pages default their period to this year and count days since a fixed March.
  'test/e2e/reports.test.ts',
];

/** Epoch ms of a Stockholm wall time 'YYYY-MM-DDTHH:MM' (CET or CEST, whichever holds then). */
export function stockholmInstant(local: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(local);
  if (!m) throw new Error(`date '${local}': expected YYYY-MM-DDTHH:MM (Stockholm) or 'today'`);
  const [year, month, day, hour, minute] = m.slice(1).map(Number) as [number, number, number, number, number];
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const want = (hour * 60 + minute) * 60_000;
  for (const offsetHours of [1, 2]) {
    const t = wall - offsetHours * 3_600_000;
    if (stockholmDay(t) === epochDay({ year, month, day }) && stockholmTimeOfDayMs(t) === want) return t;
  }
  throw new Error(`date '${local}': no such Stockholm wall time (inside a DST gap?)`);
}

interface Outcome {
  date: string;
  code: number;
  summary: string;
  seconds: number;
  log: string;
}

const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

/** What a process started with the preload believes the time is (proves the shift took). */
function believedNow(env: NodeJS.ProcessEnv): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(Date.now()))'], { env, encoding: 'utf8' });
  return Number(r.stdout);
}

async function runDate(date: string, files: string[]): Promise<Outcome> {
  const offset = date === 'today' ? 0 : stockholmInstant(date) - Date.now();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_OPTIONS: [process.env.NODE_OPTIONS, `--import ${PRELOAD}`].filter(Boolean).join(' '),
    UTKLAR_CLOCK_OFFSET_MS: String(offset),
    UTKLAR_KEEP_STACK: '1',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
  };
  const seen = believedNow(env);
  if (Math.abs(seen - (Date.now() + offset)) > 60_000) throw new Error(`the clock preload did not take: a child process believes ${new Date(seen).toISOString()}`);
  const log = path.join(LOGS, `${date.replace(/:/g, '')}.log`);
  const out = createWriteStream(log);
  const started = Date.now();
  let text = '';
  const code = await new Promise<number>((resolve) => {
    const child = spawn(path.join(root, 'node_modules/.bin/vitest'), ['run', ...files], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const take = (d: Buffer) => {
      out.write(d);
      text += d.toString();
      if (text.length > 4_000_000) text = text.slice(-2_000_000);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('close', (c) => resolve(c ?? 1));
  });
  out.end();
  const plain = strip(text);
  const pick = (label: string) => new RegExp(`^\\s*${label}\\s+(.+)$`, 'm').exec(plain)?.[1]?.trim() ?? '?';
  const summary = `files ${pick('Test Files')} · tests ${pick('Tests')}`;
  return { date, code, summary, seconds: Math.round((Date.now() - started) / 1000), log: path.relative(root, log) };
}

async function main(): Promise<void> {
  const exceptToday = process.argv.includes('--except-today');
  const args = process.argv.slice(2).filter((a) => a !== '--except-today');
  const filesAt = args.indexOf('--files');
  const files = filesAt >= 0 ? args.slice(filesAt + 1) : FILES;
  const asked = filesAt >= 0 ? args.slice(0, filesAt) : args;
  const dates = (asked.length > 0 ? asked : DATES).filter((d) => !(exceptToday && d === 'today'));
  for (const d of dates) if (d !== 'today') stockholmInstant(d);
  mkdirSync(LOGS, { recursive: true });

  // One stack for every date (the suites' global setup finds it running and leaves it up).
  const stack = (...a: string[]) => spawnSync('bash', [path.join(root, 'infra/stack.sh'), ...a], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const services = ['kafka', 'registry', 'redis', 'clickhouse'];
  const wasRunning = stack('status', ...services).status === 0;
  const up = stack('up', ...services);
  if (up.status !== 0) throw new Error(`infra/stack.sh up failed:\n${up.stdout}\n${up.stderr}`);

  const outcomes: Outcome[] = [];
  try {
    for (const date of dates) {
      const o = await runDate(date, files);
      outcomes.push(o);
      process.stdout.write(`${o.code === 0 ? 'PASS' : 'FAIL'}  ${date.padEnd(16)}  ${o.summary}  (${o.seconds} s, ${o.log})\n`);
    }
  } finally {
    if (!wasRunning && process.env.UTKLAR_KEEP_STACK !== '1') stack('down', ...services);
  }
  const failed = outcomes.filter((o) => o.code !== 0);
  process.stdout.write(`${failed.length === 0 ? 'all dates passed' : `${failed.length} of ${outcomes.length} dates failed: ${failed.map((o) => o.date).join(', ')}`}\n`);
  process.exit(failed.length === 0 ? 0 : 1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    process.stderr.write(`test:dates: ${(e as Error).message}\n`);
    process.exit(2);
  });
}
