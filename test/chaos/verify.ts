import { isDeepStrictEqual } from 'node:util';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Redis } from 'ioredis';
import { dueTimers, outboxLength, stateKeys } from '../support/clock-redis.ts';
import type { Admin, Kafka } from 'kafkajs';
import { mintToken } from '../../services/api/auth.ts';
import { foldEpisode } from '../../services/clock/episode-state.ts';
import { OREBRO_RULES } from '../../services/clock/rules.ts';
import type { PatientEvent } from '../../services/contract/event.ts';
import { topics, type Config } from '../../services/core/config.ts';
import { consumerLag } from '../../services/kafka/lag.ts';
import * as batch from '../support/batch-indicators.ts';
import { facts } from '../../services/indicators/sql.ts';
import { currentEpisodes, readPoint } from '../../services/snapshot/read-model.ts';
import { API_SECRET, repoRoot } from '../support/env.ts';
import type { Workload } from './workload.ts';

export interface Mismatch {
  check: string;
  detail: string;
}

const round = (v: unknown) => (typeof v === 'number' ? Math.round(v * 1e9) / 1e9 : v);
const rounded = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)]));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Caught up, twice in a row: the one group on the events topic has committed everything (it
 * commits a batch once its ClickHouse rows are stored), the outbox is empty (an entry goes once
 * Kafka has it and its episode fact is stored) and no day boundary is overdue.
 */
export async function caughtUp(admin: Admin, redis: Redis, config: Config): Promise<boolean> {
  const t = topics(config.namespace);
  for (let i = 0; i < 2; i++) {
    const lags = await Promise.all([
      consumerLag(admin, `${config.groupPrefix}.clock`, t.patientEvents),
    ]);
    const outbox = await outboxLength(redis, config.namespace, config.eventPartitions);
    const overdue = await dueTimers(redis, config.namespace, Date.now() - 5_000, config.eventPartitions);
    if (lags.some((l) => l > 0) || outbox > 0 || overdue > 0) return false;
    if (i === 0) await sleep(2_000);
  }
  return true;
}

/** Every episode's clock state in Redis equals the pure fold of its events (exactly once, whatever happened). */
export async function verifyClockState(redis: Redis, config: Config, w: Workload): Promise<Mismatch[]> {
  const where = await stateKeys(redis, config.namespace);
  const byEpisode = new Map<string, PatientEvent[]>();
  const invalid = new Set(w.malformed.filter((m) => m.kind === 'semantically-invalid').map((m) => m.id));
  const all = [...w.events, ...w.items.flatMap((it) => (it.kind === 'event' && invalid.has(it.event.eventId) ? [it.event] : []))];
  for (const e of all) byEpisode.set(e.episodeId, [...(byEpisode.get(e.episodeId) ?? []), e]);
  const out: Mismatch[] = [];
  // An invalid event for an episode nobody admitted, later than the allowed lateness behind its
  // partition, is dead-lettered without being kept: such an episode may be absent.
  const mayBeAbsent = (id: string) => byEpisode.get(id)!.every((e) => invalid.has(e.eventId));
  const ids = [...byEpisode.keys()];
  let present = 0;
  for (let i = 0; i < ids.length; i += 1000) {
    const slice = ids.slice(i, i + 1000);
    const pipe = redis.pipeline();
    // An episode stored nowhere reads as missing (the key below is absent).
    for (const id of slice) pipe.hget(where.get(id) ?? `${config.namespace}:absent`, 'state');
    const rows = (await pipe.exec()) ?? [];
    slice.forEach((id, j) => {
      const raw = rows[j]?.[1];
      if (typeof raw !== 'string') return void (mayBeAbsent(id) || out.push({ check: 'clock state', detail: `${id}: missing in Redis` }));
      present++;
      const stored = (JSON.parse(raw) as { state: unknown }).state;
      const expected = JSON.parse(JSON.stringify(foldEpisode(byEpisode.get(id)!)));
      if (!isDeepStrictEqual(stored, expected)) out.push({ check: 'clock state', detail: `${id}: differs from the fold of its ${byEpisode.get(id)!.length} events: ${firstDifference(stored, expected)}` });
    });
  }
  const stored = where.size;
  if (stored !== present) out.push({ check: 'clock state', detail: `${stored} episodes in Redis, ${present} of them expected` });
  return out;
}

