import { writeFileSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, waitFor } from '../support/env.ts';
import { PipelineProcess, runCli } from '../support/processes.ts';

type Payload = { version: string; status: string; alerts: { status: string; fingerprint: string; labels: Record<string, string> }[] };
const base = { source: 'alert-test', personnummer: '19400307-1232', episodeId: 'E-AL1' };

describe('alerting: a rule fires once and resolves once, through restarts and a failing receiver', () => {
  const received: { ok: boolean; body: Payload }[] = [];
  let failuresLeft = 2;
  let receiver: Server;
  let url = '';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'utklar-alerts-'));
  const rulesFile = path.join(dir, 'alerts.conf');
  writeFileSync(rulesFile, '# any utklar patient, routed to its unit\nready-now utklar-days days=0 route=unit severity=critical\n');
  let env: Record<string, string>;
  let pipeline: PipelineProcess;
  const ok = (status: string) => received.filter((r) => r.ok && r.body.status === status);

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const fail = failuresLeft-- > 0;
        received.push({ ok: !fail, body: JSON.parse(body) as Payload });
        res.writeHead(fail ? 500 : 200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
    env = isolatedEnv('embedded', { UTKLAR_CONSUMERS: 'clock', UTKLAR_ALERT_RULES: rulesFile, UTKLAR_ALERT_WEBHOOK: url, UTKLAR_ALERTS_EVERY_MS: '300', LOG_LEVEL: 'warn' });
    pipeline = new PipelineProcess(env);
    await pipeline.healthy();
  });

  afterAll(async () => {
    await pipeline?.stop();
    receiver?.close();
  });

  it('fires when the condition starts, delivered once after the receiver failed twice, not again after a restart', async () => {
    const now = Date.now();
    const lines = [
      { ...base, type: 'admission', eventId: 'al-1', occurredAt: new Date(now - 7_200_000).toISOString(), region: '18', hospital: 'USO', clinic: 'Medicinkliniken', ward: 'Med 4', businessArea: 'Medicin', careType: 'SOMATIC', admissionType: 'ACUTE', homeMunicipality: '1880' },
      { ...base, type: 'ready-for-discharge', eventId: 'al-2', occurredAt: new Date(now - 3_600_000).toISOString(), recipientMunicipality: '1880', trackColour: 'GREEN', fastVardkontaktAppointed: true, sipNeeded: false },
    ];
    expect((await runCli(['produce'], env, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`)).code).toBe(0);
    await waitFor('the firing alert delivered', async () => (ok('firing').length === 1 ? true : undefined), 30_000);
    expect(received.slice(0, 2).every((r) => !r.ok)).toBe(true);
    const [firing] = ok('firing');
    expect(firing!.body).toMatchObject({ version: '4', status: 'firing', alerts: [{ status: 'firing', labels: { alertname: 'ready-now', episodeId: 'E-AL1', hospital: 'USO', ward: 'Med 4', severity: 'critical' } }] });
    expect(JSON.stringify(received)).not.toMatch(/19400307|194003071232/);
    await pipeline.stop();
    pipeline = new PipelineProcess(env);
    await pipeline.healthy();
    await new Promise((r) => setTimeout(r, 2_000));
    expect(ok('firing')).toHaveLength(1);
  });

  it('resolves once when the condition ends', async () => {
    const withdrawn = { ...base, type: 'ready-withdrawn', eventId: 'al-3', occurredAt: new Date(Date.now() - 60_000).toISOString(), reasonCode: 'CONDITION_WORSENED' };
    expect((await runCli(['produce'], env, `${JSON.stringify(withdrawn)}\n`)).code).toBe(0);
    await waitFor('the resolved alert delivered', async () => (ok('resolved').length === 1 ? true : undefined), 30_000);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(ok('resolved')).toHaveLength(1);
    expect(ok('resolved')[0]!.body.alerts[0]!.fingerprint).toBe(ok('firing')[0]!.body.alerts[0]!.fingerprint);
    expect(ok('firing')).toHaveLength(1);
  });
});
