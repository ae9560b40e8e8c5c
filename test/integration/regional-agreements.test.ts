import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../services/api/auth.ts';
import { bundledFile } from '../../services/agreements/bundled.ts';
import type { Scope } from '../../services/model/scope.ts';
import { API_SECRET, isolatedEnv, waitFor } from '../support/env.ts';
import { PipelineProcess, runCli } from '../support/processes.ts';

/**
 * Two regions with different clock terms in one deployment, through the real pipeline (Kafka,
 * Redis, ClickHouse) and the invoice endpoint: region 01's agreement (written here) counts a ready
 * notice sent at exactly 12:00:00 as before noon and requires the information to be transferred by
 * the discharge day; region 18 runs Örebro's bundled agreement (12:00:00 is after noon, no such
 * condition). Both patients: admitted 5 Oct 2025, ready 6 Oct 12:00:00, discharged 9 Oct without
 * the information transferred. Worked by hand:
 *   region 01: payment days 6, 7, 8, 9 Oct (4); the condition unmet → not liable, nothing billed;
 *   region 18: payment days 7, 8, 9 Oct (3); liable (Örebro's average decides what is billed).
 * A fixed month long past: passes on any date.
 */
describe('each region counted under its own agreement, end to end (server)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'utklar-regional-e2e-'));
  const region01 = path.join(dir, 'region-01.json');
  writeFileSync(region01, JSON.stringify({ region: '01', name: 'Region 01 (test)', versions: [{
    validFrom: '2018-01-01',
    model: { type: 'free-days', freeDays: { SOMATIC: 2, PSYCHIATRIC: 5 } },
    noon: { hour: 12, inclusive: true },
    conditions: { required: ['admission-notice-in-time', 'ready-notice-sent', 'information-transferred-by-discharge'], admissionNoticeWithinHours: 24, sipCalledWithinDays: 3, fastVardkontaktRequiredFor: [] },
  }] }));
  const env = isolatedEnv('server', { LOG_LEVEL: 'warn', UTKLAR_AGREEMENTS: `${region01},${bundledFile('orebro')}` });
  let pipeline: PipelineProcess;

  const lines = (region: string, personnummer: string, episodeId: string, kommun: string) => [
    { type: 'admission', eventId: `${episodeId}-1`, occurredAt: '2025-10-05T08:00:00+02:00', source: 'ehr-test', personnummer, episodeId, region, hospital: 'H1', clinic: 'Medicinkliniken', ward: 'Med 1', businessArea: 'Medicin', careType: 'SOMATIC', admissionType: 'ACUTE', homeMunicipality: kommun },
    { type: 'admission-notice', eventId: `${episodeId}-2`, occurredAt: '2025-10-05T10:00:00+02:00', source: 'lifecare-test', personnummer, episodeId, recipientMunicipality: kommun },
    { type: 'ready-for-discharge', eventId: `${episodeId}-3`, occurredAt: '2025-10-06T12:00:00+02:00', source: 'lifecare-test', personnummer, episodeId, recipientMunicipality: kommun, trackColour: 'NONE', fastVardkontaktAppointed: false, sipNeeded: false },
    { type: 'discharge', eventId: `${episodeId}-4`, occurredAt: '2025-10-09T10:00:00+02:00', source: 'ehr-test', personnummer, episodeId, destination: 'HOME_WITH_MUNICIPAL_CARE', clinic: 'Medicinkliniken', ward: 'Med 1' },
  ];
  const invoice = async (region: string) => {
    const scope: Scope = { kind: 'region', region };
    const token = mintToken(scope, API_SECRET, { subject: 'regional-agreements-test', ttlSeconds: 3600, now: Date.now() });
    const r = await fetch(`${pipeline.url}/api/v1/invoices?month=2025-10`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(200);
    return (await r.json()) as { specification: Record<string, unknown>[] };
  };

  beforeAll(async () => {
    pipeline = new PipelineProcess(env);
    await pipeline.healthy();
    const ndjson = [...lines('01', '380512123' + '7', 'R01-E1', '0180'), ...lines('18', '451120456' + '4', 'R18-E1', '1880')].map((l) => JSON.stringify(l)).join('\n');
    const sent = await runCli(['produce'], env, `${ndjson}\n`);
    expect(sent.code, sent.stderr).toBe(0);
    await waitFor('both discharged episodes on their invoices', async () => {
      const a = (await invoice('01')).specification;
      const b = (await invoice('18')).specification;
      return a.length === 1 && b.length === 1 ? true : undefined;
    }, 90_000);
  }, 180_000);

  afterAll(async () => {
    await pipeline?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("region 01: 12:00:00 is before its noon (4 payment days), its information condition unmet: not liable", async () => {
    const [line] = (await invoice('01')).specification;
    expect(line).toMatchObject({ region: '01', agreement: 'region-01.json#2018-01-01', kommun: '0180', paymentDays: 4, liability: 'not-liable', billableDays: 0 });
    expect(line!.paymentDates).toEqual(['2025-10-06', '2025-10-07', '2025-10-08', '2025-10-09']);
    expect(line!.conditionsRequired).toContain('information-transferred-by-discharge');
    expect(line!.conditionsUnmet).toEqual(['information-transferred-by-discharge']);
  });

  it("region 18: 12:00:00 is after Örebro's noon (3 payment days), no such condition: liable", async () => {
    const [line] = (await invoice('18')).specification;
    expect(line).toMatchObject({ region: '18', agreement: 'orebro.json#2018-01-01', kommun: '1880', paymentDays: 3, liability: 'liable', conditionsUnmet: [] });
    expect(line!.paymentDates).toEqual(['2025-10-07', '2025-10-08', '2025-10-09']);
    expect(line!.conditionsRequired).not.toContain('information-transferred-by-discharge');
  });
});
