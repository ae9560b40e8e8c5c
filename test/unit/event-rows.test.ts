import { describe, expect, it } from 'vitest';
import type { PatientEvent } from '../../services/contract/event.ts';
import { parseNdjsonEvent } from '../../services/contract/ndjson-event.ts';
import { toEventRow } from '../../services/sink-clickhouse/event-rows.ts';
import { NDJSON_BY_TYPE, line, pseudonymiser } from './sample-events.ts';

const ev = (occurredAt: string): PatientEvent =>
  parseNdjsonEvent(line({ ...NDJSON_BY_TYPE['ready-for-discharge'], occurredAt }), 1, pseudonymiser);

describe('toEventRow', () => {
  it('maps envelope, payload and Kafka coordinates', () => {
    const event = ev('2026-02-03T10:30:00.999+01:00');
    const row = toEventRow({ event, schemaId: 7, partition: 2, offset: '12345678901234' }, 1_770_111_061_500);
    expect(row).toEqual({
      event_id: 'unit-3',
      event_type: 'ready-for-discharge',
      occurred_at: 1_770_111_000,
      occurred_at_ms: 1_770_111_000_999,
      patient_key: event.patientKey,
      episode_id: pseudonymiser.episodeKey('', 'E-1'),
      source: 'unit-test',
      payload: JSON.stringify(event.data),
      schema_id: 7,
      kafka_partition: 2,
      kafka_offset: '12345678901234',
      ingested_at: 1_770_111_061,
    });
    expect(JSON.parse(row.payload)).toEqual({
      judgedAt: Date.parse('2026-02-03T09:45:00+01:00'),
      recipientMunicipality: '1881',
      trackColour: 'GREEN',
      fastVardkontaktAppointed: true,
      sipNeeded: true,
      sipCalledAt: Date.parse('2026-02-04T13:00:00+01:00'),
    });
  });

  it('floors occurred_at to whole seconds (never rounds up)', () => {
    const d = { schemaId: 1, partition: 0, offset: '0' };
    expect(toEventRow({ ...d, event: ev('2026-02-03T10:30:00.000+01:00') }, 0).occurred_at).toBe(1_770_111_000);
    expect(toEventRow({ ...d, event: ev('2026-02-03T10:30:00.500+01:00') }, 0).occurred_at).toBe(1_770_111_000);
    expect(toEventRow({ ...d, event: ev('2026-02-03T10:30:01.001+01:00') }, 0).occurred_at).toBe(1_770_111_001);
  });

  it('keeps the offset as the exact string Kafka gave (beyond 2^53)', () => {
    const row = toEventRow({ event: ev('2026-02-03T10:30:00+01:00'), schemaId: 1, partition: 0, offset: '9007199254740993' }, 0);
    expect(row.kafka_offset).toBe('9007199254740993');
  });

  it('puts no personnummer in the row', () => {
    const row = toEventRow({ event: ev('2026-02-03T10:30:00+01:00'), schemaId: 1, partition: 0, offset: '0' }, 0);
    expect(JSON.stringify(row)).not.toContain('400307');
    expect(row.patient_key).toMatch(/^[0-9a-f]{64}$/);
  });
});
