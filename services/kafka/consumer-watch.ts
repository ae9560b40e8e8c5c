import type { Consumer } from 'kafkajs';

/** What a consumer reports about itself: running (joined its group, not crashed) and each batch. */
export interface ConsumerWatch {
  up(): void;
  down(): void;
  batch(messages: number, seconds: number, newestProducedAt: number): void;
}

/** A kafkajs consumer is up from joining its group until it stops or crashes for good. */
export function watchConsumer(consumer: Consumer, watch: ConsumerWatch): void {
  const { GROUP_JOIN, CRASH, STOP } = consumer.events;
  consumer.on(GROUP_JOIN, () => watch.up());
  consumer.on(CRASH, (e) => void (e.payload.restart ? undefined : watch.down()));
  consumer.on(STOP, () => watch.down());
}
