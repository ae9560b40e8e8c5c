import type { Outcome, SourceIngest, SourceItem } from '../ingest.ts';

/**
 * Group commit: the messages of every connection that arrive while a Kafka transaction is under
 * way go together in the next one. Each message is still answered only once Kafka has it, and a
 * connection's next message is not read before its ACK, so one sender's order is kept. One
 * transaction per message instead made eight connections slower than one (2026-12-06,
 * `npm run bench:hl7`): the producer has one transaction open at a time, so they queued, and a
 * transaction begun right after the previous commit is refused by the broker as concurrent
 * (CONCURRENT_TRANSACTIONS) and retried after 200 ms.
 */
export class IngestBatcher {
  #waiting: { item: Omit<SourceItem, 'ref'>; resolve: (o: Outcome) => void; reject: (e: unknown) => void }[] = [];
  #running = false;

  constructor(private readonly ingest: SourceIngest, private readonly max = 500) {}

  submit(item: Omit<SourceItem, 'ref'>): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ item, resolve, reject });
      void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#waiting.length > 0) {
        const batch = this.#waiting.splice(0, this.max);
        try {
          const outcomes = await this.ingest.ingest(batch.map((b, i) => ({ ...b.item, ref: i + 1 }) as SourceItem));
          batch.forEach((b, i) => b.resolve(outcomes[i]!));
        } catch (e) {
          // Nothing of the batch was stored: each of its senders is told so (AR) and sends again.
          for (const b of batch) b.reject(e);
        }
      }
    } finally {
      this.#running = false;
    }
  }
}
