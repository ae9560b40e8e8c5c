import type { Admin, Kafka } from 'kafkajs';

/** A topic's last stable offsets summed over its partitions: what read_committed readers can reach (kafkajs's admin answer). */
export const stableOffset = async (admin: Admin, topic: string): Promise<number> =>
  (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);

/**
 * A topic's log-end offsets (the high watermark, read_uncommitted) summed over its partitions:
 * how many records Kafka holds, committed or not, transaction markers included.
 *
 * kafkajs's admin.fetchTopicOffsets asks ListOffsets without an isolation level, which the broker
 * client defaults to READ_COMMITTED: it returns the last stable offset, which a transaction's commit
 * moves only once the coordinator has written its markers, after it answered the commit. A test
 * asking "is it on Kafka yet" right after a producer's commit returned would race that. The admin
 * API has no option for it, so this builds the cluster client kafkajs builds for a consumer with
 * readUncommitted (the only place the isolation level is set) through Kafka's own factory.
 */
export async function logEndOffset(kafka: Kafka, topic: string): Promise<number> {
  const factory = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  if (!factory) throw new Error('kafkajs: no cluster factory (has its internals changed?)');
  type Cluster = {
    connect(): Promise<void>; disconnect(): Promise<void>; addTargetTopic(t: string): Promise<void>; refreshMetadata(): Promise<void>;
    findTopicPartitionMetadata(t: string): { partitionId: number }[];
    fetchTopicsOffset(q: { topic: string; fromBeginning: boolean; partitions: { partition: number }[] }[]): Promise<{ partitions: { offset: string }[] }[]>;
  };
  const READ_UNCOMMITTED = 0;
  const cluster = (kafka as unknown as Record<symbol, (o: object) => Cluster>)[factory]!({ allowAutoTopicCreation: false, isolationLevel: READ_UNCOMMITTED });
  await cluster.connect();
  try {
    await cluster.addTargetTopic(topic);
    await cluster.refreshMetadata();
    const partitions = cluster.findTopicPartitionMetadata(topic).map((p) => ({ partition: p.partitionId }));
    const [high] = await cluster.fetchTopicsOffset([{ topic, fromBeginning: false, partitions }]);
    return (high?.partitions ?? []).reduce((n, p) => n + Number(p.offset), 0);
  } finally {
    await cluster.disconnect();
  }
}
