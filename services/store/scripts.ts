import { readFileSync } from 'node:fs';
import type { ChainableCommander } from 'ioredis';
import type { RedisLike } from '../core/redis.ts';
import { UtklarError } from '../core/errors.ts';
import type { PartitionKeys } from './clock-keys.ts';

/**
 * The clock's Lua scripts, each a Redis transition of its own (lua/*.lua), sharing lua/includes/:
 * a line `--- @include "name"` is replaced by includes/name.lua, once per script.
 */
export function loadScript(name: string): string {
  const included = new Set<string>();
  const expand = (text: string): string =>
    text.replace(/^--- @include "([\w-]+)"$/gm, (_, include: string) => {
      if (included.has(include)) return '';
      included.add(include);
      return expand(readFileSync(new URL(`./lua/includes/${include}.lua`, import.meta.url), 'utf8'));
    });
  return expand(readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8'));
}

/** What apply-batch.lua answers (see its header). */
export const APPLY_OUTCOME = { done: 'done', replayed: 'replayed', conflict: 'conflict' } as const;
export type ApplyOutcome = (typeof APPLY_OUTCOME)[keyof typeof APPLY_OUTCOME];

type Script = (...args: (string | number)[]) => Promise<unknown>;
export type ScriptedRedis = RedisLike & { clockApplyBatch: Script; clockFireTimers: Script; clockEvictEpisodes: Script };

/** Registers the scripts on a connection (ioredis sends EVALSHA, and the script once if unknown). */
export function defineScripts(redis: RedisLike): ScriptedRedis {
  redis.defineCommand('clockApplyBatch', { lua: loadScript('apply-batch') });
  redis.defineCommand('clockFireTimers', { lua: loadScript('fire-timers') });
  redis.defineCommand('clockEvictEpisodes', { lua: loadScript('evict-episodes') });
  return redis as ScriptedRedis;
}

/**
 * One script call on one partition: every key it touches declared in KEYS (the partition's six
 * first, includes/partition.lua), each once, and the bulky values (JSON) as ARGV of their own;
 * the packed argument refers to both by position.
 */
export class ScriptCall {
  readonly #keys: string[];
  readonly #keyAt = new Map<string, number>();
  readonly #values: string[] = [];

  constructor(k: PartitionKeys, applied: string) {
    this.#keys = [applied, k.closed, k.watermark, k.outbox, k.timers, k.recent];
    this.#keys.forEach((key, i) => this.#keyAt.set(key, i + 1));
  }

  /** The key's position in KEYS (1-based, as Lua counts). */
  key(name: string): number {
    let at = this.#keyAt.get(name);
    if (at === undefined) {
      this.#keys.push(name);
      this.#keyAt.set(name, (at = this.#keys.length));
    }
    return at;
  }

  /** The value's position in ARGV (the packed argument is ARGV[1]). */
  value(json: string): number {
    this.#values.push(json);
    return this.#values.length + 1;
  }

  /** The script's arguments: key count, KEYS, the packed argument, the values. */
  args(packed: object): (string | number)[] {
    return [this.#keys.length, ...this.#keys, JSON.stringify(packed), ...this.#values];
  }
}

/** Runs a script call; a Redis failure is a retriable dependency error. */
export async function runScript<T>(what: string, call: () => Promise<unknown>): Promise<T> {
  try {
    return (await call()) as T;
  } catch (cause) {
    throw new UtklarError('DEPENDENCY_UNAVAILABLE', `redis: clock ${what} failed: ${(cause as Error).message}`, { retriable: true, cause });
  }
}

/** Runs a pipeline; any command's failure is a retriable dependency error. */
export async function execPipeline(pipe: ChainableCommander, what = 'read'): Promise<unknown[]> {
  return runScript(what, async () => ((await pipe.exec()) ?? []).map(([error, value]) => {
    if (error) throw error;
    return value;
  }));
}
