import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';
import { loadAgreementSet } from '../agreements/agreement-set.ts';
import { setVersions } from '../agreements/agreement-version.ts';
import { Pipeline } from '../app/pipeline.ts';
import { topics, type Config } from '../core/config.ts';
import { UtklarError } from '../core/errors.ts';
import type { RedisLike } from '../core/redis.ts';
import { stockholmDay } from '../core/stockholm-time.ts';
import type { PopulationTable } from '../reference/population.ts';
import { DEFAULT_SNAPSHOT_POLICY, SnapshotBuilder } from '../snapshot/snapshot-builder.ts';
import { cellCounts, diffCells, summarise } from './diff.ts';
import { indicatorCells, regionsIn, type CellSource } from './indicator-cells.ts';
import { invoiceChanges } from './invoice-changes.ts';
import { monthLabelOf, monthsBetween, parseMonth } from './months.ts';
import type { PartitionProgress, Progress } from './progress.ts';
import { ReadPointer, rulesWith } from './read-pointer.ts';
import { RebuildRecords, type RebuildDiff, type RebuildRecord } from './records.ts';
import { logRebuild } from './rebuild-log.ts';
import { replayUntilTargets, topicBounds } from './replay.ts';
import { newRebuildId, rebuildAgreements, shadowConfig, shadowDatabase, shadowNamespace } from './shadow.ts';

/** What a rebuild works with: the live configuration and clients (the CLI's). */
export interface RebuildContext {
  /** The live namespace's configuration (as `utklar run` has it). */
  config: Config;
  redis: RedisLike;
  client: ClickHouseClient;
  admin: Admin;
  population: PopulationTable;
  now: () => number;
  log: Logger;
  /** Called about once a second while events are replayed. */
  onProgress: (p: Progress) => void;
}

const UNFINISHED = new Set<RebuildRecord['status']>(['replaying', 'diffing']);

/** The events topic's partition count: the shadow's derived topics get as many (a partition's outbox publishes to its own partition). */
async function partitionCount(admin: Admin, topic: string): Promise<number> {
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  const n = meta.topics[0]?.partitions.length ?? 0;
  if (n === 0) throw new UtklarError('CONFIG', `the events topic ${topic} does not exist: nothing to rebuild from`);
  return n;
}

/** The first month with a discharge in the data the API reads now: where the diff begins unless --from says otherwise. */
async function firstMonth(client: ClickHouseClient, db: string, today: number): Promise<string> {
  const [r] = await (await client.query({ query: `SELECT min(discharged_day) AS d FROM ${db}.episode_facts WHERE discharged_day >= 0`, format: 'JSONEachRow' })).json<{ d: number | string }>();
  const d = Number(r?.d ?? 0);
  return monthLabelOf(d > 0 ? d : today);
}

/**
 * Records a new rebuild under `rulesFile` (its region's agreement replaced, every other region's
 * as live), fixing where the replay begins and ends: every event on the topic now. An unfinished
 * rebuild under the same agreements and months is returned instead (a SIGKILLed one resumes).
 */
export async function startRebuild(ctx: RebuildContext, o: { rulesFile: string; from?: string; to?: string; by: string }): Promise<{ record: RebuildRecord; resumed: boolean }> {
  const records = new RebuildRecords(ctx.redis, ctx.config.eventsNamespace);
  const live = await new ReadPointer(ctx.redis, ctx.config, rulesWith(ctx.config, ctx.config.agreements)).current();
  const agreements = rebuildAgreements(live.agreements, o.rulesFile);
  const set = loadAgreementSet(agreements, ctx.config.rules);
  const today = stockholmDay(ctx.now());
  const from = o.from ?? (await firstMonth(ctx.client, live.db, today));
  const to = o.to ?? monthLabelOf(today);
  parseMonth(from, 'from');
  monthsBetween(from, to);
  const versions = setVersions(set);
  const unfinished = (await records.list()).find((r) => UNFINISHED.has(r.status) && r.from === from && r.to === to && JSON.stringify(r.agreementVersions) === JSON.stringify(versions));
  if (unfinished) return { record: unfinished, resumed: true };
  const topic = topics(ctx.config.eventsNamespace).patientEvents;
  await partitionCount(ctx.admin, topic);
  const id = newRebuildId(ctx.now());
  const record: RebuildRecord = {
    id, status: 'replaying', agreements, agreementVersions: versions, from, to,
    namespace: shadowNamespace(ctx.config, id), database: shadowDatabase(ctx.config, id), eventsNamespace: ctx.config.eventsNamespace,
    startedBy: o.by, startedAt: new Date(ctx.now()).toISOString(), partitions: await topicBounds(ctx.admin, topic), runs: 0,
  };
  await records.put(record);
  await logRebuild(ctx.client, ctx.config.clickhouseDatabase, { at: ctx.now(), rebuildId: id, action: 'started', by: o.by, agreementVersion: versions.join(','), database: record.database, namespace: record.namespace, detail: { agreements, from, to, events: record.partitions.reduce((s, p) => s + p.target - p.start, 0) } });
  return { record, resumed: false };
}

