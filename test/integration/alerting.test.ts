import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../services/core/config.ts';
import { fromEpochDay, isoDate, stockholmDay } from '../../services/core/stockholm-time.ts';
import { createKafka } from '../../services/kafka/client.ts';
import { configOf, episodeKeyOf, GiveUp, isolatedEnv, waitFor } from '../support/env.ts';
import { PipelineProcess, runCli } from '../support/processes.ts';

type Payload = { version: string; status: string; receiver: string; alerts: { status: string; fingerprint: string; labels: Record<string, string>; annotations: Record<string, string> }[] };
type Hit = { path: string; ok: boolean; at: number; body: Payload };

/** A real HTTP receiver: records every POST; `/default` answers 500 to its first two. */
async function receiver(): Promise<{ server: Server; url: string; hits: Hit[] }> {
  const hits: Hit[] = [];
  let failuresLeft = 2;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const fail = req.url === '/default' && failuresLeft-- > 0;
      hits.push({ path: req.url ?? '', ok: !fail, at: Date.now(), body: JSON.parse(body) as Payload });
      res.writeHead(fail ? 500 : 200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, hits };
}

const delivered = (hits: Hit[], p: string, status: string, rule?: string) =>
  hits.filter((h) => h.ok && h.path === p && h.body.status === status && (!rule || h.body.alerts[0]!.labels.alertname === rule));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const iso = (ms: number) => new Date(ms).toISOString();

/** Everything on a topic so far, decoded through the registry. */
async function readTopic(env: Record<string, string>, topic: string, expected: number): Promise<Record<string, unknown>[]> {
  const config = configOf(env);
  const registry = new SchemaRegistry({ host: config.registryUrl });
  const consumer = createKafka(config, 'alerts-reader').consumer({ groupId: `alerts-reader-${Math.random()}` });
  const got: Buffer[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void got.push(message.value!) });
  try {
    await waitFor(`${expected} messages on ${topic}`, async () => (got.length >= expected ? true : undefined), 30_000);
    await sleep(1_000);
  } finally {
    await consumer.disconnect();
  }
  return Promise.all(got.map(async (v) => (await registry.decode(v)) as Record<string, unknown>));
}

