import type { Admin, Kafka } from 'kafkajs';
import { committedOffsets, topicEnd } from './catch-up.ts';
import type { Progress } from './progress.ts';

export interface CeilingResult {
  messages: number;
  /** connect + subscribe + group join, before the first fetch */
  joinMs: number;
  /** from the group's join to the last message handled */
  ms: number;
  eventsPerSecond: number;
  /** messages handled, ms since the join */
  series: { t: number; n: number }[];
}

/**
 * What this machine's Kafka and kafkajs can deliver at most: a consumer with the pipeline's own
 * settings (session, heartbeat, 6 partitions concurrently, resolve + commit per batch) whose
 * handler does nothing, no decoding, no Redis, no ClickHouse. The pipeline can only be slower.
 * It reads committed data only, like the pipeline (kafkajs' default isolation).
 *
 * With `groups` and `decode` it measures the pipeline's topology instead: that many groups
 * reading the topic at once in this one process, each decoding every message and doing nothing
 * else; the time is until the last group has read everything.
 */
export async function measureCeiling(o: {
  kafka: Kafka;
  admin: Admin;
  topic: string;
  groupId: string;
  expected: number;
  progress: Progress;
  timeoutMs: number;
  groups?: number;
  /** Synchronous where it can be (a schema id seen before), as the pipeline decodes. */
  decode?: (value: Buffer) => unknown;
  /** The progress bar's label. */
  label?: string;
}): Promise<CeilingResult> {
  const label = o.label ?? 'ceiling';
  const groupIds = o.groups === undefined ? [o.groupId] : Array.from({ length: o.groups }, (_, i) => `${o.groupId}-${i}`);
  const consumers = groupIds.map((groupId) => o.kafka.consumer({ groupId, allowAutoTopicCreation: false, sessionTimeout: 10_000, heartbeatInterval: 1_000 }));
  const counts = groupIds.map(() => 0);
  const total = () => counts.reduce((a, b) => a + b, 0);
  const goal = o.expected * groupIds.length;
  let doneAt: number | undefined;
  const t0 = Date.now();
  try {
    for (const consumer of consumers) await consumer.connect();
    for (const [i, consumer] of consumers.entries()) {
      await consumer.subscribe({ topic: o.topic, fromBeginning: true });
      await consumer.run({
        partitionsConsumedConcurrently: 6,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary }) => {
          if (o.decode) {
            for (const m of batch.messages) {
              if (!m.value) continue;
              try {
                const d = o.decode(m.value);
                if (d instanceof Promise) await d.catch(() => undefined);
              } catch {
                // An undecodable message costs what it costs the pipeline; the reference goes on.
              }
            }
          }
          const last = batch.messages.at(-1);
          counts[i]! += batch.messages.length;
          if (last) resolveOffset(last.offset);
          await commitOffsetsIfNecessary();
          await heartbeat();
          if (total() >= goal) doneAt ??= Date.now();
        },
      });
    }
    // kafkajs' run() returns once the group is joined and synced; fetching starts after.
    const joined = Date.now();
    const series: { t: number; n: number }[] = [{ t: 0, n: 0 }];
    const perGroup = () => Math.min(...counts);
    while (doneAt === undefined) {
      if (Date.now() - joined > o.timeoutMs) throw new Error(`${label} consumer: ${total()} of ${goal} messages after ${o.timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
      series.push({ t: Date.now() - joined, n: perGroup() });
      o.progress.update(label, perGroup(), o.expected, `${perGroup()} msgs${groupIds.length > 1 ? ' (slowest group)' : ''}`);
    }
    series.push({ t: doneAt - joined, n: perGroup() });
    // Not timed: the commits reaching the broker, so the groups are provably level with the topic.
    const end = await topicEnd(o.admin, o.topic);
    for (const groupId of groupIds) {
      for (let i = 0; (await committedOffsets(o.admin, groupId, o.topic)) < end; i++) {
        if (i > 100) throw new Error(`${label} consumer: commits did not reach the high watermark`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const ms = doneAt - joined;
    return { messages: perGroup(), joinMs: joined - t0, ms, eventsPerSecond: Math.round(perGroup() / (ms / 1000)), series };
  } finally {
    for (const consumer of consumers) await consumer.disconnect();
  }
}
