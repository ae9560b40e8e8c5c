import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';
import { evaluate } from './evaluate.ts';
import { alertKeys, type Delivery, type RecordedAlert } from './delivery.ts';
import type { Observer } from './observe.ts';
import { route } from './routing.ts';
import type { AlertConfig } from './rules.ts';

type Scripted = (Redis | Cluster) & { alertTransition(...args: (string | number)[]): Promise<number> };

/**
 * The alerting loop: observes, evaluates the rules, and records each alert's firing and
 * resolving once (Lua, keyed by fingerprint, so a restart or a second instance repeats nothing),
 * routed to its receivers' outboxes, which `Delivery` drains. A rule with `for` fires only after
 * its condition has held that long; that clock is kept in Redis too, so a restart does not reset it.
 */
export class Alerting {
  readonly #redis: Scripted;
  readonly #keys: ReturnType<typeof alertKeys>;
  lastRoundAt = 0;

  constructor(
    redis: Redis | Cluster,
    namespace: string,
    private readonly config: AlertConfig,
    private readonly observer: Observer,
    readonly delivery: Delivery,
    private readonly hasDefault: boolean,
  ) {
    // The number of keys is passed first: an alert has as many outboxes as receivers. On a
    // cluster the keys' shared hash tag sends the script to the one node that holds them all.
    redis.defineCommand('alertTransition', { lua: readFileSync(new URL('./lua/transition.lua', import.meta.url), 'utf8') });
    this.#redis = redis as Scripted;
    this.#keys = alertKeys(namespace);
  }

  #transition(status: 'firing' | 'resolved', a: RecordedAlert, now: number): Promise<number> {
    const k = this.#keys;
    const keys = [k.active, k.pending, ...a.receivers.map(k.outbox)];
    return this.#redis.alertTransition(keys.length, ...keys, status, a.fingerprint, status === 'firing' ? JSON.stringify(a) : '', now);
  }

  /** One evaluation round; returns how many alerts fired and resolved. */
  async evaluate(now: number): Promise<{ fired: number; resolved: number }> {
    const current = evaluate(this.config.rules, await this.observer.observe(now));
    const active = new Map(Object.entries(await this.#redis.hgetall(this.#keys.active)).map(([fp, json]) => [fp, JSON.parse(json) as RecordedAlert]));
    const pending = await this.#redis.hgetall(this.#keys.pending);
    let fired = 0;
    let resolved = 0;
    for (const a of current) {
      if (active.has(a.fingerprint)) continue;
      if (a.forMs > 0) {
        const since = Number(pending[a.fingerprint] ?? now);
        if (pending[a.fingerprint] === undefined) await this.#redis.hsetnx(this.#keys.pending, a.fingerprint, now);
        if (now - since < a.forMs) continue;
      }
      const recorded: RecordedAlert = { ...a, startsAt: new Date(now).toISOString(), receivers: route(a, this.config.receivers, this.hasDefault) };
      fired += await this.#transition('firing', recorded, now);
    }
    const holding = new Set(current.map((a) => a.fingerprint));
    for (const [fp, a] of active) if (!holding.has(fp)) resolved += await this.#transition('resolved', a, now);
    const ended = Object.keys(pending).filter((fp) => !holding.has(fp));
    if (ended.length > 0) await this.#redis.hdel(this.#keys.pending, ...ended);
    this.lastRoundAt = now;
    return { fired, resolved };
  }
}
