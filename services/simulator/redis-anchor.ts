import type { RedisLike } from '../core/redis.ts';
import type { AnchorStore, SimulationAnchor } from './live-runner.ts';

/**
 * The simulated history's anchor in Redis, beside the clocks it fed: wiped together with them
 * (`npm run stack reset`), kept across `npm stop` / `npm start`, so a restart continues the same
 * history rather than drawing a second one on top of the first.
 */
export function redisAnchor(redis: RedisLike, key: string): AnchorStore {
  return {
    async load() {
      const text = await redis.get(key);
      return text === null ? null : (JSON.parse(text) as SimulationAnchor);
    },
    async save(anchor) {
      await redis.set(key, JSON.stringify(anchor));
    },
  };
}