function firstDifference(a: unknown, b: unknown, path = ''): string {
  if (isDeepStrictEqual(a, b)) return '';
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${path}.${key}`);
      if (d) return d;
    }
  }
  return `${path}: ${JSON.stringify(a)?.slice(0, 150)} vs ${JSON.stringify(b)?.slice(0, 150)}`;
}

/** Every decodable event is in ClickHouse `events` once (FINAL), and nothing else. */
export async function verifyEventRows(ch: ClickHouseClient, db: string, w: Workload, kafka: Kafka, config: Config, explain?: (ids: string[]) => string): Promise<Mismatch[]> {
  const semantic = w.malformed.filter((m) => m.kind === 'semantically-invalid').length;
  const [row] = await (await ch.query({ query: `SELECT toString(count()) AS n, toString(uniqExact(event_id)) AS ids FROM ${db}.events FINAL`, format: 'JSONEachRow' })).json<{ n: string; ids: string }>();
  const want = w.events.length + semantic;
  if (Number(row!.n) === want && Number(row!.ids) === want) return [];
  const stored = new Set((await (await ch.query({ query: `SELECT DISTINCT event_id FROM ${db}.events`, format: 'JSONEachRow' })).json<{ event_id: string }>()).map((r) => r.event_id));
  const missing = w.events.filter((e) => !stored.has(e.eventId)).map((e) => e.eventId);
  return [{ check: 'event rows', detail: `ClickHouse has ${row!.n} rows (${row!.ids} ids), ${want} expected; ${await whereOnTopic(kafka, config, missing, explain)}` }];
}

/**
 * Where events that never reached ClickHouse are on the events topic: read committed (then a
 * consumer skipped them), only read uncommitted (their transaction was aborted or is still open),
 * or not at all (never written). Tells a lost producer transaction from a consumer's fault.
 */
async function whereOnTopic(kafka: Kafka, config: Config, missing: string[], explain?: (ids: string[]) => string): Promise<string> {
  if (missing.length === 0) return 'no valid event is missing (duplicated rows)';
  // Read uncommitted, every message's producer and every transaction marker (kafkajs keeps the
  // control records in a batch's raw messages): says whether the broker committed, aborted or
  // never ended the transaction of a message the pipeline did not see.
  const markers = new Map<string, { offset: bigint; pid: string; commit: boolean }[]>();
  const pidAt = new Map<string, string>();
  const read = async (readUncommitted: boolean) => {
    const at = new Map<string, string>();
    const consumer = kafka.consumer({ groupId: `chaos-topic-reader-${Math.random()}`, readUncommitted });
    await consumer.connect();
    await consumer.subscribe({ topic: topics(config.namespace).patientEvents, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) at.set(message.headers?.['event-id']?.toString() ?? '', `${batch.partition}@${message.offset}`);
        if (!readUncommitted) return;
        for (const raw of (batch as unknown as { rawMessages: RawMessage[] }).rawMessages) {
          const where = `${batch.partition}@${raw.offset}`;
          pidAt.set(where, String(raw.batchContext.producerId));
          if (!raw.isControlRecord || !raw.key) continue;
          const list = markers.get(String(batch.partition)) ?? [];
          list.push({ offset: BigInt(raw.offset), pid: String(raw.batchContext.producerId), commit: Buffer.from(raw.key).readInt16BE(2) === 1 });
          markers.set(String(batch.partition), list);
        }
      },
    });
    for (let i = 0, last = -1, quiet = 0; i < 600 && quiet < 30; i++, await sleep(100)) {
      quiet = at.size === last && at.size > 0 ? quiet + 1 : 0;
      last = at.size;
    }
    await consumer.disconnect();
    return at;
  };
  const committed = await read(false);
  const uncommitted = await read(true);
  /** The marker that ended the transaction of the message at `where`: the next of its producer in its partition. */
  const endOf = (where: string): string => {
    const [partition, offset] = where.split('@') as [string, string];
    const pid = pidAt.get(where);
    const marker = (markers.get(partition) ?? []).find((m) => m.pid === pid && m.offset > BigInt(offset));
    return `producer ${pid} ${marker ? `${marker.commit ? 'COMMIT' : 'ABORT'} at ${marker.offset}` : 'no marker (open)'}`;
  };
  const inCommitted = missing.filter((id) => committed.has(id));
  const onlyUncommitted = missing.filter((id) => !committed.has(id) && uncommitted.has(id));
  const absent = missing.filter((id) => !uncommitted.has(id));
  const where = (ids: string[]) => ids.slice(0, 3).map((id) => `${id} at ${uncommitted.get(id) ?? committed.get(id) ?? '-'}`).join(', ');
  return `${missing.length} valid events missing: ${inCommitted.length} readable committed (a consumer skipped them${inCommitted.length ? `: ${where(inCommitted)}` : ''}), `
    + `${onlyUncommitted.length} only uncommitted (transaction aborted or open${onlyUncommitted.length ? `: ${where(onlyUncommitted)}; ${byPartition(onlyUncommitted, uncommitted)}; ended by ${[...new Set(onlyUncommitted.map((id) => endOf(uncommitted.get(id)!)))].slice(0, 6).join(', ')}` : ''}), ${absent.length} not on the topic`
    + `${explain ? `; the feeder sent them in ${explain(missing)}` : ''}${onlyUncommitted.length ? `; ${await brokerTransactionLog()}` : ''}`;
}

interface RawMessage { offset: string; key: Buffer | null; isControlRecord?: boolean; batchContext: { producerId: string | number } }

/** Offsets per partition of messages: one stuck open transaction shows as one partition's tail, an aborted one as a range in each. */
function byPartition(ids: string[], at: Map<string, string>): string {
  const ranges = new Map<string, { n: number; min: number; max: number }>();
  for (const id of ids) {
    const [partition, offset] = at.get(id)!.split('@') as [string, string];
    const r = ranges.get(partition) ?? { n: 0, min: Infinity, max: -Infinity };
    ranges.set(partition, { n: r.n + 1, min: Math.min(r.min, Number(offset)), max: Math.max(r.max, Number(offset)) });
  }
  return `by partition ${[...ranges].sort((a, b) => Number(a[0]) - Number(b[0])).map(([p, r]) => `${p}: ${r.n} at ${r.min}–${r.max}`).join(', ')}`;
}

/** What the broker's transaction coordinator logged (infra/stack.sh keeps it at INFO): aborts on timeout, fencing, epoch bumps. */
async function brokerTransactionLog(): Promise<string> {
  const file = path.join(process.env.UTKLAR_INFRA_HOME ?? path.join(repoRoot, 'infra'), '.logs', 'kafka.log');
  const lines = (await readFile(file, 'utf8').catch(() => '')).split('\n').filter((l) => /transaction/i.test(l) && /abort|fenc|timed out|hanging|rollback/i.test(l));
  return lines.length === 0 ? `the broker's log (${file}) has no transaction aborts` : `the broker logged ${lines.length} transaction lines, the last: ${lines.slice(-4).join(' | ')}`;
}

