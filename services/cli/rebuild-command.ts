import { userInfo } from 'node:os';
import path from 'node:path';
import { loadConfig, parseEventsPerSecond, repoRoot } from '../core/config.ts';
import { UtklarError } from '../core/errors.ts';
import { logger, rootLogger } from '../core/log.ts';
import { connectRedis } from '../core/redis.ts';
import { createKafka } from '../kafka/client.ts';
import { loadPopulation } from '../reference/population.ts';
import { migrate, openClickHouse } from '../sink-clickhouse/clickhouse.ts';
import { keepHours, discard, dropExpired, promote, PROMOTABLE, rollback, rollbackTarget } from '../rebuild/promotion.ts';
import { promotedConfig } from '../rebuild/follow.ts';
import { progressLine, type Progress } from '../rebuild/progress.ts';
import { runRebuild, startRebuild, withCaughtUpShadow, withCaughtUpSide, type RebuildContext } from '../rebuild/rebuild.ts';
import { RebuildRecords } from '../rebuild/records.ts';
import { changesCsv, summaryText, writeReport } from '../rebuild/report.ts';
import { parse } from './args.ts';

export const REBUILD_USAGE = `  utklar rebuild --rules FILE [--from 2024-01] [--to 2026-12] [--by NAME] [--out DIR] [--max-rate N]
      Replay the events topic into a shadow namespace (own consumer group, Redis prefix and
      ClickHouse database) under the agreement FILE (its region's agreement replaced, every other
      as live), with progress (events/s, ETA), while the live pipeline serves; then write the diff
      of every indicator per municipality × month × care type and of every frozen invoice basis
      it would change (diff.json, changes.csv, invoices.csv, summary.txt in --out, default
      infra/.data/rebuilds/<id>/; the page Ändringar). Needs a ClickHouse server. Run again (or
      --resume ID) after a crash: it goes on where it was. --max-rate: at most N events a second
      (default UTKLAR_MAX_EVENTS_PER_S, unset: as fast as it goes), to keep the live side fresh.
  utklar rebuild --list | --diff ID [--format text|json|csv] | --resume ID
  utklar rebuild --promote ID [--by NAME]
      Switch the API to the rebuild atomically (caught up first), recorded with who, when and
      the agreement versions; what it replaces is kept UTKLAR_REBUILD_KEEP_HOURS (default 168).
  utklar rebuild --rollback [--by NAME]
      Undo the promotion in force while what it replaced is kept: that side is caught up with the
      events, the API switched back to it atomically, recorded with who and when. Refused when
      there is nothing to roll back to or its keeping time has passed.
  utklar rebuild --discard ID [--by NAME]
      Drop a rebuild that is not what the API reads.`;

