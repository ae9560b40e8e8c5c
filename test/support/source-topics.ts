import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import type { PatientEvent } from '../../services/contract/event.ts';
import { topics, type Config } from '../../services/core/config.ts';
import { EventCodec } from '../../services/kafka/codec.ts';
import { waitFor } from './env.ts';

export interface DeadLetter {
  headers: Record<string, string>;
  entry: Record<string, unknown>;
  text: string;
}

/**
 * What a downstream subscriber sees committed on the events topic (decoded from Avro through the
 * registry) and on the dead-letter topic, read from the start until `until` holds for both.
 */
export async function readSourceTopics(
  config: Config,
  until: (events: PatientEvent[], dead: DeadLetter[]) => boolean,
  timeoutMs = 30_000,
): Promise<{ events: PatientEvent[]; dead: DeadLetter[]; rawEvents: KafkaMessage[] }> {
  const t = topics(config.namespace);
  const kafka = new Kafka({ clientId: 'source-topics-test', brokers: config.kafkaBrokers, logLevel: logLevel.NOTHING });
  const codec = new EventCodec(config.registryUrl);
  const events: PatientEvent[] = [];
  const rawEvents: KafkaMessage[] = [];
  const dead: DeadLetter[] = [];
  const consumer = kafka.consumer({ groupId: `source-reader-${Math.random()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [t.patientEvents, t.deadLetter], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        if (topic === t.patientEvents) {
          rawEvents.push(message);
          events.push(await codec.decode(message.value!));
        } else {
          const text = message.value!.toString('utf8');
          const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
          dead.push({ headers, entry: JSON.parse(text), text });
        }
      },
    });
    await waitFor('the events and dead-letter topics to hold what the test expects', async () => (until(events, dead) ? true : undefined), timeoutMs);
  } finally {
    await consumer.disconnect();
  }
  return { events, dead, rawEvents };
}