/**
 * Every malformed message is on the dead-letter topic with its code and reason, from each
 * consumer group that reads the events (the undecodable ones) or from the clock (the invalid
 * ones); and no valid event is there.
 */
export async function verifyDeadLetters(kafka: Kafka, config: Config, w: Workload): Promise<Mismatch[]> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topics(config.namespace).deadLetter);
  await admin.disconnect();
  const total = offsets.reduce((s, p) => s + Number(p.high) - Number(p.low), 0);
  const consumer = kafka.consumer({ groupId: `chaos-dlq-reader-${Math.random()}` });
  const seen: { key: string; code: string; reason: string; consumer: string; eventId: string | null }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: topics(config.namespace).deadLetter, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const h = (name: string) => message.headers?.[name]?.toString() ?? '';
      let eventId: string | null = null;
      if (h('dlq-format') === 'json') eventId = (JSON.parse(message.value!.toString()) as { eventId: string }).eventId;
      seen.push({ key: message.key?.toString() ?? '', code: h('dlq-code'), reason: h('dlq-reason'), consumer: h('dlq-consumer'), eventId });
    },
  });
  // Offsets overcount messages (transaction markers take offsets too): read until quiet.
  for (let i = 0, last = -1, quiet = 0; i < 1200 && quiet < 30; i++, await sleep(100)) {
    quiet = seen.length === last && seen.length > 0 ? quiet + 1 : seen.length >= total ? 30 : 0;
    last = seen.length;
  }
  await consumer.disconnect();
  const out: Mismatch[] = [];
  const groups = [`${config.groupPrefix}.clock`];
  for (const m of w.malformed) {
    if (m.kind === 'semantically-invalid') {
      const e = seen.find((s) => s.eventId === m.id);
      if (!e || !e.reason) out.push({ check: 'dead letters', detail: `${m.id} (${m.kind}) is not dead-lettered with a reason` });
      continue;
    }
    for (const g of groups) {
      const e = seen.find((s) => s.key === m.id && s.consumer === g);
      if (!e || !e.code || !e.reason) out.push({ check: 'dead letters', detail: `${m.id} (${m.kind}) is not dead-lettered by ${g} with a code and reason` });
    }
  }
  // A valid event rejected on arrival (its predecessor came late, within the allowed lateness)
  // must have been withdrawn again; a malformed one never.
  const expectedIds = new Set(w.malformed.map((m) => m.id));
  const withdrawn = new Set(seen.filter((s) => s.code === 'REJECTION_WITHDRAWN').map((s) => s.eventId));
  for (const s of seen) {
    const id = s.eventId ?? s.key;
    if (s.code === 'REJECTION_WITHDRAWN' ? expectedIds.has(id) : !expectedIds.has(id) && !(s.code === 'INVALID_EVENT' && withdrawn.has(id))) {
      out.push({ check: 'dead letters', detail: `unexpected dead letter ${s.code}: ${s.reason.slice(0, 200)}` });
    }
  }
  return out;
}

