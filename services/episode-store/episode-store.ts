import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { DecodedEvent } from '../kafka/event-consumer.ts';
import { UtklarError } from '../core/errors.ts';
import { episodeUpdate } from './episode-update.ts';

const APPLY_EVENT = readFileSync(new URL('./lua/apply-event.lua', import.meta.url), 'utf8');

export const episodeKey = (ns: string, episodeId: string) => `${ns}:episode:${episodeId}`;
export const appliedOffsetsKey = (ns: string, group: string, topic: string) => `${ns}:applied:${group}:${topic}`;

/** Per-episode records in Redis, each event applied by one atomic, replay-safe Lua step. */
export class EpisodeStore {
  readonly #redis: Redis;

  constructor(
    redis: Redis,
    private readonly namespace: string,
    private readonly group: string,
    private readonly topic: string,
  ) {
    redis.defineCommand('applyEvent', { numberOfKeys: 2, lua: APPLY_EVENT });
    this.#redis = redis;
  }

  /** Returns how many events changed state (replayed ones do not). */
  async apply(batch: DecodedEvent[]): Promise<number> {
    const offsets = appliedOffsetsKey(this.namespace, this.group, this.topic);
    // One pipeline per batch: Redis runs the scripts in order, which the offset guard relies on.
    const pipeline = this.#redis.pipeline() as unknown as {
      applyEvent: (...args: (string | number)[]) => void;
      exec: () => Promise<[Error | null, unknown][] | null>;
    };
    for (const d of batch) {
      const { set, del } = episodeUpdate(d.event);
      const pairs = Object.entries(set).flat();
      pipeline.applyEvent(episodeKey(this.namespace, d.event.episodeId), offsets, d.partition, d.offset, pairs.length / 2, ...pairs, ...del);
    }
    let changed = 0;
    try {
      for (const [err, result] of (await pipeline.exec()) ?? []) {
        if (err) throw err;
        changed += Number(result);
      }
    } catch (cause) {
      throw new UtklarError('DEPENDENCY_UNAVAILABLE', `redis: apply failed: ${(cause as Error).message}`, { retriable: true, cause });
    }
    return changed;
  }
}
