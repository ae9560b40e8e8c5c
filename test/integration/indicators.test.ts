import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../services/api/auth.ts';
import { OREBRO_RULES } from '../../services/clock/rules.ts';
import { parseNdjsonEvent } from '../../services/contract/ndjson-event.ts';
import { Pseudonymiser } from '../../services/contract/pseudonymise.ts';
import type { PatientEvent } from '../../services/contract/event.ts';
import { epochDay, stockholmDay } from '../../services/core/stockholm-time.ts';
import { Rng } from '../../services/simulator/rng.ts';
import * as batch from '../support/batch-indicators.ts';
import { API_SECRET, PSEUDONYM_KEY, isolatedEnv, waitFor } from '../support/env.ts';
import { PipelineProcess, runCli } from '../support/processes.ts';

type Body = { rows: Record<string, unknown>[]; notes: string[]; period: { from: string; to: string } };
const round = (v: unknown) => (typeof v === 'number' ? Math.round(v * 1e9) / 1e9 : v);
const rounded = (rows: Record<string, unknown>[]) => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)])));
const day = (y: number, m: number, d: number) => epochDay({ year: y, month: m, day: d });
const within = (d: number | null, from: number, to: number): d is number => d !== null && d >= from && d <= to;

/**
 * A seeded simulated year of Örebro län goes through the whole pipeline (Kafka → clock → changelog
 * → ClickHouse facts) with 10 % duplicates and late events; every indicator the API returns must
 * equal the batch recomputation over the same raw events (test/support/batch-indicators.ts).
 */
// A capacity feed for one ward in March 2023: 24 beds (20 from the 16th, in a later file), 2 överbeläggningar, 1 utlokaliserad a day.
const capacityDir = mkdtempSync(path.join(os.tmpdir(), 'utklar-capacity-'));
writeFileSync(path.join(capacityDir, 'capacity-2023-03.csv'), ['hospital,ward,date,beds,overcrowded,outlying', ...Array.from({ length: 31 }, (_, i) => `USO,Med 1,2023-03-${String(i + 1).padStart(2, '0')},24,2,1`)].join('\n'));
writeFileSync(path.join(capacityDir, 'capacity-2023-03-correction.csv'), ['hospital,ward,date,beds', ...Array.from({ length: 16 }, (_, i) => `USO,Med 1,2023-03-${String(i + 16).padStart(2, '0')},20`)].join('\n'));
utimesSync(path.join(capacityDir, 'capacity-2023-03-correction.csv'), new Date(), new Date(Date.now() + 60_000));