/**
 * Runs the shadow pipeline (services/app/pipeline.ts, with the shadow's configuration) until it has
 * applied every event up to `parts`' targets and then up to the topic's end as it is by then, and
 * stored what follows from them; builds a generation of its read model; then runs `then` while the
 * pipeline goes on applying new events, so that what `then` compares or switches to is as current
 * as the live side; stopped after. Resumable at any point: its consumer group's commits, the replay
 * guards in Redis and ClickHouse's replacing tables make a replayed event a no-op (docs/data-path.md).
 */
const retrying = (ctx: RebuildContext) => (err: unknown) => ctx.log.warn({ err }, 'a look at the replay\'s progress failed; the next one tries again');

async function withShadow<T>(ctx: RebuildContext, r: RebuildRecord, parts: PartitionProgress[], progress: (p: Progress, parts: PartitionProgress[]) => void | Promise<void>, then: () => Promise<T>): Promise<T> {
  const set = loadAgreementSet(r.agreements, ctx.config.rules);
  const topic = topics(r.eventsNamespace).patientEvents;
  const shadow = shadowConfig(ctx.config, r.id, set, await partitionCount(ctx.admin, topic));
  const pipeline = new Pipeline(shadow);
  try {
    await pipeline.start();
    const reached = await replayUntilTargets({ pipeline, admin: ctx.admin, topic, groupId: `${shadow.groupPrefix}.clock`, parts, onProgress: progress, onRetry: retrying(ctx) });
    // What the live pipeline applied meanwhile too (the record's targets stay where they were
    // fixed: a resumed rebuild's replay ends where it would have).
    const ends = await topicBounds(ctx.admin, topic);
    const more = reached.map((p) => ({ ...p, target: Math.max(p.target, ends.find((e) => e.partition === p.partition)?.target ?? p.target) }));
    await replayUntilTargets({ pipeline, admin: ctx.admin, topic, groupId: `${shadow.groupPrefix}.clock`, parts: more, onProgress: progress, onRetry: retrying(ctx) });
    // A generation of the read model, so that the diff and, once promoted, the API read it as they read the live one.
    const builder = new SnapshotBuilder(ctx.client, r.database, ctx.log, null, { ...DEFAULT_SNAPSHOT_POLICY, maxDelta: 1 });
    for (let attempt = 1; ; attempt++) {
      try {
        await builder.round();
        break;
      } catch (e) {
        // A server busy merging may cancel the build's OPTIMIZE: the build is idempotent, tried again.
        if (attempt >= 3 || (e as { retriable?: boolean }).retriable !== true) throw e;
        ctx.log.warn({ err: (e as Error).message, attempt }, 'building the shadow\'s read model failed; trying again');
        await new Promise((res) => setTimeout(res, 2_000 * attempt));
      }
    }
    return await then();
  } finally {
    await pipeline.stop();
  }
}

/** The topic's partitions now, from where the rebuild began: a finished rebuild's catch-up. */
async function currentParts(ctx: RebuildContext, r: RebuildRecord): Promise<PartitionProgress[]> {
  const now = await topicBounds(ctx.admin, topics(r.eventsNamespace).patientEvents);
  return now.map((p) => ({ ...p, start: r.partitions.find((x) => x.partition === p.partition)?.start ?? p.start }));
}

/** Replays (or resumes) a rebuild to its targets, then writes its diff. */
export async function runRebuild(ctx: RebuildContext, id: string): Promise<{ record: RebuildRecord; diff: RebuildDiff }> {
  const records = new RebuildRecords(ctx.redis, ctx.config.eventsNamespace);
  let r = await records.get(id);
  if (!r) throw new UtklarError('NOT_FOUND', `no rebuild ${id}`);
  if (!UNFINISHED.has(r.status)) throw new UtklarError('CONFIG', `rebuild ${id} is ${r.status}: nothing to resume`);
  const runStarted = ctx.now();
  r = await records.update(id, { runs: r.runs + 1 });
  if (r.runs > 1) await logRebuild(ctx.client, ctx.config.clickhouseDatabase, { at: ctx.now(), rebuildId: id, action: 'resumed', by: r.startedBy, agreementVersion: r.agreementVersions.join(','), database: r.database, namespace: r.namespace, detail: { run: r.runs } });
  try {
    let saved = 0;
    const replaying = r.status === 'replaying';
    const diff = await withShadow(ctx, r, replaying ? r.partitions : await currentParts(ctx, r), async (p) => {
      ctx.onProgress(p);
      // The record says how far it got, for `--list` and the page (every few seconds, not every poll).
      if (ctx.now() - saved >= 5_000) {
        saved = ctx.now();
        await records.update(id, { progress: p });
      }
    }, async () => {
      if (replaying) r = await records.update(id, { status: 'diffing', replayedAt: new Date(ctx.now()).toISOString(), replaySeconds: (r!.replaySeconds ?? 0) + (ctx.now() - runStarted) / 1000 });
      // The shadow goes on applying new events meanwhile, as the live pipeline does: both sides move together.
      return computeDiff(ctx, r!);
    });
    await records.putDiff(diff);
    r = await records.update(id, { status: 'ready', finishedAt: new Date(ctx.now()).toISOString(), summary: diff.summary, invoiceChanges: diff.invoices.length });
    await logRebuild(ctx.client, ctx.config.clickhouseDatabase, { at: ctx.now(), rebuildId: id, action: 'finished', by: r.startedBy, agreementVersion: r.agreementVersions.join(','), database: r.database, namespace: r.namespace, detail: { changes: diff.changes.length, invoices: diff.invoices.length, replaySeconds: r.replaySeconds } });
    return { record: r, diff };
  } catch (e) {
    // Left as it was (replaying or diffing): running it again resumes. The error is kept for --list.
    await records.update(id, { error: (e as Error).message }).catch(() => undefined);
    throw e;
  }
}

