import type { Kafka } from 'kafkajs';
import { topics } from '../core/config.ts';

/**
 * One topic for every patient event (ordering across event types for one patient is what the
 * episode state machine needs; per-type topics would need a merge by event time), keyed by
 * patientKey, plus its dead-letter topic and the clock service's compacted changelog.
 */
export async function ensureTopics(kafka: Kafka, namespace: string, partitions = 6): Promise<void> {
  const t = topics(namespace);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = [t.patientEvents, t.deadLetter, t.episodeState, t.clockEvents].filter((name) => !existing.has(name));
    if (wanted.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: wanted.map((topic) => ({
          topic,
          numPartitions: topic === t.deadLetter ? 1 : partitions,
          replicationFactor: 1,
          // Only the latest state per episode matters to a changelog reader.
          configEntries: topic === t.episodeState ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
        })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}