/**
 * The indicators' read model went through snapshot generations during the faults, and the newest
 * plus what was stored since is every episode's latest version, each once (a corrected or
 * replayed episode not counted twice): the same set as collapsing every version.
 */
export async function verifySnapshot(ch: ClickHouseClient, db: string): Promise<Mismatch[]> {
  const one = async (query: string) => (await (await ch.query({ query, format: 'JSONEachRow' })).json<Record<string, string>>())[0]!;
  const built = await one(`SELECT toString(count()) AS builds, toString(max(episodes)) AS most FROM ${db}.episode_snapshot_generations`);
  const digest = (source: string) => one(`SELECT toString(count()) AS n, toString(sum(cityHash64(episode_id, latest_version, status, discharged_day))) AS h FROM ${source}`);
  const [current, reference] = [await digest(currentEpisodes(db, '1', await readPoint(ch, db))), await digest(facts(db))];
  const out: Mismatch[] = [];
  if (Number(built.builds) < 2 || Number(built.most) === 0) out.push({ check: 'snapshot', detail: `${built.builds} generations, the largest of ${built.most} episodes: the indicators were not read through a snapshot` });
  if (current.n !== reference.n || current.h !== reference.h) out.push({ check: 'snapshot', detail: `snapshot + since: ${current.n} episodes (digest ${current.h}); every version collapsed: ${reference.n} (digest ${reference.h})` });
  return out;
}

