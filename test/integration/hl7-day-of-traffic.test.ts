import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Hl7Message } from '@medplum/core';
import { Hl7Client } from '@medplum/hl7';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../services/api/auth.ts';
import { foldEpisode } from '../../services/clock/episode-state.ts';
import { OREBRO_RULES } from '../../services/clock/rules.ts';
import type { PatientEvent } from '../../services/contract/event.ts';
import { parseNdjsonEvent } from '../../services/contract/ndjson-event.ts';
import { Pseudonymiser } from '../../services/contract/pseudonymise.ts';
import { epochDay } from '../../services/core/stockholm-time.ts';
import { createKafka } from '../../services/kafka/client.ts';
import { EventProducer } from '../../services/producer/event-producer.ts';
import { importNdjson } from '../../services/producer/ndjson-import.ts';
import { RegionSimulator } from '../../services/simulator/simulate.ts';
import * as batch from '../support/batch-indicators.ts';
import { stateKeys, outboxLength } from '../support/clock-redis.ts';
import { API_SECRET, configOf, testPort, isolatedEnv, PSEUDONYM_KEY, waitFor } from '../support/env.ts';
import { Hl7Process, PipelineProcess, runCli } from '../support/processes.ts';
import { simulatedRegionMapping, toSourceTraffic, withCorrections, type DayItem } from '../support/simulated-adt.ts';
import { readSourceTopics } from '../support/source-topics.ts';

/**
 * Issue #22: the EHR's part of a simulated stretch of Region Örebro län (ten days from
 * 2025-10-20, across the night the clocks go back, a fixed seed: nothing depends on today)
 * goes as ADT messages through a real `utklar hl7` to namespace B, driven by @medplum/hl7's
 * Hl7Client; the coordination system's part goes as NDJSON, as Lifecare sends it. Namespace A
 * gets every event as NDJSON through `utklar produce`. Both end in the same stored episodes, the
 * same board and the same indicators.
 *
 * What does not survive HL7, by design (asserted below on the events themselves):
 * - the event id and `source`: `hl7:<MSH-3>:<MSH-4>:<MSH-10>` and the mapping's source;
 * - a cancellation's reasonCode (A11/A13): the mapping has no field for it (EVN-4, the event
 *   reason, is not read), so it is null; nothing downstream of the events table reads it;
 * - a transfer's businessArea: NDJSON may leave it null (unchanged), an A02 always carries the
 *   one its PV1-10 maps to; for a move within a clinic the two are the same area, so the
 *   episode's state is the same.
 * The readmission report, notices, ready, withdrawals and delay reasons have no ADT form and go
 * as NDJSON in both runs (test/support/simulated-adt.ts says why).
 */
const FROM = Date.parse('2025-10-20T00:00:00+02:00');
const UNTIL = Date.parse('2025-10-30T00:00:00+01:00');
const pseudo = new Pseudonymiser(PSEUDONYM_KEY);
/** A stored event id back to the simulator's: MSH-10 is the simulator's event id. */
const simId = (id: string) => id.replace(/^hl7:[^:]+:[^:]+:/, '');

function normalised(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (key, v) => {
    if (typeof v === 'string' && v.startsWith('hl7:')) return simId(v);
    // Ids are sorted in the state: sorted again once they are the simulator's.
    if (key === 'eventIds' && Array.isArray(v)) return [...v].sort();
    return v;
  });
}

