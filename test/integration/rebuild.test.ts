import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAgreementSet } from '../../services/agreements/agreement-set.ts';
import { agreementVersion } from '../../services/agreements/agreement-version.ts';
import { bundledFile } from '../../services/agreements/bundled.ts';
import { mintToken, type TokenScope } from '../../services/api/auth.ts';
import { withCheckDigit } from '../../services/contract/personnummer.ts';
import type { ChangedCell } from '../../services/rebuild/diff.ts';
import { API_SECRET, configOf, episodeKeyOf, GiveUp, isolatedEnv, repoRoot, waitFor } from '../support/env.ts';
import { PipelineProcess, runCli } from '../support/processes.ts';

/**
 * `utklar rebuild` on the real stack, beside a live pipeline that goes on serving: a replay under
 * the unchanged agreement changes nothing; Örebro's threshold lowered from 3,0 to 2,0 changes
 * exactly the municipality-month worked by hand below, and the frozen invoice it would change;
 * a rebuild SIGKILLed mid-replay resumes to the same diff; a promotion under load switches every
 * request at once (no answer is a mix of the two sides), is recorded, and the running pipeline
 * switches to the promoted side by itself (no event lost or applied twice, the board following);
 * a rollback switches back the same way, and is refused once nothing is kept to go back to.
 * Fixed past months, and times of now for the live board: passes on any date.
 *
 * Hand-worked (orebro.json: the month's average payment days per municipality and care type
 * against the threshold, day-0 discharges left out, all payment days billed once it is exceeded;
 * a ready notice at 14:00, after noon, makes the next day payment day 1, so an episode ready on
 * day S and discharged on day D has D − S payment days; 2023 is priced at 10 500 kr a day):
 *   March 2023, somatic:
 *     Örebro (1880):    2 + 3 = 5 days / 2 = 2,5: not above 3,0 → 0 billed; above 2,0 → 5 days, 52 500 kr   ← changes
 *     Kumla (1881):     1 + 2 = 3 days / 2 = 1,5: above neither → 0                                      ← only the threshold shown
 *     Karlskoga (1883): 4 + 4 = 8 days / 2 = 4,0: above both → 8 days, 84 000 kr                         ← only the threshold shown
 *   April 2023, Örebro: 1 + 2 = 3 days / 2 = 1,5: above neither                                          ← only the threshold shown
 * So the diff is the payment indicator alone: Örebro March's billable days 0 → 5, amount 0 → 52 500
 * and exceeded 0 → 1, and every line's threshold 3 → 2; March's frozen invoice: Örebro +5 days,
 * +52 500 kr. No other indicator counts payment days.
 */