/** The indicators the API serves equal the batch recomputation over the valid events. */
export async function verifyIndicators(url: string, w: Workload, months: string[]): Promise<Mismatch[]> {
  const token = mintToken({ kind: 'region', region: '18' }, API_SECRET, { subject: 'chaos', ttlSeconds: 3600 });
  const api = async (path: string) => {
    const r = await fetch(`${url}/api/v1/${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
    return ((await r.json()) as { rows: Record<string, unknown>[] }).rows;
  };
  const eps = batch.batchEpisodes(w.events, Date.now(), OREBRO_RULES);
  const dayOf = (m: string, end = false) => {
    const [y, mo] = m.split('-').map(Number) as [number, number];
    return Math.round(Date.UTC(y, mo - 1 + (end ? 1 : 0), end ? 0 : 1) / 86_400_000);
  };
  const from = dayOf(months[0]!);
  const to = dayOf(months.at(-1)!, true);
  const range = `from=${months[0]}&to=${months.at(-1)}`;
  const out: Mismatch[] = [];
  const compare = (check: string, got: Record<string, unknown>[], want: Record<string, unknown>[]) => {
    const g = got.map(rounded);
    const x = want.map(rounded);
    if (!isDeepStrictEqual(g, x)) {
      const first = x.findIndex((r, i) => !isDeepStrictEqual(r, g[i]));
      out.push({ check, detail: `${g.length} rows vs ${x.length} expected; first difference at ${first}: ${JSON.stringify(g[first])} vs ${JSON.stringify(x[first])}` });
    }
  };
  const byGroup = (a: { group?: unknown; careType?: unknown }, b: { group?: unknown; careType?: unknown }) =>
    String(a.group).localeCompare(String(b.group)) || String(a.careType ?? '').localeCompare(String(b.careType ?? ''));

  compare('readmissions per month', await api(`readmissions?${range}`), [...batch.readmissionsByMonth(eps, from, to)].sort().map(([group, a]) => ({
    group, admissions: a.admissions, readmissions: a.readmissions ?? 0, share: (a.readmissions ?? 0) / a.admissions!, previousYearAdmissions: 0, previousYearReadmissions: 0,
  })));
  compare('mean days per municipality', await api(`indicators/mean-days?${range}&groupBy=municipality`), [...batch.meanDaysByMunicipality(eps, from, to)]
    .map(([k, a]) => ({ group: k.split('|')[0], careType: k.split('|')[1], episodes: a.episodes, days: a.days, meanDays: a.days! / a.episodes! })).sort(byGroup));
  compare('goal fulfilment per municipality', await api(`indicators/goal-fulfilment?${range}&groupBy=municipality`), [...batch.goalByMunicipality(eps, from, to)]
    .map(([k, a]) => ({ group: k.split('|')[0], careType: k.split('|')[1], episodes: a.episodes, sameDay: a.sameDay, share: a.sameDay! / a.episodes! })).sort(byGroup));
  // Rows that carry more columns than the recomputation (zero bands, the threshold): every
  // recomputed value must be there and equal, and no row may be missing or extra.
  const covers = (check: string, got: Record<string, unknown>[], keyOf: (r: Record<string, unknown>) => string, want: Map<string, Record<string, unknown>>) => {
    if (got.length !== want.size) out.push({ check, detail: `${got.length} rows vs ${want.size} expected` });
    for (const r of got) {
      const x = want.get(keyOf(r));
      const g = rounded(r);
      if (!x || !Object.entries(rounded(x)).every(([k, v]) => isDeepStrictEqual(g[k], v))) {
        out.push({ check, detail: `${keyOf(r)}: ${JSON.stringify(g)} vs ${JSON.stringify(x ?? null)}` });
        return;
      }
    }
  };
  covers('waiting census', await api('waiting?groupBy=municipality'), (r) => String(r.group), batch.waitingByMunicipality(eps));
  for (const m of months) covers(`payment ${m}`, await api(`payment?month=${m}`), (r) => `${r.kommun}|${r.careType}`, batch.paymentOrebro(eps, dayOf(m), dayOf(m, true)));
  const colours = await api(`track-colours?${range}`);
  const cw = batch.trackColoursByMonth(eps, from, to);
  compare('track colours per month', colours.filter((r) => r.month !== 'period').map(({ month, fastVardkontaktShare: _share, ...counts }) => ({ month, ...counts })),
    [...cw].sort(([a], [b]) => a.localeCompare(b)).map(([month, a]) => ({ month, fvkRequired: 0, fvkAppointed: 0, ...a })));
  return out;
}
