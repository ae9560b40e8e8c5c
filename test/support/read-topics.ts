import type { Kafka, KafkaMessage } from 'kafkajs';
import { waitFor } from './env.ts';

/**
 * Reads topics from the beginning under read_committed (kafkajs' default) with a group of its
 * own, until no message has come for `quietMs` after at least one did: what a downstream
 * subscriber sees committed. Hands each message to `take`.
 */
export async function readTopicsToEnd(kafka: Kafka, topics: string[], take: (topic: string, message: KafkaMessage) => void, quietMs = 3_000): Promise<void> {
  const consumer = kafka.consumer({ groupId: `test-reader-${Math.random()}` });
  let seen = 0;
  let lastAt = Date.now();
  await consumer.connect();
  try {
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ topic, message }) => {
      take(topic, message);
      seen++;
      lastAt = Date.now();
    } });
    await waitFor(`${topics.join(', ')} read to the end`, async () => (seen > 0 && Date.now() - lastAt > quietMs ? true : undefined), 60_000);
  } finally {
    await consumer.disconnect();
  }
}