describe('rebuild with an audited diff (server)', () => {
  const env = isolatedEnv('server', { LOG_LEVEL: 'warn', UTKLAR_REBUILD_PROGRESS_MS: '300', UTKLAR_SNAPSHOT_EVERY_MS: '2000' });
  const config = configOf(env);
  const dir = mkdtempSync(path.join(tmpdir(), 'utklar-rebuild-it-'));
  let live = new PipelineProcess(env);
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2 });
  const ch = async (sql: string) => {
    const r = await fetch(`${env.CLICKHOUSE_URL}/?default_format=JSONEachRow`, { method: 'POST', body: sql });
    const text = await r.text();
    if (!r.ok) throw new Error(text);
    return text.trim() === '' ? [] : text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  };
  const token = (scope: TokenScope, subject = 'rebuild-test') => mintToken(scope, API_SECRET, { subject, ttlSeconds: 3600 });
  const R18 = token({ kind: 'region', region: '18' });
  const api = async (route: string, auth = R18) => {
    const r = await fetch(`${live.url}/api/v1/${route}`, { headers: { authorization: `Bearer ${auth}` } });
    return { status: r.status, body: await r.text() };
  };
  const json = async <T = Record<string, unknown>>(route: string, auth = R18): Promise<T> => {
    const r = await api(route, auth);
    expect(r.status, r.body).toBe(200);
    return JSON.parse(r.body) as T;
  };
  // An episode ready now, still in hospital (open on the board): times from the run's own clock, so it holds on any date.
  const openNow = (id: string, kommun: string) => {
    const pnr = personnummer(1950);
    const common = { source: 'ehr', personnummer: pnr, episodeId: id };
    const ago = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
    return [
      { type: 'admission', eventId: `${id}-a`, occurredAt: ago(48), ...common, region: '18', hospital: 'USO', clinic: 'Medicinkliniken', ward: 'Med 2', businessArea: 'Medicin', careType: 'SOMATIC', admissionType: 'ACUTE', homeMunicipality: kommun },
      { type: 'admission-notice', eventId: `${id}-n`, occurredAt: ago(47), ...common, recipientMunicipality: kommun },
      { type: 'ready-for-discharge', eventId: `${id}-r`, occurredAt: ago(1), ...common, recipientMunicipality: kommun, trackColour: 'GREEN', fastVardkontaktAppointed: true, sipNeeded: false },
    ];
  };
  /** The board's server-sent events, read as they come (opened before a switch, read after it). */
  const boardStream = async () => {
    const abort = new AbortController();
    const r = await fetch(`${live.url}/api/v1/board/stream`, { headers: { authorization: `Bearer ${R18}` }, signal: abort.signal });
    expect(r.status).toBe(200);
    const s = { text: '', close: () => abort.abort(), shows: (id: string) => [...s.text.matchAll(/event: board\ndata: ([^\n]*)\n\n/g)].at(-1)?.[1]?.includes(`"episodeId":"${episodeKeyOf(id)}"`) === true };
    const reader = r.body!.getReader();
    const decoder = new TextDecoder();
    void (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        s.text += decoder.decode(value, { stream: true });
      }
    })().catch(() => undefined);
    return s;
  };
  // The board knows an episode by its pseudonym (the producer edge keeps the source's id).
  const onBoard = async (id: string) => (await json<{ episodes: { episodeId: string }[] }>('board')).episodes.some((e) => e.episodeId === episodeKeyOf(id));
  /**
   * The side a `payment?month=2023-03` answer was read from, by March's Örebro line and every
   * row's threshold together: the old agreement (3,0: no billable day) or the lowered one (2,0: five).
   */
  const paymentSide = (status: number, body: string): 'old' | 'new' | 'mixed' => {
    if (status !== 200) return 'mixed';
    const rows = (JSON.parse(body) as { rows: Record<string, unknown>[] }).rows;
    const ore = rows.find((r) => r.kommun === '1880');
    if (rows.every((r) => r.threshold === 3) && ore?.billableDays === 0 && ore.exceeded === false) return 'old';
    if (rows.every((r) => r.threshold === 2) && ore?.billableDays === 5 && ore.exceeded === true) return 'new';
    return 'mixed';
  };
  type SidedAnswer = { startedAt: number; side: ReturnType<typeof paymentSide>; body: string };
  /**
   * `readers` clients asking for the payment basis over and over while `during` runs and 1.5 s
   * after it (a switch's first answers); each answer with when it began and the side it shows.
   */
  const paymentAcross = async <T>(readers: number, during: () => Promise<T>): Promise<{ result: T; doneAt: number; answers: SidedAnswer[] }> => {
    const answers: SidedAnswer[] = [];
    let loading = true;
    const reader = async () => {
      while (loading) {
        const startedAt = Date.now();
        const r = await api('payment?month=2023-03');
        answers.push({ startedAt, side: paymentSide(r.status, r.body), body: r.body });
      }
    };
    const running = Array.from({ length: readers }, () => reader());
    try {
      const result = await during();
      const doneAt = Date.now();
      await new Promise((r) => setTimeout(r, 1_500));
      return { result, doneAt, answers };
    } finally {
      loading = false;
      await Promise.all(running);
    }
  };
  const databaseServed = async () => ((await (await fetch(`${live.url}/status`)).json()) as { clickhouse: { database: string } }).clickhouse.database;
  const factsOf = async (db: string, where: string) => Number((await ch(`SELECT count() AS n FROM ${db}.episode_facts WHERE ${where}`))[0]!.n);
  /** Each episode's newest version on a side: one per event applied to it, so an event lost or applied twice shows. */
  const versionsOf = async (db: string, sourceIds: string[]) => {
    const byKey = new Map(sourceIds.map((s) => [episodeKeyOf(s), s]));
    if (byKey.size === 0) return {};
    const rows = await ch(`SELECT episode_id AS e, max(version) AS v FROM ${db}.episode_facts WHERE episode_id IN (${[...byKey.keys()].map((k) => `'${k}'`).join(',')}) GROUP BY episode_id`);
    return Object.fromEntries(rows.map((r) => [byKey.get(String(r.e))!, Number(r.v)]));
  };
  /** The source ids of the episodes sent across the switch (SW-1, SW-2, …), for versionsOf. */
  const acrossSwitch: string[] = [];
  const factsOfEpisode = (db: string, sourceId: string) => factsOf(db, `episode_id = '${episodeKeyOf(sourceId)}'`);
  const source = mintToken({ kind: 'source', source: 'ehr' }, API_SECRET, { subject: 'rebuild-test', ttlSeconds: 3600 });
  const post = async (events: unknown[]) => {
    const r = await fetch(`${live.url}/api/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${source}`, 'content-type': 'application/x-ndjson' }, body: ndjson(events) });
    const body = await r.text();
    expect(r.ok, body).toBe(true);
    expect(JSON.parse(body), body).toMatchObject({ accepted: events.length, rejected: 0 });
  };
  const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').filter((l) => l.startsWith('{')).at(-1)!) as Record<string, unknown>;

  // ── the events ────────────────────────────────────────────────────────────────────────────
  let seq = 0;
  // A patient of its own per episode, born on a real date (the contract checks it) however many are sent.
  const personnummer = (year: number) => {
    const n = seq++;
    const mmdd = `${String(1 + (Math.floor(n / 28) % 12)).padStart(2, '0')}${String(1 + (n % 28)).padStart(2, '0')}`;
    return withCheckDigit(`${year + Math.floor(n / 336)}${mmdd}${String((n % 900) + 100)}`);
  };
  const offset = (day: string) => (day >= '2023-03-26' && day < '2023-10-29' ? '+02:00' : '+01:00');
  const at = (day: string, time: string) => `${day}T${time}${offset(day)}`;
  const episode = (id: string, kommun: string, ready: string, discharged: string) => {
    const pnr = personnummer(1940);
    const admitted = `${ready.slice(0, 8)}${String(Number(ready.slice(8)) - 1).padStart(2, '0')}`;
    const common = { source: 'ehr', personnummer: pnr, episodeId: id };
    return [
      { type: 'admission', eventId: `${id}-a`, occurredAt: at(admitted, '08:00:00'), ...common, region: '18', hospital: 'USO', clinic: 'Medicinkliniken', ward: 'Med 2', businessArea: 'Medicin', careType: 'SOMATIC', admissionType: 'ACUTE', homeMunicipality: kommun },
      { type: 'admission-notice', eventId: `${id}-n`, occurredAt: at(admitted, '09:00:00'), ...common, recipientMunicipality: kommun },
      { type: 'ready-for-discharge', eventId: `${id}-r`, occurredAt: at(ready, '14:00:00'), ...common, recipientMunicipality: kommun, trackColour: 'GREEN', fastVardkontaktAppointed: true, sipNeeded: false },
      { type: 'discharge', eventId: `${id}-d`, occurredAt: at(discharged, '10:00:00'), ...common, destination: 'HOME', clinic: 'Medicinkliniken', ward: 'Med 2' },
    ];
  };
  const HAND_WORKED = [
    ...episode('RB-1', '1880', '2023-03-02', '2023-03-04'), ...episode('RB-2', '1880', '2023-03-06', '2023-03-09'),
    ...episode('RB-3', '1881', '2023-03-02', '2023-03-03'), ...episode('RB-4', '1881', '2023-03-06', '2023-03-08'),
    ...episode('RB-5', '1883', '2023-03-10', '2023-03-14'), ...episode('RB-6', '1883', '2023-03-13', '2023-03-17'),
    ...episode('RB-7', '1880', '2023-04-03', '2023-04-04'), ...episode('RB-8', '1880', '2023-04-05', '2023-04-07'),
  ];
  const ndjson = (events: unknown[]) => events.map((e) => JSON.stringify(e)).join('\n') + '\n';

  // ── the agreements ────────────────────────────────────────────────────────────────────────
  const unchanged = bundledFile('orebro');
  // The same file name: the agreement's id stays `orebro.json#…`, its version (the terms' hash) changes.
  const lowered = path.join(dir, 'orebro.json');
  const orebro = JSON.parse(readFileSync(unchanged, 'utf8')) as { versions: { model: { threshold: number } }[] };
  for (const v of orebro.versions) v.model.threshold = 2.0;
  writeFileSync(lowered, JSON.stringify(orebro, null, 2));
  const versionOf = (file: string) => agreementVersion(loadAgreementSet(file, 'orebro').agreements.find((a) => a.region === '18' && a.validFrom <= 19_500 && (a.validTo === null || a.validTo >= 19_500))!);

  const rebuildArgs = (file: string, out?: string) => ['rebuild', '--rules', file, '--from', '2023-03', '--to', '2023-04', '--by', 'Analytiker Örebro', ...(out ? ['--out', out] : [])];
  const report = path.join(dir, 'threshold-report');
  let threshold: { id: string; changes: ChangedCell[] } | undefined;

  beforeAll(async () => {
    await live.healthy();
    const produced = await runCli(['produce'], env, ndjson(HAND_WORKED));
    expect(produced.code, produced.stderr).toBe(0);
    // Volume for the replay to be caught mid-way (another year, other months than those compared).
    const sim = await runCli(['simulate', '--days', '75', '--seed', '7', '--rate', '150', '--from', '2024-06-01T00:00:00Z'], env);
    writeFileSync(path.join(dir, 'sim.ndjson'), sim.stdout);
    const more = await runCli(['produce', '--file', path.join(dir, 'sim.ndjson')], env);
    expect(more.code, more.stderr.slice(-2000)).toBe(0);
    // The live pipeline has applied everything and the invoice basis shows the hand-worked March.
    await waitFor('the live pipeline applied every event', async () => {
      const p = await (await fetch(`${live.url}/status/progress`)).json() as { consumer: { consumed: number; lag: number; rowsPending: number } };
      return p.consumer.consumed >= HAND_WORKED.length + sim.stdout.trim().split('\n').length && p.consumer.lag === 0 && p.consumer.rowsPending === 0 ? true : undefined;
    }, 240_000);
    await waitFor('March 2023 as worked by hand', async () => {
      const rows = (await json<{ rows: Record<string, unknown>[] }>('payment?month=2023-03')).rows;
      return rows.length === 3 && rows.find((r) => r.kommun === '1883')?.billableDays === 8 ? true : undefined;
    }, 60_000);
    const frozen = await runCli(['invoice', '--freeze', '--month', '2023-03', '--region', '18', '--by', 'ekonomi'], env);
    expect(frozen.code, frozen.stderr).toBe(0);
  }, 420_000);

  afterAll(async () => {
    await live.stop();
    for (const r of await ch(`SELECT name FROM system.databases WHERE name LIKE '${config.clickhouseDatabase}%'`).catch(() => [])) await ch(`DROP DATABASE IF EXISTS ${String(r.name)}`).catch(() => undefined);
    for (const pattern of [`{${config.namespace}*`, `${config.namespace}*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== '0');
    }
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('the live facts carry the agreement version they were computed under', async () => {
    const rows = await ch(`SELECT DISTINCT agreement_version AS v FROM ${config.clickhouseDatabase}.episode_facts WHERE region = '18' AND discharged_month IN (202303, 202304)`);
    expect(rows.map((r) => r.v)).toEqual([versionOf(unchanged)]);
  });

  it('a rebuild under the unchanged agreement gives an empty diff, and can be discarded', async () => {
    const r = await runCli(rebuildArgs(unchanged), env);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const done = lastJson(r.stdout);
    expect(done).toMatchObject({ status: 'ready', changes: 0, invoices: 0 });
    expect(done.summary).toEqual(expect.arrayContaining([expect.stringMatching(/^payment: no change \(\d+ values compared\)$/), expect.stringMatching(/^indicators\/mean-days: no change/)]));
    expect((done.summary as string[]).every((l) => l.includes('no change'))).toBe(true);
    // Progress was shown: events/s and an ETA.
    expect(r.stderr).toMatch(/\] +\d+ % [\d\s\u00a0]+ \/ [\d\s\u00a0]+ events, [\d\s\u00a0–]+ events\/s, ETA/);
    const id = String(done.rebuild);
    const files = done.files as Record<string, string>;
    expect(JSON.parse(readFileSync(files.json!, 'utf8'))).toMatchObject({ id, changes: [], invoices: [] });
    expect(readFileSync(files.csv!, 'utf8')).toBe('\r\n');
    rmSync(path.dirname(files.json!), { recursive: true, force: true });

    const discarded = await runCli(['rebuild', '--discard', id, '--by', 'Analytiker Örebro'], env);
    expect(discarded.code, discarded.stderr).toBe(0);
    expect(await ch(`EXISTS DATABASE ${config.clickhouseDatabase}_rb_${id}`).catch(() => [{ result: 0 }])).not.toEqual([{ result: 1 }]);
    const list = await json<{ rebuilds: { id: string; status: string }[] }>('changes');
    expect(list.rebuilds.find((x) => x.id === id)?.status).toBe('discarded');
  }, 300_000);

  it('the threshold lowered from 3,0 to 2,0: SIGKILLed mid-replay, resumed, exactly the municipality-month worked by hand', async () => {
    // First run: held to 2 000 events/s (≈ 16 s for the ≈ 32 000 events; unthrottled a fresh machine
    // replayed them between two looks at its progress and exited before it could be killed), and
    // killed with SIGKILL once the replay is under way. Under way as its consumer group's commits
    // say, read here four times a second: the rebuild's own progress lines come from a loop that a
    // busy 2-core machine once held up from 0 % to the end (the run exited 0 before it could be killed, at 3 000 events/s).
    const child = spawn(path.join(repoRoot, 'bin/utklar'), [...rebuildArgs(lowered, report), '--max-rate', '2000'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const admin = new Kafka({ clientId: 'rebuild-test', brokers: config.kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    let killedAt: number;
    try {
      killedAt = await waitFor(`the replay under way (${err.slice(-500)})`, async () => {
        if (child.exitCode !== null) throw new GiveUp(`rebuild exited ${child.exitCode} before it could be killed: ${err.slice(-2000)}`);
        if (!out.includes('\n')) return undefined;
        const { rebuild, events } = JSON.parse(out.split('\n')[0]!) as { rebuild: string; events: number };
        const [committed] = await admin.fetchOffsets({ groupId: `${config.namespace}-rb-${rebuild}.clock`, topics: [`${config.namespace}.patient-events.v1`] });
        // The topic is this suite's own, from offset 0: the commits are the events replayed.
        const done = (committed?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
        return done > 0 && done < events * 0.8 ? done : undefined;
      }, 180_000);
    } finally {
      child.kill('SIGKILL');
      await admin.disconnect();
    }
    expect(await exited).toBeNull();
    // The ceiling held (each progress line averages since the run began; slices go in whole, so a line may overshoot a little).
    const rates = [...err.matchAll(/events, ([\d\s\u00a0]+) events\/s/g)].map((m) => Number(m[1]!.replace(/\D/g, '')));
    expect(rates.length).toBeGreaterThan(0);
    expect(Math.max(...rates)).toBeLessThanOrEqual(3_000);
    const id = String(JSON.parse(out.split('\n')[0]!).rebuild);
    const record = JSON.parse((await redis.get(`{${config.namespace}:rebuild}:${id}`))!) as { status: string; runs: number };
    expect(record).toMatchObject({ status: 'replaying', runs: 1 });

    // Run again: it finds the unfinished rebuild under the same agreements and goes on from where it was.
    const again = await runCli(rebuildArgs(lowered, report), env);
    expect(again.code, again.stderr.slice(-3000)).toBe(0);
    expect(JSON.parse(again.stdout.split('\n')[0]!)).toMatchObject({ rebuild: id, resumed: true });
    const firstLine = /\] +\d+ % ([\d\s\u00a0]+) \//.exec(again.stderr);
    expect(Number(firstLine![1]!.replace(/\D/g, ''))).toBeGreaterThanOrEqual(killedAt);
    const done = lastJson(again.stdout);
    expect(done).toMatchObject({ rebuild: id, status: 'ready', runs: 2 });
    // The report's files: the same diff as JSON, the changed values as CSV, the summary.
    expect(readFileSync(path.join(report, 'changes.csv'), 'utf8').split('\r\n').filter(Boolean)).toHaveLength(1 + 7);
    expect(readFileSync(path.join(report, 'summary.txt'), 'utf8')).toMatch(/^frozen invoice 18 2023-03: 1 line\(s\), 2 episode\(s\) change, billable days \+5, amount \+52500 kr$/m);

    const diff = await json<{ changes: ChangedCell[]; summary: { indicator: string; line: string; changed: number }[]; invoices: { region: string; month: string; lines: Record<string, unknown>[]; billableDaysDelta: number; amountSekDelta: number }[]; agreementVersions: { old: string[]; new: string[] } }>(`changes?rebuild=${id}`);
    const shown = diff.changes.map((c) => [c.indicator, c.kommun, c.month, c.careType, c.field, c.old, c.new, c.difference]);
    expect(shown).toEqual([
      ['payment', '1880', '2023-03', 'SOMATIC', 'amountSek', 0, 52_500, 52_500],
      ['payment', '1880', '2023-03', 'SOMATIC', 'billableDays', 0, 5, 5],
      ['payment', '1880', '2023-03', 'SOMATIC', 'exceeded', 0, 1, 1],
      ['payment', '1880', '2023-03', 'SOMATIC', 'threshold', 3, 2, -1],
      ['payment', '1880', '2023-04', 'SOMATIC', 'threshold', 3, 2, -1],
      ['payment', '1881', '2023-03', 'SOMATIC', 'threshold', 3, 2, -1],
      ['payment', '1883', '2023-03', 'SOMATIC', 'threshold', 3, 2, -1],
    ]);
    expect(diff.summary.filter((s) => s.changed > 0).map((s) => s.indicator)).toEqual(['payment']);
    expect(diff.summary.find((s) => s.indicator === 'payment')!.line).toMatch(/^payment: 7 of \d+ values changed in 4 municipality-month\(s\); amountSek 0 → 52500 \(\+52500\); billableDays 0 → 5 \(\+5\); exceeded 0 → 1 \(\+1\); threshold 12 → 8 \(-4\)$/);
    expect(diff.invoices).toEqual([expect.objectContaining({ region: '18', month: '2023-03', billableDaysDelta: 5, amountSekDelta: 52_500, lines: [expect.objectContaining({ kommun: '1880', careType: 'SOMATIC', billableDaysFrozen: 0, billableDaysLive: 5 })] })]);
    expect(diff.agreementVersions.new).toContain(versionOf(lowered));
    expect(diff.agreementVersions.old).toContain(versionOf(unchanged));
    // The rebuilt facts carry the new version.
    const versions = await ch(`SELECT DISTINCT agreement_version AS v FROM ${config.clickhouseDatabase}_rb_${id}.episode_facts WHERE region = '18' AND discharged_month IN (202303, 202304)`);
    expect(versions.map((r) => r.v)).toEqual([versionOf(lowered)]);

    // Scoped like every route: CSV for the region, a municipality its own rows, a unit nothing, the nation no invoices.
    const csv = await api(`changes?rebuild=${id}&format=csv&kommun=1880`);
    expect(csv.body.split('\r\n').filter(Boolean)).toHaveLength(1 + 5);
    const kumla = await json<{ changes: ChangedCell[]; invoices: unknown[] }>(`changes?rebuild=${id}`, token({ kind: 'municipality', municipality: '1881' }));
    expect(kumla.changes.map((c) => [c.kommun, c.field])).toEqual([['1881', 'threshold']]);
    expect(kumla.invoices).toEqual([]);
    expect((await api(`changes?rebuild=${id}&kommun=1880`, token({ kind: 'municipality', municipality: '1881' }))).status).toBe(403);
    expect((await api(`changes?rebuild=${id}`, token({ kind: 'unit', hospital: 'USO', ward: 'Med 2' }))).status).toBe(403);
    expect((await json<{ invoices: unknown[] }>(`changes?rebuild=${id}`, token({ kind: 'nation' }))).invoices).toEqual([]);
    expect((await api(`changes?rebuild=${id}&bogus=1`)).status).toBe(400);
    threshold = { id, changes: diff.changes };
  }, 420_000);

  it('promoting under load: every answer is wholly the old side or wholly the new, recorded, and the running process switches to the promoted side', async () => {
    expect(threshold).toBeDefined();
    const { id } = threshold!;
    const pid = live.child.pid;
    // A coordinator's board, open across the promotion.
    const stream = await boardStream();
    // Episodes arriving all through the promotion and the process's switch (one every 250 ms,
    // through the process's own events endpoint): none may be lost or applied twice on the side taken up.
    let producing = true;
    let sent = 0;
    const producer = (async () => {
      while (producing) {
        const sw = `SW-${++sent}`;
        acrossSwitch.push(sw);
        await post(episode(sw, '1880', '2023-05-02', '2023-05-04'));
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const { result: promoted, doneAt: promotedAt, answers } = await paymentAcross(4, async () => {
      await new Promise((r) => setTimeout(r, 1_000));
      return runCli(['rebuild', '--promote', id, '--by', 'Chef Region Örebro'], env);
    });
    expect(promoted.code, promoted.stderr.slice(-3000)).toBe(0);
    expect(answers.filter((a) => a.side === 'mixed').map((a) => a.body)).toEqual([]);
    expect(answers.filter((a) => a.side === 'old').length).toBeGreaterThan(5);
    expect(answers.filter((a) => a.startedAt > promotedAt).length).toBeGreaterThan(5);
    expect(answers.filter((a) => a.startedAt > promotedAt).every((a) => a.side === 'new')).toBe(true);

    // Recorded: who, when, the agreement's version; the frozen invoice stays frozen, its corrections now show the change.
    const list = await json<{ active: { id: string; promotedBy: string; agreementVersions: string[] } }>('changes');
    expect(list.active).toMatchObject({ id, promotedBy: 'Chef Region Örebro' });
    expect(list.active.agreementVersions).toContain(versionOf(lowered));
    const log = await ch(`SELECT action, by, agreement_version FROM ${config.clickhouseDatabase}.rebuild_log WHERE rebuild_id = '${id}' ORDER BY at, action`);
    expect(log.map((l) => l.action)).toEqual(expect.arrayContaining(['started', 'resumed', 'finished', 'promoted']));
    expect(log.find((l) => l.action === 'promoted')).toMatchObject({ by: 'Chef Region Örebro' });
    expect(String(log.find((l) => l.action === 'promoted')!.agreement_version)).toContain(versionOf(lowered));
    const invoice = await json<{ status: string }>('invoices?month=2023-03');
    expect(invoice.status).toBe('frozen');
    const corrections = await json<{ rows: { kommun: string; billableDaysDelta: number }[] }>('invoices/corrections?month=2023-03');
    expect(corrections.rows).toEqual([expect.objectContaining({ kommun: '1880', billableDaysDelta: 5 })]);

    // The running process switches to the promoted side by itself, as a restart would: it applies
    // and serves the rebuild's database and namespace, and its consumer on the old side is gone.
    const rebuilt = `${config.clickhouseDatabase}_rb_${id}`;
    await waitFor('the running process serving the promoted side', async () => ((await databaseServed()) === rebuilt ? true : undefined), 60_000);
    expect(live.child.pid).toBe(pid);
    expect(live.child.exitCode).toBeNull();
    const admin = new Kafka({ clientId: 'rebuild-test', brokers: config.kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await waitFor('no consumer left on the old side', async () => {
        const [group] = (await admin.describeGroups([`${config.namespace}.clock`])).groups;
        return group && group.members.length === 0 ? true : undefined;
      }, 60_000);
      expect((await admin.describeGroups([`${config.namespace}-rb-${id}.clock`])).groups[0]!.members.length).toBeGreaterThan(0);
    } finally {
      await admin.disconnect();
    }
    await new Promise((r) => setTimeout(r, 1_000));
    producing = false;
    await producer;
    expect(sent).toBeGreaterThan(10);
    // Every episode sent across the switch on the promoted side, each of its four events applied once
    // (a version per event: as RB-1's, sent before everything).
    const [reference] = Object.values(await versionsOf(rebuilt, ['RB-1']));
    expect(reference).toBeGreaterThanOrEqual(4);
    await waitFor('every episode sent across the switch on the promoted side', async () => (Object.keys(await versionsOf(rebuilt, acrossSwitch)).length === sent ? true : undefined), 60_000);
    await waitFor('each applied whole', async () => (Object.values(await versionsOf(rebuilt, acrossSwitch)).every((v) => v >= reference!) ? true : undefined), 30_000);
    expect(new Set(Object.values(await versionsOf(rebuilt, acrossSwitch)))).toEqual(new Set([reference]));

    // The board (Redis) reads the promoted side: a patient ready now, sent after the switch, is on
    // the stream opened before the promotion and on GET /api/v1/board; only the promoted side has it.
    await post(openNow('LIVE-1', '1880'));
    await waitFor('the live patient on the board stream opened before the promotion', async () => (stream.shows('LIVE-1') ? true : undefined), 60_000);
    expect(await onBoard('LIVE-1')).toBe(true);
    stream.close();
    await waitFor('its facts in the promoted database', async () => ((await factsOfEpisode(rebuilt, 'LIVE-1')) > 0 ? true : undefined), 30_000);
    expect(await factsOfEpisode(config.clickhouseDatabase, 'LIVE-1')).toBe(0);

    // A late episode reaches the promoted side's answers.
    const produced = await runCli(['produce'], env, ndjson(episode('RB-9', '1881', '2023-04-11', '2023-04-14')));
    expect(produced.code, produced.stderr).toBe(0);
    await waitFor('the late April episode in the promoted side', async () => {
      const rows = (await json<{ rows: Record<string, unknown>[] }>('payment?month=2023-04')).rows;
      return rows.find((r) => r.kommun === '1881')?.paymentDays === 3 ? true : undefined;
    }, 90_000);
    const late = await ch(`SELECT agreement_version AS v FROM ${config.clickhouseDatabase}_rb_${id}.episode_facts WHERE discharged_month = 202304 AND home_municipality = '1881'`);
    expect(late.map((r) => r.v)).toContain(versionOf(lowered));
  }, 300_000);

  it('a restart of the pipeline applies the promoted side alone: its database, its agreements, the live events', async () => {
    const { id } = threshold!;
    await live.stop();
    live = new PipelineProcess(env);
    await live.healthy();
    const status = (await (await fetch(`${live.url}/status`)).json()) as { clickhouse: { database: string } };
    expect(status.clickhouse.database).toBe(`${config.clickhouseDatabase}_rb_${id}`);
    // Still the new side's answer, and a new event reaches it (through the live events topic).
    const produced = await runCli(['produce'], env, ndjson(episode('RB-10', '1883', '2023-04-17', '2023-04-19')));
    expect(produced.code, produced.stderr).toBe(0);
    await waitFor('the episode sent after the restart in the promoted side', async () => {
      const rows = (await json<{ rows: Record<string, unknown>[] }>('payment?month=2023-04')).rows;
      return rows.find((r) => r.kommun === '1883')?.paymentDays === 2 && rows.every((r) => r.threshold === 2) ? true : undefined;
    }, 90_000);
    // The original namespace's side was not fed by the restarted process.
    const original = await ch(`SELECT count() AS n FROM ${config.clickhouseDatabase}.episode_facts WHERE discharged_month = 202304 AND home_municipality = '1883'`);
    expect(Number(original[0]!.n)).toBe(0);
  }, 180_000);

  it('--rollback switches back atomically within the keeping time, recorded, the running process following; refused with nothing to go back to or once expired', async () => {
    const { id } = threshold!;
    const rebuilt = `${config.clickhouseDatabase}_rb_${id}`;
    const pid = live.child.pid;
    const stream = await boardStream();
    // The side left at the promotion missed what came since (the episodes sent across the switch,
    // the late ones): it is caught up before the API reads it again.
    expect(await factsOfEpisode(config.clickhouseDatabase, 'RB-10')).toBe(0);
    const { result: rolled, doneAt: rolledAt, answers } = await paymentAcross(2, () => runCli(['rebuild', '--rollback', '--by', 'Chef Region Örebro'], env));
    expect(rolled.code, rolled.stderr.slice(-3000)).toBe(0);
    expect(lastJson(rolled.stdout)).toMatchObject({ rolledBack: id, to: null, database: config.clickhouseDatabase, by: 'Chef Region Örebro' });
    expect(answers.filter((a) => a.side === 'mixed').map((a) => a.body)).toEqual([]);
    expect(answers.filter((a) => a.side === 'new').length).toBeGreaterThan(0);
    expect(answers.filter((a) => a.startedAt > rolledAt).length).toBeGreaterThan(2);
    expect(answers.filter((a) => a.startedAt > rolledAt).every((a) => a.side === 'old')).toBe(true);

    // Recorded: the API reads the original data, the rebuild is rolled back by whom and when, and the log has it.
    const list = await json<{ active: unknown; rebuilds: { id: string; status: string; rolledBackBy: string | null; rolledBackAt: string | null; promotedBy: string | null }[] }>('changes');
    expect(list.active).toBeNull();
    const entry = list.rebuilds.find((r) => r.id === id)!;
    expect(entry).toMatchObject({ status: 'rolled-back', rolledBackBy: 'Chef Region Örebro', promotedBy: 'Chef Region Örebro' });
    expect(Math.abs(Date.parse(entry.rolledBackAt!) - rolledAt)).toBeLessThan(60_000);
    const log = await ch(`SELECT action, by, database FROM ${config.clickhouseDatabase}.rebuild_log WHERE rebuild_id = '${id}' AND action = 'rolled-back'`);
    expect(log).toEqual([{ action: 'rolled-back', by: 'Chef Region Örebro', database: config.clickhouseDatabase }]);
    // The frozen invoice stays frozen and matches the original facts again.
    expect((await json<{ status: string }>('invoices?month=2023-03')).status).toBe('frozen');
    expect((await json<{ rows: unknown[] }>('invoices/corrections?month=2023-03')).rows).toEqual([]);
    // Nothing the promoted side applied is missing on the side read again: each episode whole, once.
    expect(await factsOfEpisode(config.clickhouseDatabase, 'RB-10')).toBeGreaterThan(0);
    const promotedSide = await versionsOf(rebuilt, acrossSwitch);
    expect(await versionsOf(config.clickhouseDatabase, acrossSwitch)).toEqual(promotedSide);

    // The running process goes back too, without a restart: a patient sent now is on the board
    // (the stream opened before the rollback) and in the original database only.
    await waitFor('the running process serving the original data', async () => ((await databaseServed()) === config.clickhouseDatabase ? true : undefined), 60_000);
    expect(live.child.pid).toBe(pid);
    await post(openNow('LIVE-2', '1881'));
    await waitFor('the patient sent after the rollback on the board stream', async () => (stream.shows('LIVE-2') ? true : undefined), 60_000);
    stream.close();
    expect(await onBoard('LIVE-2')).toBe(true);
    await waitFor('its facts in the original database', async () => ((await factsOfEpisode(config.clickhouseDatabase, 'LIVE-2')) > 0 ? true : undefined), 30_000);
    expect(await factsOfEpisode(rebuilt, 'LIVE-2')).toBe(0);

    // Nothing to roll back now; and a promotion whose keeping time has passed cannot be rolled back.
    const none = await runCli(['rebuild', '--rollback'], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/nothing to roll back: no promotion is in force/);
    const again = await runCli(['rebuild', '--promote', id, '--by', 'Chef Region Örebro'], { ...env, UTKLAR_REBUILD_KEEP_HOURS: '0' });
    expect(again.code, again.stderr.slice(-3000)).toBe(0);
    const expired = await runCli(['rebuild', '--rollback'], env);
    expect(expired.code).toBe(1);
    expect(expired.stderr).toMatch(new RegExp(`the promotion of ${id} can no longer be rolled back: what it replaced was kept until \\d{4}-`));
    expect((await json<{ active: { id: string } }>('changes')).active.id).toBe(id);
  }, 300_000);
});
