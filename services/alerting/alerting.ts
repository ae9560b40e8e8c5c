import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { boardSnapshot } from '../api/board-feed.ts';
import type { ClockStore } from '../clock/clock-store.ts';
import type { RegionRules } from '../clock/rules.ts';
import { stockholmDay } from '../core/stockholm-time.ts';
import { evaluate, type ActiveAlert } from './evaluate.ts';
import type { AlertRule } from './rules.ts';

type Scripted = Redis & { alertTransition(...args: (string | number)[]): Promise<number> };

/**
 * The alerting loop: evaluates the rules over the open ready episodes, records each alert's
 * firing and resolving once (Lua, keyed by fingerprint, so a restart repeats nothing) and
 * delivers the announcements to webhooks in Alertmanager's format, oldest first, retrying a
 * failing receiver with backoff until it answers 2xx; only then is the announcement dropped.
 */
export class Alerting {
  readonly #redis: Scripted;
  readonly #active: string;
  readonly #outbox: string;
  #retryAt = 0;
  #failures = 0;
  delivered = 0;

  constructor(
    redis: Redis,
    namespace: string,
    private readonly clocks: ClockStore,
    private readonly rules: AlertRule[],
    private readonly regionRules: RegionRules,
    private readonly defaultWebhook: string | null,
    private readonly log: Logger,
  ) {
    redis.defineCommand('alertTransition', { numberOfKeys: 2, lua: readFileSync(new URL('./lua/transition.lua', import.meta.url), 'utf8') });
    this.#redis = redis as Scripted;
    this.#active = `${namespace}:alerts:active`;
    this.#outbox = `${namespace}:alerts:outbox`;
  }

  /** One evaluation round; returns how many alerts fired and resolved. */
  async evaluate(now: number): Promise<{ fired: number; resolved: number }> {
    const regions = await this.#regions();
    const episodes = (await Promise.all(regions.map(async (region) =>
      (await boardSnapshot(this.clocks, { region }, { kind: 'region', region }, this.regionRules, now)).map((e) => ({ ...e, region }))))).flat();
    const current = evaluate(this.rules, episodes, stockholmDay(now));
    const active = new Set(await this.#redis.hkeys(this.#active));
    let fired = 0;
    let resolved = 0;
    for (const a of current) {
      if (active.has(a.fingerprint)) continue;
      fired += await this.#redis.alertTransition(this.#active, this.#outbox, 'firing', a.fingerprint, JSON.stringify({ ...a, startsAt: new Date(now).toISOString() }), now);
    }
    const holding = new Set(current.map((a) => a.fingerprint));
    for (const fp of active) if (!holding.has(fp)) resolved += await this.#redis.alertTransition(this.#active, this.#outbox, 'resolved', fp, '', now);
    return { fired, resolved };
  }

  /** Sends what the outbox holds, in order; stops at the first failure and retries it later. */
  async deliver(now: number): Promise<number> {
    if (now < this.#retryAt) return 0;
    let sent = 0;
    for (const [id, fields] of await this.#redis.xrange(this.#outbox, '-', '+', 'COUNT', 100)) {
      const f: Record<string, string> = {};
      for (let i = 0; i < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
      const alert = JSON.parse(f.alert!) as ActiveAlert & { startsAt: string };
      const url = alert.webhook ?? this.defaultWebhook;
      if (url) {
        const at = new Date(Number(f.at)).toISOString();
        const payload = alertmanagerPayload(alert, f.status as 'firing' | 'resolved', at);
        const ok = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload), signal: AbortSignal.timeout(5_000) })
          .then((r) => r.ok, () => false);
        if (!ok) {
          this.#failures++;
          this.#retryAt = now + Math.min(30_000, 500 * 2 ** (this.#failures - 1));
          this.log.warn({ fingerprint: alert.fingerprint, status: f.status, attempt: this.#failures }, 'webhook delivery failed; retrying with backoff');
          return sent;
        }
      }
      this.#failures = 0;
      await this.#redis.xdel(this.#outbox, id);
      sent++;
      this.delivered++;
    }
    return sent;
  }

  async #regions(): Promise<string[]> {
    const prefix = this.clocks.keys.openInRegion('');
    const out: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.#redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      out.push(...keys.map((k) => k.slice(prefix.length)));
    } while (cursor !== '0');
    return out;
  }
}

/** Alertmanager's webhook payload (version 4), one alert per notification. */
export function alertmanagerPayload(a: ActiveAlert & { startsAt: string }, status: 'firing' | 'resolved', at: string) {
  return {
    version: '4',
    groupKey: `{}:{alertname="${a.rule}"}:${a.fingerprint}`,
    truncatedAlerts: 0,
    status,
    receiver: 'utklar',
    groupLabels: { alertname: a.rule },
    commonLabels: a.labels,
    commonAnnotations: a.annotations,
    externalURL: '',
    alerts: [{ status, labels: a.labels, annotations: a.annotations, startsAt: a.startsAt, endsAt: status === 'resolved' ? at : '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: a.fingerprint }],
  };
}