describe.each(['server', 'embedded'] as const)('indicators from the API equal a batch recomputation (ClickHouse %s)', (mode) => {
  // Snapshot generations every 2 000 versions: the answers come through several, and the versions since the last.
  const env = isolatedEnv(mode, { UTKLAR_EVICT_EVERY_MS: '0', LOG_LEVEL: 'warn', UTKLAR_CAPACITY_DIR: capacityDir, UTKLAR_SNAPSHOT_EVERY_MS: '1000', UTKLAR_SNAPSHOT_MAX_DELTA: '2000' });
  const rng = new Rng(2023);
  const region = mintToken({ kind: 'region', region: '18' }, API_SECRET, { subject: 'test', ttlSeconds: 3600 });
  let pipeline: PipelineProcess;
  let eps: batch.BatchEpisode[];
  let today: number;

  const api = async (path: string, token = region): Promise<Body> => {
    const r = await fetch(`${pipeline.url}/api/v1/${path}`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status, `${path}: ${await r.clone().text()}`).toBe(200);
    return (await r.json()) as Body;
  };

  beforeAll(async () => {
    const sim = await runCli(['simulate', '--rate', '40', '--days', '365', '--seed', '23', '--from', '2023-01-01T00:00:00+01:00'], env);
    const lines = sim.stdout.trim().split('\n');
    const pseudo = new Pseudonymiser(PSEUDONYM_KEY);
    const events: PatientEvent[] = lines.map((l, i) => parseNdjsonEvent(l, i + 1, pseudo));
    // Late: 3 % of the events that are not their episode's first arrive after everything else.
    const seen = new Set<string>();
    const onTime: string[] = [];
    const late: string[] = [];
    lines.forEach((l, i) => {
      const first = !seen.has(events[i]!.episodeId);
      seen.add(events[i]!.episodeId);
      (first || rng.next() > 0.03 ? onTime : late).push(l);
    });
    // Duplicates: 10 % of the lines are sent again.
    const dupes = lines.filter(() => rng.next() < 0.1);
    const t0 = Date.now();
    pipeline = new PipelineProcess(env);
    await pipeline.healthy();
    process.stderr.write(`indicators(${mode}): healthy after ${Date.now() - t0} ms\n`);
    for (const part of [onTime, late, dupes]) {
      const r = await runCli(['produce'], env, `${part.join('\n')}\n`);
      expect(r.code, r.stderr).toBe(0);
    }
    process.stderr.write(`indicators(${mode}): produced after ${Date.now() - t0} ms\n`);
    today = stockholmDay(Date.now());
    eps = batch.batchEpisodes(events, Date.now(), OREBRO_RULES);
    // Caught up when every episode's latest version is in: the admissions per month (one per
    // episode) and the discharged utklar days per municipality (each episode's last changes) agree.
    const expected = batch.readmissionsByMonth(eps, day(2023, 1, 1), day(2023, 12, 31));
    const meanDays = batch.meanDaysByMunicipality(eps, day(2023, 1, 1), day(2023, 12, 31));
    await waitFor('the facts to catch up', async () => {
      const got = await api('readmissions?from=2023-01&to=2023-12');
      const admissions = got.rows.length === expected.size && got.rows.every((r) => expected.get(String(r.group))?.admissions === r.admissions && expected.get(String(r.group))?.readmissions === r.readmissions);
      const mean = (await api('indicators/mean-days?from=2023-01&to=2023-12&groupBy=municipality')).rows;
      const days = mean.length === meanDays.size && mean.every((r) => meanDays.get(`${r.group}|${r.careType}`)?.days === r.days && meanDays.get(`${r.group}|${r.careType}`)?.episodes === r.episodes);
      return admissions && days ? true : undefined;
    }, 240_000).catch(() => undefined);
    process.stderr.write(`indicators(${mode}): caught up after ${Date.now() - t0} ms\n`);
  }, 400_000);

  afterAll(async () => {
    await pipeline?.stop();
  });

  it('readmissions per month: admissions, readmissions, share (and last year, empty)', async () => {
    const got = await api('readmissions?from=2023-01&to=2023-12');
    const want = [...batch.readmissionsByMonth(eps, day(2023, 1, 1), day(2023, 12, 31))].sort().map(([group, a]) => ({
      group, admissions: a.admissions, readmissions: a.readmissions ?? 0, share: (a.readmissions ?? 0) / a.admissions!, previousYearAdmissions: 0, previousYearReadmissions: 0,
    }));
    expect(want.reduce((s, r) => s + r.readmissions, 0)).toBeGreaterThan(50);
    expect(rounded(got.rows)).toEqual(rounded(want));
  });

  it('medelvårdtid som utskrivningsklar per municipality and care type, and its variation', async () => {
    const got = await api('indicators/mean-days?from=2023-01&to=2023-12&groupBy=municipality');
    const m = batch.meanDaysByMunicipality(eps, day(2023, 1, 1), day(2023, 12, 31));
    const want = [...m].map(([k, a]) => ({ group: k.split('|')[0], careType: k.split('|')[1], episodes: a.episodes, days: a.days, meanDays: a.days! / a.episodes! }))
      .sort((x, y) => x.group!.localeCompare(y.group!) || x.careType!.localeCompare(y.careType!));
    expect(want.length).toBeGreaterThan(12);
    expect(rounded(got.rows)).toEqual(rounded(want));
    const v = await api('indicators/variation?from=2023-01&to=2023-12');
    const somatic = want.filter((w) => w.careType === 'SOMATIC').map((w) => w.meanDays);
    const mean = somatic.reduce((a, b) => a + b, 0) / somatic.length;
    expect(rounded([v.rows.find((r) => r.careType === 'SOMATIC')!])[0]).toMatchObject({
      municipalities: somatic.length, min: round(Math.min(...somatic)), max: round(Math.max(...somatic)),
      stdDev: round(Math.sqrt(somatic.reduce((s, x) => s + (x - mean) ** 2, 0) / somatic.length)),
    });
  });

  it('the overview per municipality: admitted, ready notices, utklar episodes, waiting now', async () => {
    const got = await api('overview?from=2023-02&to=2023-04');
    const inPeriod = (e: batch.BatchEpisode) => e.admittedDay >= day(2023, 2, 1) && e.admittedDay <= day(2023, 4, 30);
    const kommuner = [...new Set(eps.filter((e) => inPeriod(e) || (e.s.dischargedAt === null && e.s.readyPeriods.some((p) => p.end === null))).map((e) => e.home))].sort();
    expect(got.rows.map((r) => r.group)).toEqual(kommuner);
    for (const r of got.rows) {
      const mine = eps.filter((e) => e.home === r.group);
      expect(r).toMatchObject({
        admitted: mine.filter(inPeriod).length,
        readyNotices: mine.filter((e) => inPeriod(e) && e.s.readyPeriods.length > 0).length,
        utklarEpisodes: mine.filter((e) => inPeriod(e) && e.utklarDays >= 1).length,
        waitingNow: mine.filter((e) => e.s.dischargedAt === null && e.s.readyPeriods.some((p) => p.end === null)).length,
      });
    }
  });

  it('måluppfyllelse per municipality', async () => {
    const got = await api('indicators/goal-fulfilment?from=2023-04&to=2023-09');
    const want = [...batch.goalByMunicipality(eps, day(2023, 4, 1), day(2023, 9, 30))].map(([k, a]) => ({ group: k.split('|')[0], careType: k.split('|')[1], episodes: a.episodes, sameDay: a.sameDay, share: a.sameDay! / a.episodes! }))
      .sort((x, y) => x.group!.localeCompare(y.group!) || x.careType!.localeCompare(y.careType!));
    expect(rounded(got.rows)).toEqual(rounded(want));
  });

  it('per 1 000 invånare (total population, bubble chart) and per 1 000 inv 65+, each with its year of population', async () => {
    const rates = ['daysPer1000Inv', 'episodesPer1000Inv', 'daysPer1000Inv65', 'episodesPer1000Inv65'] as const;
    const check = async (year: number) => {
      const got = await api(`indicators/per-1000?from=${year}-01&to=${year}-12`) as Body & { populations: { denominator: string; year: number | null; latestAvailable: boolean; label: string }[] };
      const want = batch.perThousand(eps, day(year, 1, 1), day(year, 12, 31), year);
      expect(got.rows.length).toBe(want.rows.size);
      for (const r of got.rows) {
        const w = want.rows.get(`${r.kommun}|${r.careType}`)!;
        const { daysPer1000Inv, episodesPer1000Inv, daysPer1000Inv65, episodesPer1000Inv65, ...exact } = w;
        expect(r).toMatchObject(exact);
        for (const [k, v] of Object.entries({ daysPer1000Inv, episodesPer1000Inv, daysPer1000Inv65, episodesPer1000Inv65 })) {
          if (v === null) expect(r[k], k).toBeNull();
          else expect(r[k] as number, k).toBeCloseTo(v, 9);
        }
      }
      expect(got.populations.map((p) => [p.denominator, p.year, p.latestAvailable])).toEqual([['total', want.totalYear, want.totalLatest], ['65+', want.pop65Year, want.pop65Latest]]);
      return got;
    };
    // 2023: the total population of 31 Dec 2023 (the period's year), 65+ of 31 Dec 2022 (the year before).
    const y2023 = await check(2023);
    expect(y2023.rows.length).toBeGreaterThan(0);
    expect(y2023.rows.every((r) => rates.every((k) => typeof r[k] === 'number') && r.populationTotalYear === 2023 && r.population65Year === 2022)).toBe(true);
    expect(y2023.notes).toContain('per 1 000 invånare (Region Örebro): denominator the total population on 31 Dec 2023 (SCB)');
    // 2026: neither 31 Dec 2026 (total) nor 31 Dec 2025 (65+) is loaded: the latest earlier years, said.
    const y2026 = await check(2026);
    expect(y2026.populations.map((p) => p.label)).toEqual(['befolkning 31 dec 2025, senaste tillgängliga', 'befolkning 65+ 31 dec 2022, senaste tillgängliga']);
    expect(y2026.notes.join(' ')).toMatch(/total population on 31 Dec 2025 \(SCB\), the latest available: 31 Dec 2026 is not loaded/);
    // 2022: 65+ would need 31 Dec 2021, which is not loaded (and 2022 is later): null, never a guess.
    const y2022 = await check(2022);
    expect(y2022.populations[1]).toMatchObject({ denominator: '65+', year: null });
    expect(y2022.rows.every((r) => r.daysPer1000Inv65 === null)).toBe(true);
  });

  it('utklar-occupied beds in a month, and the live waiting census by delay band', async () => {
    const got = await api('indicators/occupied-beds?from=2023-03&to=2023-03');
    const want = batch.bedDays(eps, day(2023, 3, 1), day(2023, 3, 31), today);
    expect(Object.fromEntries(got.rows.map((r) => [r.careType, r.bedDays]))).toEqual(Object.fromEntries(want));
    expect(got.rows.find((r) => r.careType === 'SOMATIC')!.occupiedBeds).toBeCloseTo(want.get('SOMATIC')! / 31, 9);
    const waiting = await api('waiting?groupBy=municipality');
    const w = batch.waitingByMunicipality(eps);
    expect(waiting.rows.length).toBe(w.size);
    for (const r of waiting.rows) {
      const a = w.get(String(r.group))!;
      expect(r).toMatchObject(a);
    }
  });

  it('beds occupied by utklar patients per 100 available beds, beside överbeläggningar and utlokaliserade (capacity feed)', async () => {
    const got = await api('indicators/occupied-beds?from=2023-03&to=2023-03&groupBy=ward&hospital=USO&ward=Med%201');
    const med1 = eps.filter((e) => e.s.admission!.hospital === 'USO' && e.s.admission!.ward === 'Med 1');
    const bedDays = batch.bedDays(med1, day(2023, 3, 1), day(2023, 3, 31), today);
    const available = (15 * 24 + 16 * 20) / 31;
    for (const r of got.rows) {
      expect(r.group).toBe('USO/Med 1');
      expect(r.bedDays).toBe(bedDays.get(String(r.careType)));
      expect(r.availableBeds).toBeCloseTo(available, 9);
      expect(r.per100Beds).toBeCloseTo((Number(r.bedDays) / 31 / available) * 100, 9);
      // The correction file carries no överbeläggningar for the 16th–31st: they read as 0 there.
      expect(r.overcrowded).toBeCloseTo((15 * 2) / 31, 9);
      expect(r.outlying).toBeCloseTo(15 / 31, 9);
    }
    expect(got.rows.length).toBeGreaterThan(0);
  });

  it.runIf(mode === 'server')('analytics subscribers read the documented views as a read-only ClickHouse user', async () => {
    const ch = createClient({ url: env.CLICKHOUSE_URL, username: 'analytics', password: process.env.UTKLAR_CLICKHOUSE_ANALYTICS_PASSWORD ?? 'analytics-local' });
    try {
      const [row] = await (await ch.query({ query: `SELECT count() AS n FROM ${env.CLICKHOUSE_DATABASE}.v_episode_facts WHERE discharged_month = 202305`, format: 'JSONEachRow' })).json<{ n: string }>();
      expect(Number(row!.n)).toBe(eps.filter((e) => e.dischargedDay !== null && e.dischargedDay >= day(2023, 5, 1) && e.dischargedDay <= day(2023, 5, 31)).length);
      await expect(ch.command({ query: `INSERT INTO ${env.CLICKHOUSE_DATABASE}.population VALUES ('1880', 2030, 1, 1)` })).rejects.toThrow(/readonly/i);
      await expect(ch.command({ query: `DROP TABLE ${env.CLICKHOUSE_DATABASE}.events` })).rejects.toThrow(/readonly/i);
    } finally {
      await ch.close();
    }
  });

  it('betalningsansvar for a month: the invoice basis per municipality and care type', async () => {
    const got = await api('payment?month=2023-05');
    const want = batch.paymentOrebro(eps, day(2023, 5, 1), day(2023, 5, 31));
    expect(got.rows.length).toBe(want.size);
    for (const r of got.rows) expect(rounded([r])[0]).toMatchObject(rounded([want.get(`${r.kommun}|${r.careType}`)!])[0]!);
    expect(got.period).toEqual({ from: '2023-05-01', to: '2023-05-31' });
  });

  it('spårfärg per month and the fast vårdkontakt share', async () => {
    const got = await api('track-colours?from=2023-01&to=2023-12');
    const want = batch.trackColoursByMonth(eps, day(2023, 1, 1), day(2023, 12, 31));
    const months = got.rows.filter((r) => r.month !== 'period');
    expect(months.length).toBe(12);
    const period = got.rows.find((r) => r.month === 'period')!;
    expect(period.episodes).toBe(months.reduce((s, r) => s + Number(r.episodes), 0));
    for (const r of months) {
      const { month, fastVardkontaktShare, ...counts } = r;
      expect(counts).toEqual({ fvkRequired: 0, fvkAppointed: 0, ...want.get(String(month)) });
      expect(fastVardkontaktShare).toBeCloseTo(want.get(String(month))!.fvkAppointed! / want.get(String(month))!.fvkRequired!, 9);
    }
  });

  it('a drill-down lists exactly the episodes its chart element counts (rows?counted=), as many as the indicator counts', async () => {
    const [from, to] = [day(2023, 3, 1), day(2023, 3, 31)];
    const ids = async (q: string) => (await api(`rows?from=2023-03&to=2023-03&kommun=1880&limit=10000&${q}`)).rows.map((r) => String(r.episodeId)).sort();
    const of = (list: batch.BatchEpisode[]) => list.filter((e) => e.home === '1880').map((e) => e.s.episodeId).sort();
    const discharged = eps.filter((e) => within(e.dischargedDay, from, to) && e.s.readyPeriods.length > 0);
    const admitted = eps.filter((e) => e.admittedDay >= from && e.admittedDay <= to);
    const last = (e: batch.BatchEpisode) => e.s.readyPeriods.at(-1)!;
    const fvkRequired = discharged.filter((e) => ['GREEN', 'YELLOW', 'RED'].includes(last(e).trackColour));
    const cases: [string, batch.BatchEpisode[]][] = [
      ['counted=utklar', discharged.filter((e) => e.utklarDays >= 1)],
      ['counted=ready', discharged],
      ['counted=sameDay', discharged.filter((e) => e.utklarDays === 0)],
      ['counted=fvkRequired', fvkRequired],
      ['counted=fvk', fvkRequired.filter((e) => last(e).fastVardkontaktAppointed)],
      ['counted=fvkMissing', fvkRequired.filter((e) => !last(e).fastVardkontaktAppointed)],
      ['counted=admitted', admitted],
      ['counted=admittedReady', admitted.filter((e) => e.s.readyPeriods.length > 0)],
      ['counted=admittedUtklar', admitted.filter((e) => e.utklarDays >= 1)],
      ['counted=readmission', admitted.filter((e) => e.readmission)],
      ['counted=waiting', eps.filter((e) => e.s.dischargedAt === null && e.s.readyPeriods.some((p) => p.end === null))],
      ['counted=utklar&careType=SOMATIC&party=MUNICIPALITY', discharged.filter((e) => e.utklarDays >= 1 && e.careType === 'SOMATIC' && e.s.delayReasons.some((r) => r.responsibleParty === 'MUNICIPALITY'))],
      ['counted=ready&reason=AWAITING_SIP&party=REGION', discharged.filter((e) => e.s.delayReasons.some((r) => r.reasonCode === 'AWAITING_SIP' && r.responsibleParty === 'REGION'))],
      ['counted=ready&utklarDays=2', discharged.filter((e) => e.utklarDays === 2)],
      // Belagda vårdplatser: utklar on a day of March (the day after the notice on), open ones up to today.
      ['counted=occupied', eps.filter((e) => e.s.readyPeriods.some((p) => Math.max(stockholmDay(p.start) + 1, from) <= Math.min(p.end === null ? today : stockholmDay(p.end), to)))],
      [`counted=ready&daysSinceDischarge=${today - day(2023, 3, 15)}`, discharged.filter((e) => e.dischargedDay === day(2023, 3, 15))],
    ];
    for (const [q, want] of cases) {
      expect(of(want).length, q).toBeGreaterThan(0);
      expect(await ids(q), q).toEqual(of(want));
    }
    // The mean-days point for Örebro in March counts as many as its drill-down lists.
    const mean = (await api('indicators/mean-days?from=2023-03&to=2023-03&kommun=1880&groupBy=none')).rows.reduce((s, r) => s + Number(r.episodes), 0);
    expect(mean).toBe(of(cases[0]![1]).length);
    const bad = await fetch(`${pipeline.url}/api/v1/rows?counted=everything`, { headers: { authorization: `Bearer ${region}` } });
    expect(bad.status).toBe(400);
    // The parameter is the rows' own: another endpoint refuses it.
    expect((await fetch(`${pipeline.url}/api/v1/waiting?counted=waiting`, { headers: { authorization: `Bearer ${region}` } })).status).toBe(400);
  });

  it('"Antal dagar": the episodes discharged after a ready notice per number of utklar days and per day since the discharge', async () => {
    const ready = eps.filter((e) => within(e.dischargedDay, day(2023, 1, 1), day(2023, 12, 31)) && e.s.readyPeriods.length > 0);
    const count = (keyOf: (e: batch.BatchEpisode) => string) => {
      const m = new Map<string, number>();
      for (const e of ready) m.set(keyOf(e), (m.get(keyOf(e)) ?? 0) + 1);
      return m;
    };
    const got = async (g: string) => new Map((await api(`indicators/goal-fulfilment?from=2023-01&to=2023-12&groupBy=${g}`)).rows.map((r) => [`${r.group}|${r.careType}`, r.episodes]));
    const byDays = await got('utklarDays');
    expect(byDays).toEqual(count((e) => `${e.utklarDays}|${e.careType}`));
    expect(byDays.size).toBeGreaterThan(10);
    expect(await got('daysSinceDischarge')).toEqual(count((e) => `${today - e.dischargedDay!}|${e.careType}`));
  });

  it('delay reasons per month by reason and responsible party, and per party alone, episodes and their days', async () => {
    const got = await api('delay-reasons?from=2023-01&to=2023-12');
    const want = new Map<string, { episodes: number; days: number }>();
    const add = (k: string, d: number) => { const w = want.get(k) ?? { episodes: 0, days: 0 }; w.episodes++; w.days += d; want.set(k, w); };
    for (const e of eps.filter((x) => within(x.dischargedDay, day(2023, 1, 1), day(2023, 12, 31)) && x.s.readyPeriods.length > 0)) {
      const d = new Date(e.dischargedDay! * 86_400_000);
      const month = `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
      for (const k of new Set(e.s.delayReasons.map((r) => `${r.reasonCode}|${r.responsibleParty}`))) add(`${month}|${k}`, e.utklarDays);
      for (const p of new Set(e.s.delayReasons.map((r) => r.responsibleParty))) add(`${month}|null|${p}`, e.utklarDays);
    }
    expect(want.size).toBeGreaterThan(20);
    expect(new Map(got.rows.map((r) => [`${r.group}|${r.reason}|${r.party}`, { episodes: r.episodes, days: r.days }]))).toEqual(want);
  });

  it('a municipality token reads only its own residents; bad requests get clear 4xx errors', async () => {
    const orebro = mintToken({ kind: 'municipality', municipality: '1880' }, API_SECRET, { subject: 'test', ttlSeconds: 3600 });
    const rows = await api('rows?from=2023-01&to=2023-12&limit=10000', orebro);
    expect(rows.rows.length).toBeGreaterThan(100);
    expect(new Set(rows.rows.map((r) => r.kommun))).toEqual(new Set(['1880']));
    expect(JSON.stringify(rows.rows)).not.toMatch(/patientKey|\d{8}-\d{4}/);
    const other = await fetch(`${pipeline.url}/api/v1/rows?kommun=1881`, { headers: { authorization: `Bearer ${orebro}` } });
    expect(other.status).toBe(403);
    const mean = await api('indicators/mean-days?from=2023-01&to=2023-12', orebro);
    expect(new Set(mean.rows.map((r) => r.group))).toEqual(new Set(['1880']));
    const anonymous = await fetch(`${pipeline.url}/api/v1/waiting`);
    expect(anonymous.status).toBe(401);
    const forged = await fetch(`${pipeline.url}/api/v1/waiting`, { headers: { authorization: `Bearer ${mintToken({ kind: 'region', region: '18' }, 'another-secret-that-is-long-enough-000', { subject: 'x', ttlSeconds: 60 })}` } });
    expect(forged.status).toBe(401);
    const bad = await fetch(`${pipeline.url}/api/v1/indicators/mean-days?from=2023-13`, { headers: { authorization: `Bearer ${region}` } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/^from: month 13/);
    const typo = await fetch(`${pipeline.url}/api/v1/waiting?kommune=1880`, { headers: { authorization: `Bearer ${region}` } });
    expect(typo.status).toBe(400);
    const csv = await fetch(`${pipeline.url}/api/v1/waiting?format=csv`, { headers: { authorization: `Bearer ${region}` } });
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect((await csv.text()).split('\r\n')[0]).toBe('group,waiting,paymentDays,band_0,band_1,band_2-3,band_4-6,band_7-13,band_14-20,band_21+');
    const openapi = (await (await fetch(`${pipeline.url}/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toContain('/api/v1/indicators/mean-days');
  });
});
