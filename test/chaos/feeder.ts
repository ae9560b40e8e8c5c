import { Partitioners, type Producer } from 'kafkajs';
import type { Config } from '../../services/core/config.ts';
import { topics } from '../../services/core/config.ts';
import { createKafka } from '../../services/kafka/client.ts';
import { EventProducer } from '../../services/producer/event-producer.ts';
import type { Item } from './workload.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Puts the workload on the topic through the real producer (transactional, Avro), chunk by
 * chunk, and keeps going through a broker restart: a chunk whose send failed is sent again (the
 * event producer renews its kafkajs producer, the raw one is made anew). A chunk committed but reported failed arrives twice, which is one more
 * duplicate the pipeline must absorb.
 */
export class Feeder {
  #events: EventProducer | undefined;
  #raw: Producer | undefined;
  resends = 0;
  /** Each chunk's failed attempts (time and error) and when it was taken as committed. */
  readonly chunks: { failures: string[]; committedAt?: number }[] = [];
  readonly #chunkOf = new Map<string, number>();

  constructor(private readonly config: Config) {}

  async #connect(): Promise<{ events: EventProducer; raw: Producer }> {
    if (!this.#events) {
      const events = new EventProducer(createKafka(this.config, 'chaos-feeder'), this.config.registryUrl, this.config.namespace);
      await events.connect();
      this.#events = events;
    }
    if (!this.#raw) {
      const raw = createKafka(this.config, 'chaos-raw').producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
      await raw.connect();
      this.#raw = raw;
    }
    return { events: this.#events, raw: this.#raw };
  }

  // The event producer is kept: it replaces its kafkajs producer itself after a failure, under the
  // same transactional id, which aborts the failed attempt's open transaction (RenewingProducer).
  async #reset(): Promise<void> {
    await this.#raw?.disconnect().catch(() => undefined);
    this.#raw = undefined;
  }

  async send(chunk: Item[]): Promise<void> {
    const record: (typeof this.chunks)[number] = { failures: [] };
    const no = this.chunks.push(record) - 1;
    for (const it of chunk) if (it.kind === 'event') this.#chunkOf.set(it.event.eventId, no);
    for (let attempt = 0; ; attempt++) {
      try {
        const { events, raw } = await this.#connect();
        const valid = chunk.flatMap((it) => (it.kind === 'event' ? [it.event] : []));
        if (valid.length > 0) {
          const rejected = await events.send(valid);
          if (rejected.length > 0) throw new Error(`the producer refused ${rejected.length} valid events: ${rejected[0]!.error.message}`);
        }
        const bad = chunk.flatMap((it) => (it.kind === 'raw' ? [it] : []));
        if (bad.length > 0) {
          const messages = await Promise.all(bad.map(async (it) => ({ key: it.key, value: await it.value((e) => events.codec.encode(e)) })));
          await raw.send({ topic: topics(this.config.namespace).patientEvents, messages });
        }
        record.committedAt = Date.now();
        return;
      } catch (e) {
        record.failures.push(`${new Date().toISOString()} ${(e as Error).message}`);
        if (attempt >= 120) throw e;
        this.resends++;
        await this.#reset();
        await sleep(1_000);
      }
    }
  }

  /**
   * Which chunks events were sent in, and what the feeder saw of each: tells a transaction the
   * producer took as committed from one it knew failed and sent again.
   */
  explain(eventIds: string[]): string {
    const byChunk = new Map<number, number>();
    for (const id of eventIds) {
      const no = this.#chunkOf.get(id) ?? -1;
      byChunk.set(no, (byChunk.get(no) ?? 0) + 1);
    }
    return [...byChunk].sort((a, b) => a[0] - b[0]).slice(0, 8).map(([no, n]) => {
      const c = this.chunks[no];
      if (!c) return `${n} in no chunk`;
      return `${n} of chunk ${no} (${c.failures.length} failed attempts${c.failures.length ? `: ${c.failures.join('; ')}` : ''}; taken as committed ${c.committedAt ? new Date(c.committedAt).toISOString() : 'never'})`;
    }).join(', ');
  }

  async close(): Promise<void> {
    await this.#reset();
    await this.#events?.disconnect().catch(() => undefined);
    this.#events = undefined;
  }
}
