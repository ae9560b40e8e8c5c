import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configOf, episodeKeyOf, isolatedEnv, waitFor } from '../support/env.ts';
import { stateKeyOf } from '../support/clock-redis.ts';
import { PipelineProcess, runCli } from '../support/processes.ts';

const person = { source: 'ehr-test', personnummer: '19400307-1232' };
const admission = { region: '18', hospital: 'USO', clinic: 'Medicinkliniken', ward: 'Med 1', businessArea: 'Medicin', careType: 'SOMATIC', admissionType: 'ACUTE', homeMunicipality: '1880' };
// Arrival order ≠ event time: the new stay (E-RA) arrives before the index stay's discharge.
const LINES = [
  { ...person, ...admission, type: 'admission', eventId: 'late-1', occurredAt: '2026-03-20T09:00:00+01:00', episodeId: 'E-RA' },
  { ...person, ...admission, type: 'admission', eventId: 'late-2', occurredAt: '2026-03-01T08:00:00+01:00', episodeId: 'E-IX' },
  { ...person, type: 'discharge', eventId: 'late-3', occurredAt: '2026-03-10T14:00:00+01:00', episodeId: 'E-IX', destination: 'HOME', clinic: 'Ortopedkliniken', ward: 'Ort 1' },
].map((l) => JSON.stringify(l)).join('\n');

// What the clock keys the two stays by: the pseudonyms the producer edge put in place of the source's ids.
const [RA, IX] = [episodeKeyOf('E-RA'), episodeKeyOf('E-IX')];

describe('clock service: a readmission applied before its index stay was discharged', () => {
  const env = isolatedEnv('server', { UTKLAR_CONSUMERS: 'clock' });
  const config = configOf(env);
  const redis = new Redis(config.redisUrl);
  let pipeline: PipelineProcess;

  beforeAll(async () => {
    pipeline = new PipelineProcess(env);
    await pipeline.healthy();
    expect((await runCli(['produce'], env, `${LINES}\n`)).code).toBe(0);
  });

  afterAll(async () => {
    await pipeline?.stop();
    redis.disconnect();
  });

  it('is linked to the index stay when the late discharge arrives, in the same atomic step', async () => {
    const state = await waitFor('E-IX discharged', async () => {
      const raw = await redis.hget(await stateKeyOf(redis, config.namespace, IX), 'state');
      return raw && JSON.parse(raw).state.status === 'DISCHARGED' ? raw : undefined;
    });
    expect(state).toBeTruthy();
    const readmitted = JSON.parse((await redis.hget(await stateKeyOf(redis, config.namespace, RA), 'state'))!);
    expect(readmitted.readmission).toEqual({ indexEpisodeId: IX, indexDischargeClinic: 'Ortopedkliniken', daysAfterDischarge: 10, source: 'detected' });
    // Two versions of E-RA: its admission, then the relink.
    expect(await redis.hget(await stateKeyOf(redis, config.namespace, RA), 'version')).toBe('2');
  });
});