describe('a simulated stretch of ADT traffic over MLLP equals the same events through NDJSON', () => {
  const extra = { UTKLAR_EVICT_EVERY_MS: '0', LOG_LEVEL: 'info' };
  const envA = isolatedEnv('server', extra);
  const envB = isolatedEnv('server', extra);
  const [configA, configB] = [configOf(envA), configOf(envB)];
  const redis = new Redis(configA.redisUrl);
  const port = testPort();
  const token = mintToken({ kind: 'region', region: '18' }, API_SECRET, { subject: 'test', ttlSeconds: 3600 });
  const events = withCorrections([...new RegionSimulator({ seed: 25, admissionsPerDay: 30 }, FROM).eventsUntil(UNTIL)], 12, UNTIL);
  const traffic = toSourceTraffic(events);
  const parsed: PatientEvent[] = events.map((e, i) => parseNdjsonEvent(JSON.stringify(e), i + 1, pseudo));
  let pipelineA: PipelineProcess;
  let pipelineB: PipelineProcess;
  let hl7: Hl7Process;
  const acks: { code: string | undefined; text: string | undefined }[] = [];

  const api = async (p: PipelineProcess, route: string) => {
    const r = await fetch(`${p.url}/api/v1/${route}`, { headers: { authorization: `Bearer ${token}` } });
    if (r.status !== 200) throw new Error(`${route}: ${r.status} ${await r.text()}`);
    const { asOf: _asOf, ...body } = (await r.json()) as Record<string, unknown>;
    return body as { rows: Record<string, unknown>[] } & Record<string, unknown>;
  };
  const stored = async (ns: string) => {
    const out = new Map<string, { state: Record<string, unknown>; readmission: unknown }>();
    for (const [id, key] of await stateKeys(redis, ns)) out.set(id, JSON.parse((await redis.hget(key, 'state'))!));
    return out;
  };

  /**
   * Namespace B: the EHR's messages over MLLP and the rest as NDJSON, each patient's in time
   * order as in namespace A (Kafka keeps one patient's events in order). NDJSON lines are held
   * back until an ADT message for the same patient follows them, so a few transactions carry them.
   */
  async function sendB(): Promise<void> {
    const producer = new EventProducer(createKafka(configB, 'day-of-traffic-lifecare'), configB.registryUrl, configB.namespace, configB.eventPartitions);
    const client = new Hl7Client({ host: '127.0.0.1', port });
    await producer.connect();
    try {
      let held: DayItem[] = [];
      const flush = async () => {
        const lines = held.flatMap((i) => (i.kind === 'ndjson' ? [i.line] : []));
        const summary = await importNdjson(Readable.from(lines.map((l) => `${l}\n`)), pseudo, producer);
        expect(summary, 'the NDJSON part of namespace B').toMatchObject({ sent: lines.length, rejected: 0 });
        held = [];
      };
      for (const item of traffic) {
        if (item.kind === 'ndjson') {
          held.push(item);
          continue;
        }
        if (held.some((h) => h.event.personnummer === item.event.personnummer)) await flush();
        const ack = await client.sendAndWait(Hl7Message.parse(item.message), { timeoutMs: 20_000 });
        const msa = ack.getSegment('MSA');
        acks.push({ code: msa?.getField(1)?.toString(), text: `${item.controlId}: ${msa?.getField(3)?.toString() ?? ''}` });
      }
      if (held.length > 0) await flush();
    } finally {
      await client.close().catch(() => undefined);
      await producer.disconnect();
    }
  }

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'utklar-hl7-day-'));
    const mappingFile = path.join(dir, 'region.json');
    writeFileSync(mappingFile, JSON.stringify(simulatedRegionMapping(), null, 2));
    pipelineA = new PipelineProcess(envA);
    pipelineB = new PipelineProcess(envB);
    await Promise.all([pipelineA.healthy(), pipelineB.healthy()]);
    // After the pipeline: two processes creating one namespace's topics at once can see a topic
    // whose partitions are not hosted yet.
    hl7 = new Hl7Process(envB, port, port + 1, ['--mapping', mappingFile]);
    await hl7.ready();
    const t0 = Date.now();
    const [produced] = await Promise.all([runCli(['produce'], envA, `${events.map((e) => JSON.stringify(e)).join('\n')}\n`), sendB()]);
    expect(produced.code, produced.stderr).toBe(0);
    process.stderr.write(`hl7-day-of-traffic: ${traffic.filter((i) => i.kind === 'hl7').length} ADT messages and ${traffic.filter((i) => i.kind === 'ndjson').length} NDJSON lines sent in ${Date.now() - t0} ms\n`);
  }, 240_000);

  afterAll(async () => {
    await hl7?.stop();
    await Promise.all([pipelineA?.stop(), pipelineB?.stop()]);
    redis.disconnect();
  });

  it('the simulated stretch holds every kind of ADT traffic, and every message is answered AA', () => {
    const triggers = traffic.flatMap((i) => (i.kind === 'hl7' ? [i.message.split('|')[8]!.split('^')[1]] : []));
    const count = (t: string) => triggers.filter((x) => x === t).length;
    expect(count('A01')).toBeGreaterThan(250);
    for (const t of ['A02', 'A03', 'A08', 'A11', 'A13']) expect(count(t), t).toBeGreaterThan(0);
    expect(new Set(traffic.filter((i) => i.kind === 'ndjson').map((i) => i.event.type))).toEqual(new Set(['admission-notice', 'ready-for-discharge', 'ready-withdrawn', 'delay-reason', 'readmission']));
    expect(acks.length).toBe(triggers.length);
    expect(acks.filter((a) => a.code !== 'AA')).toEqual([]);
  });

  it('both event topics hold the same events, except the fields HL7 does not carry', async () => {
    const read = (config: typeof configA) => readSourceTopics(config, (e) => e.length >= events.length, 60_000);
    const [a, b] = await Promise.all([read(configA), read(configB)]);
    expect(a.dead).toEqual([]);
    expect(b.dead).toEqual([]);
    const byId = (list: PatientEvent[]) => new Map(list.map((e) => [simId(e.eventId), e]));
    const [ea, eb] = [byId(a.events), byId(b.events)];
    expect([...eb.keys()].sort()).toEqual([...ea.keys()].sort());
    expect(ea.size).toBe(events.length);
    const differences = new Set<string>();
    for (const [id, x] of ea) {
      const y = eb.get(id)!;
      const hl7 = y.eventId.startsWith('hl7:');
      expect(hl7, id).toBe(['admission', 'transfer', 'discharge', 'admission-cancelled', 'discharge-cancelled'].includes(x.type));
      if (!hl7) {
        expect(y, id).toEqual(x);
        continue;
      }
      // Everything else is compared as it came: only what is listed in the header may differ.
      const { eventId: _a, source: sa, data: da, ...restA } = x;
      const { eventId: _b, source: sb, data: db, ...restB } = y;
      expect(restB, id).toEqual(restA);
      expect([sa, sb]).toEqual(['ehr-sim', 'ehr-hl7']);
      const dataA = { ...da } as Record<string, unknown>;
      const dataB = { ...db } as Record<string, unknown>;
      if (x.type === 'admission-cancelled' || x.type === 'discharge-cancelled') {
        expect([dataA.reasonCode, dataB.reasonCode]).toEqual(['REGISTERED_IN_ERROR', null]);
        differences.add(`${x.type}.reasonCode`);
        delete dataA.reasonCode;
        delete dataB.reasonCode;
      }
      if (x.type === 'transfer' && dataA.businessArea === null) {
        expect(dataB.businessArea, id).toEqual(expect.any(String));
        differences.add('transfer.businessArea');
        delete dataA.businessArea;
        delete dataB.businessArea;
      }
      expect(dataB, id).toEqual(dataA);
    }
    expect([...differences].sort()).toEqual(['admission-cancelled.reasonCode', 'discharge-cancelled.reasonCode', 'transfer.businessArea']);
  });

  it('every stored episode is the same in both namespaces, and the one the events fold to', async () => {
    const byEpisode = new Map<string, PatientEvent[]>();
    for (const e of parsed) byEpisode.set(e.episodeId, [...(byEpisode.get(e.episodeId) ?? []), e]);
    const expected = new Map([...byEpisode].map(([id, list]) => [id, normalised(foldEpisode(list))]));
    // Caught up when each namespace holds every episode as the fold of all its events.
    const caughtUp = async (ns: string) => {
      const s = await waitFor(`${ns}: every episode folded`, async () => {
        const s = await stored(ns);
        return s.size === expected.size && [...expected].every(([id, want]) => JSON.stringify(normalised(s.get(id)?.state)) === JSON.stringify(want)) ? s : undefined;
      }, 60_000).catch(() => stored(ns));
      // Named when it never got there: the first episode that differs.
      expect([...s.keys()].sort(), ns).toEqual([...expected.keys()].sort());
      for (const [id, want] of expected) expect(normalised(s.get(id)!.state), `${ns} ${id}`).toEqual(want);
      return s;
    };
    const [a, b] = await Promise.all([caughtUp(configA.namespace), caughtUp(configB.namespace)]);
    expect(normalised(Object.fromEntries(b))).toEqual(normalised(Object.fromEntries(a)));
    const states = [...a.values()].map((s) => s.state as { status: string; readyPeriods: unknown[]; problems: string[] });
    // Not a trivially equal pair: every status, ready periods, moves and readmission links are in it.
    expect(new Set(states.map((s) => s.status))).toEqual(new Set(['ADMITTED', 'READY', 'DISCHARGED', 'CANCELLED']));
    expect(states.filter((s) => s.readyPeriods.length > 0).length).toBeGreaterThan(30);
    expect([...a.values()].filter((s) => s.readmission !== null).length).toBeGreaterThan(0);
  });

  it('the board is the same', async () => {
    const board = async (p: PipelineProcess) => {
      const r = await fetch(`${p.url}/board?region=18`, { headers: { authorization: `Bearer ${token}` } });
      expect(r.status).toBe(200);
      return ((await r.json()) as { episodes: Record<string, unknown>[] }).episodes;
    };
    const [a, b] = await Promise.all([board(pipelineA), board(pipelineB)]);
    expect(a.length).toBeGreaterThan(50);
    expect(a.some((e) => e.status === 'READY' && (e.utklarDays as number) > 0)).toBe(true);
    expect(b).toEqual(a);
  });

  it('the indicators for the period are the same, and the ones a batch recomputation gives', async () => {
    const eps = batch.batchEpisodes(parsed, Date.now(), OREBRO_RULES);
    const [from, to] = [epochDay({ year: 2025, month: 10, day: 1 }), epochDay({ year: 2025, month: 11, day: 30 })];
    const meanDays = batch.meanDaysByMunicipality(eps, from, to);
    const readmissions = batch.readmissionsByMonth(eps, from, to);
    expect(meanDays.size).toBeGreaterThan(3);
    const period = 'from=2025-10&to=2025-11';
    // The facts follow the changelog: wait until both hold the batch's answers.
    for (const p of [pipelineA, pipelineB]) {
      await waitFor('the facts to catch up', async () => {
        const mean = (await api(p, `indicators/mean-days?${period}&groupBy=municipality`)).rows;
        const readm = (await api(p, `readmissions?${period}`)).rows;
        const okMean = mean.length === meanDays.size && mean.every((r) => meanDays.get(`${r.group}|${r.careType}`)?.days === r.days && meanDays.get(`${r.group}|${r.careType}`)?.episodes === r.episodes);
        const okReadm = readm.length === readmissions.size && readm.every((r) => readmissions.get(String(r.group))?.admissions === r.admissions && (readmissions.get(String(r.group))?.readmissions ?? 0) === r.readmissions);
        return okMean && okReadm && (await outboxLength(redis, p === pipelineA ? configA.namespace : configB.namespace)) === 0 ? true : undefined;
      }, 90_000);
    }
    const routes = [
      `overview?${period}`,
      `indicators/mean-days?${period}&groupBy=ward`,
      `indicators/goal-fulfilment?${period}&groupBy=businessArea`,
      `indicators/occupied-beds?${period}&groupBy=ward`,
      `waiting?groupBy=hospital`,
      `readmissions?${period}&groupBy=indexClinic`,
      `track-colours?${period}`,
      'payment?month=2025-10',
      `rows?${period}&limit=10000`,
    ];
    for (const route of routes) {
      const [a, b] = await Promise.all([api(pipelineA, route), api(pipelineB, route)]);
      expect(b, route).toEqual(a);
    }
    const rows = (await api(pipelineA, `rows?${period}&limit=10000`)).rows;
    expect(rows.length).toBeGreaterThan(250);
    expect(new Set(rows.map((r) => r.ward)).size).toBeGreaterThan(8);
  });
});
