import type { Cluster, Redis } from 'ioredis';
import { heartbeatsKey } from '../alerting/observe.ts';
import type { ConsumerWatch } from '../kafka/consumer-watch.ts';
import type { Metrics } from './metrics.ts';

/**
 * Each service of this process says when it last did its work, or that it is running; the flush
 * writes that to one Redis hash every few seconds, which `service-silent` alert rules read. A
 * killed process stops writing and a crashed consumer drops out, so they fall silent there; a
 * consumer that runs but makes no progress is what the lag and freshness rules are for.
 */
export class Heartbeats {
  readonly #last = new Map<string, number>();
  readonly #pulled = new Map<string, () => number>();
  readonly #up = new Set<string>();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly redis: Redis | Cluster, private readonly namespace: string) {}

  beat(service: string, at = Date.now()): void {
    this.#last.set(service, at);
  }

  /** A service whose own record says when it last worked (0: not yet). */
  pull(service: string, lastAt: () => number): void {
    this.#pulled.set(service, lastAt);
  }

  consumer(name: string, metrics: Metrics): ConsumerWatch {
    return {
      up: () => this.#up.add(name),
      down: () => this.#up.delete(name),
      batch: (messages, seconds, newestProducedAt) => {
        this.beat(name);
        metrics.batchSize.observe({ consumer: name }, messages);
        metrics.batchSeconds.observe({ consumer: name }, seconds);
        if (newestProducedAt > 0) metrics.eventAgeSeconds.observe({ consumer: name }, Math.max(0, Date.now() - newestProducedAt) / 1000);
      },
    };
  }

  start(everyMs = 2_000): void {
    this.#timer = setInterval(() => void this.flush().catch(() => undefined), everyMs);
  }

  async flush(): Promise<void> {
    for (const [service, lastAt] of this.#pulled) if (lastAt() > 0) this.beat(service, lastAt());
    for (const service of this.#up) this.beat(service);
    if (this.#last.size === 0) return;
    await this.redis.hset(heartbeatsKey(this.namespace), Object.fromEntries(this.#last));
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
