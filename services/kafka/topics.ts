import type { Admin, Kafka } from 'kafkajs';
import { topics } from '../core/config.ts';

/**
 * One topic for every patient event (ordering across event types for one patient is what the
 * episode state machine needs; per-type topics would need a merge by event time), keyed by
 * patientKey, plus its dead-letter topic and the clock service's compacted changelog.
 */
/**
 * Partitions of the events topic (and the changelog and clock events) when the pipeline creates
 * them: the unit of parallelism, since a partition is applied by one consumer at a time. More
 * than the processes of a deployment will ever be, so that adding processes needs no repartition
 * (which would move patients between partitions and break their order).
 */
export const DEFAULT_EVENT_PARTITIONS = 12;

/** Returns the events topic's partition count (existing topics keep theirs: see below). */
export async function ensureTopics(kafka: Kafka, namespace: string, partitions = DEFAULT_EVENT_PARTITIONS): Promise<number> {
  const t = topics(namespace);
  const configOf = (topic: string): { name: string; value: string }[] =>
    // The event topic is the source of truth every state is rebuilt from, and the dead-letter
    // topic holds what still has to be repaired: neither may age out. (With the broker default of
    // 7 days, a replay of last year's events lost whole segments minutes after it was produced.)
    topic === t.patientEvents || topic === t.deadLetter ? [{ name: 'retention.ms', value: '-1' }, { name: 'retention.bytes', value: '-1' }]
    // Only the latest state per episode matters to a changelog reader.
    : topic === t.episodeState || topic === t.clockOutboxProgress ? [{ name: 'cleanup.policy', value: 'compact' }]
    : [];
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    // An existing events topic keeps its count, and the progress topic follows it (one partition each).
    const actual = existing.has(t.patientEvents) ? (await admin.fetchTopicMetadata({ topics: [t.patientEvents] })).topics[0]?.partitions.length ?? partitions : partitions;
    const all = [t.patientEvents, t.deadLetter, t.episodeState, t.clockEvents, t.clockOutboxProgress, t.alerts];
    for (let attempt = 1, known = existing; ; attempt++) {
      const wanted = all.filter((name) => !known.has(name));
      if (wanted.length === 0) break;
      try {
        await admin.createTopics({
          waitForLeaders: true,
          topics: wanted.map((topic) => ({
            topic,
            numPartitions: topic === t.deadLetter || topic === t.alerts ? 1 : actual,
            replicationFactor: 1,
            configEntries: configOf(topic),
          })),
        });
        break;
      } catch (e) {
        // createTopics' wait for leaders asks for metadata at once, and a KRaft broker whose
        // metadata cache has not caught up yet (another process creating topics at the same
        // moment) answers "This server does not host this topic-partition", which kafkajs does
        // not retry there: the process exited at start. The topics are created or being created;
        // look again, create what is still missing, and wait below until they are served.
        if ((e as { retriable?: boolean }).retriable !== true || attempt >= 5) throw e;
        await new Promise((r) => setTimeout(r, 250 * attempt));
        known = new Set(await admin.listTopics());
      }
    }
    await untilServed(admin, all);
    // Topics created by an older version keep the broker's retention: bring them in line.
    const older = [t.patientEvents, t.deadLetter].filter((name) => existing.has(name));
    if (older.length > 0) {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: older.map((name) => ({ type: 2 /* TOPIC */, name, configNames: ['retention.ms'] })),
      });
      const stale = resources.filter((r) => r.configEntries.some((e) => e.configName === 'retention.ms' && e.configValue !== '-1'));
      if (stale.length > 0) {
        await admin.alterConfigs({
          validateOnly: false,
          resources: stale.map((r) => ({ type: 2, name: r.resourceName, configEntries: configOf(r.resourceName) })),
        });
      }
    }
    // An existing topic keeps its partition count: adding partitions would move patients to
    // other partitions mid-history. The caller is told what it got.
    return actual;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits until the broker serves every partition of `names`. A KRaft broker announces a new
 * partition's leader in its metadata (what createTopics' waitForLeaders waits for) a moment before
 * its log is open: a produce, a transaction or a ListOffsets in between is answered "This server
 * does not host this topic-partition", and a process starting in that gap exited. ListOffsets
 * reaches each partition's leader, so its success means the log is there. Also covers a topic
 * another process is creating at the same time.
 */
async function untilServed(admin: Admin, names: string[], timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (const topic of names) {
    for (;;) {
      let last: unknown = 'no partitions in its metadata';
      try {
        if ((await admin.fetchTopicOffsets(topic)).length > 0) break;
      } catch (e) {
        last = e;
      }
      if (Date.now() > until) throw new Error(`topic ${topic} is not served by the broker after ${timeoutMs / 1000} s: ${last instanceof Error ? last.message : String(last)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