/** `utklar rebuild`: 0 done; 1 on failure (a rebuild left unfinished resumes when run again). */
export async function rebuildCommand(argv: string[]): Promise<number> {
  const a = parse(argv, {
    rules: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, by: { type: 'string' }, out: { type: 'string' },
    resume: { type: 'string' }, list: { type: 'boolean', default: false }, diff: { type: 'string' }, format: { type: 'string', default: 'text' },
    promote: { type: 'string' }, discard: { type: 'string' }, rollback: { type: 'boolean', default: false }, 'max-rate': { type: 'string' },
  });
  const actions = ['rules', 'resume', 'list', 'diff', 'promote', 'rollback', 'discard'].filter((k) => a[k] !== undefined && a[k] !== false);
  if (actions.length !== 1) throw new UtklarError('CONFIG', 'give one of --rules FILE, --resume ID, --list, --diff ID, --promote ID, --rollback, --discard ID');
  // The shadow pipeline's info lines would bury the progress bar; LOG_LEVEL still says otherwise.
  if (!process.env.LOG_LEVEL) rootLogger.level = 'warn';
  const live = loadConfig();
  // The shadow pipeline takes the live configuration, the ceiling with it: --max-rate replaces it for this run.
  const config = a['max-rate'] === undefined ? live : { ...live, maxEventsPerSecond: parseEventsPerSecond(String(a['max-rate']), '--max-rate') };
  if (!config.clickhouseUrl && (a.rules !== undefined || a.resume !== undefined || a.promote !== undefined || a.rollback === true)) {
    throw new UtklarError('CONFIG', 'a rebuild needs a ClickHouse server (CLICKHOUSE_URL): embedded chDB binds its data to the one process running the pipeline');
  }
  const by = typeof a.by === 'string' ? a.by : userInfo().username;
  const redis = connectRedis(config);
  // Its statements build (a generation of the shadow's read model, the diff's queries over every side): the build client's long timeout.
  const { client } = await openClickHouse(config, { building: true });
  const kafka = createKafka(config, `${config.namespace}-rebuild`);
  const admin = kafka.admin();
  const out = (v: unknown) => process.stdout.write(`${JSON.stringify(v)}\n`);
  try {
    await admin.connect();
    await migrate(client, config.clickhouseDatabase);
    const records = new RebuildRecords(redis, config.eventsNamespace);
    const ctx: RebuildContext = { config, redis, client, admin, population: loadPopulation(config.populationDir), now: Date.now, log: logger('rebuild'), onProgress: progressPrinter() };
    const deps = { config, redis, client, admin, now: Date.now };
    if (a.list) {
      await dropExpired(deps);
      const active = await records.active();
      for (const r of await records.list()) out({ id: r.id, status: r.status, active: active?.id === r.id, agreements: r.agreementVersions, from: r.from, to: r.to, startedAt: r.startedAt, startedBy: r.startedBy, runs: r.runs, replaySeconds: r.replaySeconds, progress: r.progress, changes: r.summary?.reduce((s, x) => s + x.changed, 0), invoiceChanges: r.invoiceChanges, promotedAt: r.promotedAt, promotedBy: r.promotedBy, rolledBackAt: r.rolledBackAt, rolledBackBy: r.rolledBackBy, error: r.error });
      return 0;
    }
    if (typeof a.diff === 'string') {
      const d = await records.diff(a.diff);
      if (!d) throw new UtklarError('NOT_FOUND', `no diff for rebuild ${a.diff} (not finished, or discarded)`);
      process.stdout.write(a.format === 'json' ? `${JSON.stringify(d, null, 2)}\n` : a.format === 'csv' ? changesCsv(d.changes, config.smallCellMin) : summaryText(d));
      return 0;
    }
    if (typeof a.promote === 'string') {
      const r = await records.get(a.promote);
      if (!r) throw new UtklarError('NOT_FOUND', `no rebuild ${a.promote}`);
      if (!PROMOTABLE.has(r.status)) throw new UtklarError('CONFIG', `rebuild ${r.id} is ${r.status}: only a finished rebuild (ready, or rolled back) can be promoted`);
      process.stderr.write(`catching up with the events since the rebuild finished\n`);
      const active = await withCaughtUpShadow(ctx, r, () => promote(deps, r.id, by, keepHours()));
      out({ promoted: active.id, database: active.database, agreementVersions: active.agreementVersions, promotedAt: active.promotedAt, promotedBy: active.promotedBy, previous: active.previous });
      return 0;
    }
    if (a.rollback) {
      // Refused before any work when there is nothing to go back to.
      const { active, previous } = await rollbackTarget(deps);
      const side = previous.id === null ? config : promotedConfig(config, { namespace: previous.namespace, database: previous.database, agreements: previous.agreements ?? '' });
      process.stderr.write(`catching up ${previous.id === null ? 'the namespace\'s own data' : `rebuild ${previous.id}`} with the events since the promotion of ${active.id}\n`);
      out(await withCaughtUpSide(ctx, side, () => rollback(deps, by, keepHours())));
      return 0;
    }
    if (typeof a.discard === 'string') {
      const r = await discard(deps, a.discard, by);
      out({ discarded: r.id, database: r.database, namespace: r.namespace });
      return 0;
    }
    let id: string;
    if (typeof a.resume === 'string') {
      id = a.resume;
      out({ rebuild: id, resumed: true });
    } else {
      const { record, resumed } = await startRebuild(ctx, { rulesFile: path.resolve(String(a.rules)), from: a.from as string | undefined, to: a.to as string | undefined, by });
      id = record.id;
      out({ rebuild: id, resumed, namespace: record.namespace, database: record.database, agreements: record.agreementVersions, from: record.from, to: record.to, events: record.partitions.reduce((s, p) => s + p.target - p.start, 0) });
    }
    const { record, diff } = await runRebuild(ctx, id);
    const dir = typeof a.out === 'string' ? a.out : path.join(repoRoot, 'infra/.data/rebuilds', id);
    const files = writeReport(dir, diff);
    process.stderr.write(`\n${summaryText(diff)}`);
    out({ rebuild: id, status: record.status, replaySeconds: record.replaySeconds, runs: record.runs, changes: diff.changes.length, invoices: diff.invoices.length, files, summary: diff.summary.map((s) => s.line) });
    return 0;
  } finally {
    await admin.disconnect().catch(() => undefined);
    await client.close().catch(() => undefined);
    redis.disconnect();
  }
}

/** A bar redrawn in place on a terminal; a line every five seconds otherwise (a log, a CI run; UTKLAR_REBUILD_PROGRESS_MS). */
function progressPrinter(): (p: Progress) => void {
  let printed = 0;
  const every = Number(process.env.UTKLAR_REBUILD_PROGRESS_MS ?? '5000');
  return (p) => {
    if (process.stderr.isTTY) process.stderr.write(`\r${progressLine(p)}`);
    else if (Date.now() - printed >= every) {
      printed = Date.now();
      process.stderr.write(`${progressLine(p)}\n`);
    }
  };
}
