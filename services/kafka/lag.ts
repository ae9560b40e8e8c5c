import type { Admin } from 'kafkajs';

const RETRIES = 5;

/**
 * The group's committed offsets. Asked again, up to ≈ 3 s, on a retriable error: kafkajs's admin
 * does not retry a group coordinator that moved or is still loading (a fresh broker's first group
 * answers NOT_COORDINATOR once its offsets topic exists), and a lag read failing then would stop
 * its caller's round (the invoices' auto-freeze) for nothing.
 */
export async function committedOffsets(admin: Pick<Admin, 'fetchOffsets'>, groupId: string, topic: string, pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await admin.fetchOffsets({ groupId, topics: [topic] });
    } catch (error) {
      if ((error as { retriable?: boolean }).retriable !== true || attempt >= RETRIES - 1) throw error;
      await pause(100 * 2 ** attempt);
    }
  }
}

/** Per partition: the next offset the group will read (its commit, or the log start) and the end. */
async function positions(admin: Admin, groupId: string, topic: string): Promise<{ partition: number; next: bigint; end: bigint }[]> {
  const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), committedOffsets(admin, groupId, topic)]);
  return ends.map((p) => {
    const c = committed?.partitions.find((x) => x.partition === p.partition)?.offset ?? '-1';
    return { partition: p.partition, next: BigInt(Number(c) >= 0 ? c : p.low), end: BigInt(p.high) };
  });
}

/** Messages a consumer group has still to read on a topic. */
export async function consumerLag(admin: Admin, groupId: string, topic: string): Promise<number> {
  return (await positions(admin, groupId, topic)).reduce((s, p) => s + Number(p.end > p.next ? p.end - p.next : 0n), 0);
}

/**
 * Whether the group has left a message produced before `olderThan` unread. Records carry their
 * produce time, so the first offset at or after that time (Kafka's ListOffsets by timestamp)
 * splits each partition: anything before it that the group has not read is too old.
 */
export async function hasUnreadOlderThan(admin: Admin, groupId: string, topic: string, olderThan: number): Promise<boolean> {
  const [pos, atTime] = await Promise.all([positions(admin, groupId, topic), admin.fetchTopicOffsetsByTimestamp(topic, olderThan)]);
  return pos.some((p) => {
    const first = atTime.find((x) => x.partition === p.partition);
    return first !== undefined && p.next < BigInt(first.offset);
  });
}

/** Messages on a topic (the dead-letter topic is never compacted, and kept forever). */
export async function messageCount(admin: Admin, topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((s, p) => s + Number(BigInt(p.high) - BigInt(p.low)), 0);
}