describe('alerting: every rule fires once and resolves once, routed to its receivers and the alerts topic', () => {
  let hook: Awaited<ReturnType<typeof receiver>>;
  let env: Record<string, string>;
  let pipeline: PipelineProcess;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'utklar-alerts-'));
  const now = Date.now();
  const H = 3_600_000;
  const ep = (n: number, type: string, at: number, more: Record<string, unknown> = {}) =>
    ({ source: 'alert-test', personnummer: ['19400307-1232', '19391224-1217', '19450101-1235', '19300615-1231'][n - 1], episodeId: `E-AL${n}`, type, eventId: `al-${n}-${type}-${at}`, occurredAt: iso(at), ...more });
  const admission = (n: number, at: number, ward: string, municipality: string, careType = 'SOMATIC') =>
    ep(n, 'admission', at, { region: '18', hospital: 'USO', clinic: 'Medicinkliniken', ward, businessArea: 'Medicin', careType, admissionType: 'ACUTE', homeMunicipality: municipality });
  const ready = (n: number, at: number, municipality: string) =>
    ep(n, 'ready-for-discharge', at, { recipientMunicipality: municipality, trackColour: 'GREEN', fastVardkontaktAppointed: true, sipNeeded: false });
  const discharge = (n: number, at: number, ward: string) => ep(n, 'discharge', at, { destination: 'NURSING_HOME', clinic: 'Medicinkliniken', ward });
  const produce = async (lines: object[]) => expect((await runCli(['produce'], env, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`)).code).toBe(0);
  /** The episode id alerts name for episode `n` (its source id E-AL<n>): the pseudonym the producer edge replaced it by. */
  const key = (n: number) => episodeKeyOf(`E-AL${n}`);

  beforeAll(async () => {
    hook = await receiver();
    writeFileSync(path.join(dir, 'capacity-recent.csv'), `hospital,ward,date,beds\nUSO,Med 4,${isoDate(fromEpochDay(stockholmDay(now) - 30))},4\n`);
    writeFileSync(path.join(dir, 'alerts.conf'), [
      '# every ready somatic patient, to the unit and to the municipality',
      'ready-now     utklar-days  days=0 careType=SOMATIC route=unit severity=critical',
      'kommun-wait   utklar-days  days=0 careType=SOMATIC route=municipality',
      'beds          ward-bed-share above=40',
      'quality       discharge-without-ready-notice withinDays=7 route=unit',
      'average       municipality-average above=3',
      `receiver kommun-1880 webhook=${hook.url}/kommun-1880 municipality=1880`,
    ].join('\n'));
    env = isolatedEnv('server', {
      UTKLAR_ALERT_RULES: path.join(dir, 'alerts.conf'), UTKLAR_ALERT_WEBHOOK: `${hook.url}/default`, UTKLAR_ALERTS_EVERY_MS: '300',
      UTKLAR_CAPACITY_DIR: dir, LOG_LEVEL: 'warn',
    });
    pipeline = new PipelineProcess(env);
    await pipeline.healthy();
  });

  afterAll(async () => {
    await pipeline?.stop();
    hook?.server.close();
  });

  it('fires each condition once, to the matching receivers, after the default receiver failed twice, and not again after a restart', async () => {
    await produce([
      admission(1, now - 2 * H, 'Med 4', '1880'), ready(1, now - H, '1880'),
      admission(2, now - 2 * H, 'Med 4', '1814'), ready(2, now - H, '1814'),
      admission(3, now - 72 * H, 'Kir 1', '1880'), discharge(3, now - H, 'Kir 1'),
      admission(4, now - 8 * 24 * H, 'Psyk 1', '1861', 'PSYCHIATRIC'), ready(4, now - 6 * 24 * H, '1861'), discharge(4, now - 60_000, 'Psyk 1'),
    ]);
    await waitFor('six firing alerts at the default receiver', async () => (delivered(hook.hits, '/default', 'firing').length >= 6 ? true : undefined), 60_000);
    expect(hook.hits.filter((h) => h.path === '/default').slice(0, 2).every((h) => !h.ok)).toBe(true);
    const firing = (p: string) => delivered(hook.hits, p, 'firing').map((h) => `${h.body.alerts[0]!.labels.alertname}:${h.body.alerts[0]!.labels.episodeId ?? h.body.alerts[0]!.labels.ward ?? h.body.alerts[0]!.labels.municipality}`).sort();
    expect(firing('/default')).toEqual(['average:1861', 'beds:Med 4', `kommun-wait:${key(2)}`, `quality:${key(3)}`, `ready-now:${key(1)}`, `ready-now:${key(2)}`].sort());
    await waitFor('the municipality receiver', async () => (delivered(hook.hits, '/kommun-1880', 'firing').length >= 1 ? true : undefined), 10_000);
    expect(firing('/kommun-1880')).toEqual([`kommun-wait:${key(1)}`]);
    const ready1 = delivered(hook.hits, '/default', 'firing', 'ready-now').find((h) => h.body.alerts[0]!.labels.episodeId === key(1))!;
    expect(ready1.body).toMatchObject({ version: '4', receiver: 'default', alerts: [{ labels: { alertname: 'ready-now', kind: 'utklar-days', severity: 'critical', episodeId: key(1), hospital: 'USO', ward: 'Med 4' } }] });
    expect(delivered(hook.hits, '/default', 'firing', 'average')[0]!.body.alerts[0]!.labels).toMatchObject({ municipality: '1861', careType: 'PSYCHIATRIC' });
    expect(JSON.stringify(hook.hits)).not.toMatch(/19400307|19391224|19450101|19300615/);
    // Nor the source's episode ids: the receivers see their pseudonyms only.
    expect(JSON.stringify(hook.hits)).not.toMatch(/E-AL\d/);

    await pipeline.stop();
    pipeline = new PipelineProcess(env);
    await pipeline.healthy();
    await sleep(2_500);
    expect(hook.hits.filter((h) => h.ok && h.body.status === 'firing')).toHaveLength(7);
  });

  it('resolves each once when its condition ends, to the same receivers', async () => {
    await produce([
      ep(2, 'ready-withdrawn', now - 30 * 60_000, { reasonCode: 'CONDITION_WORSENED' }),
      ready(3, now - 48 * H, '1880'),
      ep(4, 'discharge-cancelled', now - 30_000),
    ]);
    await waitFor('five resolved alerts', async () => (delivered(hook.hits, '/default', 'resolved').length >= 5 ? true : undefined), 60_000);
    await sleep(2_500);
    const resolved = delivered(hook.hits, '/default', 'resolved');
    expect(resolved.map((h) => h.body.alerts[0]!.labels.alertname).sort()).toEqual(['average', 'beds', 'kommun-wait', 'quality', 'ready-now']);
    for (const r of resolved) {
      const fp = r.body.alerts[0]!.fingerprint;
      expect(delivered(hook.hits, '/default', 'firing').filter((h) => h.body.alerts[0]!.fingerprint === fp)).toHaveLength(1);
    }
    expect(delivered(hook.hits, '/kommun-1880', 'resolved')).toHaveLength(0);
    expect(hook.hits.filter((h) => h.ok && h.body.status === 'firing')).toHaveLength(7);
  });

  it('announces the same on the Avro alerts topic, each announcement once, without personal data', async () => {
    const messages = await readTopic(env, topics(env.UTKLAR_NAMESPACE!).alerts, 12);
    expect(messages).toHaveLength(12);
    expect(messages.filter((m) => m.status === 'FIRING')).toHaveLength(7);
    expect(messages.filter((m) => m.status === 'RESOLVED')).toHaveLength(5);
    expect(new Set(messages.map((m) => m.announcementId)).size).toBe(12);
    const kommun = messages.find((m) => m.rule === 'kommun-wait' && (m.labels as Record<string, string>).municipality === '1880')!;
    expect(kommun).toMatchObject({ status: 'FIRING', kind: 'utklar-days', severity: 'warning', receivers: ['kommun-1880'], endsAt: null });
    expect(JSON.stringify(messages)).not.toMatch(/19400307|19391224|19450101|19300615|E-AL\d/);
  });
});

describe('pipeline health: a stopped consumer raises lag, freshness and silence alerts within their bounds', () => {
  let hook: Awaited<ReturnType<typeof receiver>>;
  let watcher: PipelineProcess;
  let sink: PipelineProcess;
  let sinkEnv: Record<string, string>;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'utklar-health-'));
  const base = { source: 'health-test', personnummer: '19400307-1232', episodeId: 'E-H1' };
  let n = 0;
  const admissions = (count: number) => Array.from({ length: count }, () => ({
    ...base, type: 'admission', eventId: `h-${n++}`, occurredAt: iso(Date.now() - 60_000), region: '18', hospital: 'USO', clinic: 'Medicinkliniken',
    ward: 'Med 4', businessArea: 'Medicin', careType: 'SOMATIC', admissionType: 'ACUTE', homeMunicipality: '1880',
  }));
  const firingAt = (rule: string) => delivered(hook.hits, '/ops', 'firing', rule)[0]?.at;

  beforeAll(async () => {
    hook = await receiver();
    writeFileSync(path.join(dir, 'alerts.conf'), [
      'lag      consumer-lag  consumer=clock max=0 for=2s',
      'stale    freshness     consumer=clock max=3s',
      'silent   service-silent service=clock max=6s',
      'dlq      dead-letter-growth min=1 within=4s',
    ].join('\n'));
    const env = isolatedEnv('server', { LOG_LEVEL: 'warn' });
    // The watcher runs no consumer, only the alerting loop; the clock (which writes ClickHouse) runs apart so it can die.
    watcher = new PipelineProcess({ ...env, UTKLAR_CONSUMERS: '', UTKLAR_ALERT_RULES: path.join(dir, 'alerts.conf'), UTKLAR_ALERT_WEBHOOK: `${hook.url}/ops`, UTKLAR_ALERTS_EVERY_MS: '250' });
    sinkEnv = { ...env, UTKLAR_CONSUMERS: 'clock', UTKLAR_HTTP_PORT: String(Number(env.UTKLAR_HTTP_PORT) + 1) };
    sink = new PipelineProcess(sinkEnv);
    await Promise.all([watcher.healthy(), sink.healthy()]);
  });

  afterAll(async () => {
    await Promise.all([watcher?.stop(), sink?.stop()]);
    hook?.server.close();
  });

  it('stays quiet while the sink keeps up; its /metrics show lag, batches and the event age', async () => {
    expect((await runCli(['produce'], sinkEnv, `${admissions(5).map((l) => JSON.stringify(l)).join('\n')}\n`)).code).toBe(0);
    await waitFor('5 rows in ClickHouse', async () => ((await sink.status()).clickhouse.eventsByType.admission === 5 ? true : undefined), 30_000);
    await sleep(7_000);
    expect(hook.hits.filter((h) => h.body.status === 'firing').map((h) => h.body.alerts[0]!.labels.alertname)).toEqual([]);
    const metrics = await (await fetch(`${sink.url}/metrics`)).text();
    expect(metrics).toMatch(/utklar_consumer_lag_messages\{consumer="clock"\} 0/);
    expect(metrics).toMatch(/utklar_consumer_batch_messages_count\{consumer="clock"\} [1-9]/);
    expect(metrics).toMatch(/utklar_consumer_event_age_seconds_count\{consumer="clock"\} [1-9]/);
    expect(metrics).toMatch(/utklar_dead_letter_messages 0/);
    // Everything it wrote is stored: no row waits in the buffer.
    expect(metrics).toMatch(/utklar_clickhouse_rows_pending 0/);
  });

  it('fires lag (2 s), freshness (3 s) and silence (6 s) once after the sink is killed, and resolves them once it is back', async () => {
    sink.child.kill('SIGKILL');
    await new Promise((r) => sink.child.once('exit', r));
    const config = configOf(sinkEnv);
    const producedAt = Date.now();
    expect((await runCli(['produce'], sinkEnv, `${admissions(3).map((l) => JSON.stringify(l)).join('\n')}\n`)).code).toBe(0);
    // And one message no consumer can decode, dead-lettered once the sink is back.
    const producer = createKafka(config, 'garbage').producer();
    await producer.connect();
    await producer.send({ topic: topics(config.namespace).patientEvents, messages: [{ key: 'x', value: Buffer.from('not avro') }] });
    await producer.disconnect();
    await waitFor('lag, freshness and silence alerts', async () => {
      if (watcher.child.exitCode !== null) throw new GiveUp(watcher.output.slice(-2000));
      return firingAt('lag') && firingAt('stale') && firingAt('silent') ? true : undefined;
    }, 30_000);
    // Each within its bound plus two evaluation rounds and a delivery (and the produce itself).
    expect(firingAt('lag')! - producedAt).toBeLessThan(2_000 + 4_000);
    expect(firingAt('stale')! - producedAt).toBeLessThan(3_000 + 4_000);
    expect(firingAt('silent')! - producedAt).toBeLessThan(6_000 + 4_000);
    expect(delivered(hook.hits, '/default', 'firing')).toHaveLength(0);
    expect(delivered(hook.hits, '/ops', 'firing').map((h) => h.body.alerts[0]!.labels.alertname).sort()).toEqual(['lag', 'silent', 'stale']);

    sink = new PipelineProcess(sinkEnv);
    await sink.healthy();
    await waitFor('all resolved, the dead letter announced', async () =>
      delivered(hook.hits, '/ops', 'resolved').length >= 4 ? true : undefined, 45_000);
    await sleep(2_000);
    const ops = (status: string) => delivered(hook.hits, '/ops', status).map((h) => h.body.alerts[0]!.labels.alertname).sort();
    expect(ops('firing')).toEqual(['dlq', 'lag', 'silent', 'stale']);
    expect(ops('resolved')).toEqual(['dlq', 'lag', 'silent', 'stale']);
  });
});
