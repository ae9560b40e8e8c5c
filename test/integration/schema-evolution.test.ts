import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { describe, expect, it } from 'vitest';
import { subjectFor, topics } from '../../services/core/config.ts';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configOf, isolatedEnv, repoRoot } from '../support/env.ts';

/** The registry enforces BACKWARD evolution of the patient-event subject. */
describe('schema evolution on the real registry', () => {
  const config = configOf(isolatedEnv('server'));
  const subject = subjectFor(topics(config.namespace).patientEvents);
  const registry = new SchemaRegistry({ host: config.registryUrl });
  const current = JSON.parse(readFileSync(path.join(repoRoot, 'schemas/patient-event.avsc'), 'utf8'));
  const register = (schema: unknown) =>
    registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject, compatibility: COMPATIBILITY.BACKWARD });

  it('accepts v2 (a union branch appended) over v1, and refuses a change that breaks old data', async () => {
    const v1 = structuredClone(current);
    const payload = v1.fields.find((f: { name: string }) => f.name === 'payload');
    payload.type = payload.type.filter((r: { name: string }) => r.name !== 'DelayReason');
    const first = await register(v1);
    const second = await register(current);
    expect(second.id).not.toBe(first.id);

    // A new required field without a default cannot read v1/v2 data: BACKWARD says no.
    const broken = structuredClone(current);
    broken.fields.push({ name: 'ward', type: 'string' });
    await expect(register(broken)).rejects.toThrow();
    const versions = await (await fetch(`${config.registryUrl}/subjects/${subject}/versions`)).json();
    expect(versions).toEqual([1, 2]);
  });
});
