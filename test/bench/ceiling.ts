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
 */
export async function measureCeiling(o: {
  kafka: Kafka;
  admin: Admin;
  topic: string;
  groupId: string;
  expected: number;
  progress: Progress;
  timeoutMs: number;
}): Promise<CeilingResult> {
  const consumer = o.kafka.consumer({ groupId: o.groupId, allowAutoTopicCreation: false, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  let n = 0;
  let doneAt: number | undefined;
  const t0 = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: o.topic, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: 6,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary }) => {
        const last = batch.messages.at(-1);
        n += batch.messages.length;
        if (last) resolveOffset(last.offset);
        await commitOffsetsIfNecessary();
        await heartbeat();
        if (n >= o.expected) doneAt ??= Date.now();
      },
    });
    // kafkajs' run() returns once the group is joined and synced; fetching starts after.
    const joined = Date.now();
    const series: { t: number; n: number }[] = [{ t: 0, n: 0 }];
    while (doneAt === undefined) {
      if (Date.now() - joined > o.timeoutMs) throw new Error(`ceiling consumer: ${n} of ${o.expected} messages after ${o.timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
      series.push({ t: Date.now() - joined, n });
      o.progress.update('ceiling', n, o.expected, `${n} msgs`);
    }
    series.push({ t: doneAt - joined, n });
    // Not timed: the commits reaching the broker, so the group is provably level with the topic.
    const end = await topicEnd(o.admin, o.topic);
    for (let i = 0; (await committedOffsets(o.admin, o.groupId, o.topic)) < end; i++) {
      if (i > 100) throw new Error('ceiling consumer: commits did not reach the high watermark');
      await new Promise((r) => setTimeout(r, 100));
    }
    const ms = doneAt - joined;
    return { messages: n, joinMs: joined - t0, ms, eventsPerSecond: Math.round(n / (ms / 1000)), series };
  } finally {
    await consumer.disconnect();
  }
}
