import type { Admin } from 'kafkajs';

/** Per partition: the next offset the group will read (its commit, or the log start) and the end. */
async function positions(admin: Admin, groupId: string, topic: string): Promise<{ partition: number; next: bigint; end: bigint }[]> {
  const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
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