/**
 * The diff: every indicator per region × municipality × month × care type, the data the API
 * reads now (the live namespace's, or the rebuild promoted last) against the rebuilt, each under
 * its own agreements; and each frozen invoice basis of the live database against the rebuilt facts.
 */
export async function computeDiff(ctx: RebuildContext, r: RebuildRecord): Promise<RebuildDiff> {
  const live = await new ReadPointer(ctx.redis, ctx.config, rulesWith(ctx.config, ctx.config.agreements)).current();
  const set = loadAgreementSet(r.agreements, ctx.config.rules);
  const old: CellSource = { client: ctx.client, db: live.db, rules: live.rules, agreements: live.agreements, population: ctx.population, smallCellMin: ctx.config.smallCellMin };
  const rebuilt: CellSource = { client: ctx.client, db: r.database, rules: rulesWith(ctx.config, set), agreements: set, population: ctx.population, smallCellMin: ctx.config.smallCellMin };
  const regions = [...new Set([...(await regionsIn(ctx.client, old.db)), ...(await regionsIn(ctx.client, rebuilt.db))])].sort();
  const months = monthsBetween(r.from, r.to);
  const today = stockholmDay(ctx.now());
  // Both sides month by month in step (and side by side: the server answers two queries about as fast as one).
  const [before, after] = await indicatorCells([old, rebuilt], regions, months, today);
  const changes = diffCells(before, after);
  const counts = cellCounts(before, after);
  return {
    id: r.id, from: r.from, to: r.to,
    agreementVersions: { old: setVersions(live.agreements), new: r.agreementVersions },
    computedAt: new Date(ctx.now()).toISOString(),
    summary: summarise(counts, changes),
    counts,
    changes,
    invoices: await invoiceChanges({ client: ctx.client, db: live.db }, rebuilt, ctx.now()),
  };
}

/**
 * Brings a finished rebuild's shadow up to the events on the topic now and runs `then` (the
 * promotion's switch) while it keeps applying new ones: no event falls between the catch-up and
 * the running pipeline's follower taking over (follow.ts).
 */
export async function withCaughtUpShadow<T>(ctx: RebuildContext, r: RebuildRecord, then: () => Promise<T>): Promise<T> {
  return withShadow(ctx, r, await currentParts(ctx, r), (p) => ctx.onProgress(p), then);
}

/**
 * Brings a side the running process left (what the promotion in force replaced: the namespace's
 * own data or an earlier rebuild) up to the events on the topic now, from its consumer group's
 * commit, and runs `then` (a rollback's switch) while it keeps applying new ones: as a promotion's
 * catch-up, so the API reads that side current from the switch on and no event falls between this
 * pipeline and the running process's taking it over (follow.ts). Applies only: no invoice
 * freezing, alerts or read-model builds (the running process's pipeline does those).
 */
export async function withCaughtUpSide<T>(ctx: RebuildContext, side: Config, then: () => Promise<T>): Promise<T> {
  const topic = topics(side.eventsNamespace).patientEvents;
  const pipeline = new Pipeline({ ...side, consumers: ['clock'], timersOnly: false, invoiceFreeze: null, alertRules: undefined, analyticsRegions: [], snapshotEveryMs: 0 });
  try {
    await pipeline.start();
    await replayUntilTargets({ pipeline, admin: ctx.admin, topic, groupId: `${side.groupPrefix}.clock`, parts: await topicBounds(ctx.admin, topic), onProgress: (p) => ctx.onProgress(p), onRetry: retrying(ctx) });
    return await then();
  } finally {
    await pipeline.stop();
  }
}
