import { Cluster, type Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { RegisteredSchema } from '../kafka/registered-schema.ts';
import type { ActiveAlert } from './evaluate.ts';
import type { Target } from './routing.ts';
import { RenewingProducer } from '../kafka/renewing-producer.ts';

/** An alert as recorded when it fired: what was announced, and to whom. */
export type RecordedAlert = ActiveAlert & { startsAt: string; receivers: string[] };

/**
 * Alerting's Redis keys, in one place. They share the hash tag `{<ns>:alerts}`: the transition
 * script touches the active and pending hashes and the outboxes in one step, which Redis Cluster
 * allows only within one hash slot. (A single Redis ignores the braces.)
 */
export const alertKeys = (ns: string) => {
  const tag = `{${ns}:alerts}`;
  return {
    active: `${tag}:active`,
    pending: `${tag}:pending`,
    outbox: (receiver: string) => `${tag}:outbox:${receiver}`,
  };
};

/**
 * Moves alerting's keys from their names before the hash tag (`<ns>:alerts:…`) on a single Redis,
 * so an upgrade neither re-fires what is firing nor loses the resolutions and announcements still
 * waiting there. A cluster never held them: the transition script over untagged keys is refused.
 */
async function moveUntaggedKeys(redis: Redis | Cluster, ns: string, receivers: string[]): Promise<void> {
  if (redis instanceof Cluster) return;
  const k = alertKeys(ns);
  const moves: [string, string][] = [
    [`${ns}:alerts:active`, k.active],
    [`${ns}:alerts:pending`, k.pending],
    ...receivers.map((r): [string, string] => [`${ns}:alerts:outbox:${r}`, k.outbox(r)]),
  ];
  for (const [from, to] of moves) {
    // RENAMENX: a key already under the new name (a newer process ran) is kept.
    await redis.renamenx(from, to).catch((e: Error) => { if (!/no such key/i.test(e.message)) throw e; });
  }
}

interface Entry { id: string; status: 'firing' | 'resolved'; alert: RecordedAlert; at: number }

/**
 * Drains each receiver's outbox in order, the receivers independently: a failing webhook is
 * retried with backoff (0.5 s doubling to 30 s) and holds back only its own announcements. An
 * entry is dropped only after a 2xx (or Kafka's ack); a crash in between repeats that one
 * announcement, which receivers deduplicate (fingerprint + status; announcementId on the topic).
 */
export class Delivery {
  readonly #retry = new Map<string, { at: number; failures: number }>();
  readonly #producer: RenewingProducer;
  readonly #keys: ReturnType<typeof alertKeys>;
  delivered = 0;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly namespace: string,
    private readonly targets: Map<string, Target>,
    kafka: Kafka,
    private readonly topic: { name: string; schema: RegisteredSchema },
    private readonly log: Logger,
  ) {
    this.#producer = new RenewingProducer(kafka);
    this.#keys = alertKeys(namespace);
  }

  async start(): Promise<void> {
    await moveUntaggedKeys(this.redis, this.namespace, [...this.targets.keys()]);
    await this.topic.schema.register();
    await this.#producer.connect();
  }

  async stop(): Promise<void> {
    await this.#producer.disconnect();
  }

  /** One round over every receiver; returns how many announcements were delivered. */
  async deliver(now: number): Promise<number> {
    let sent = 0;
    for (const [name, target] of this.targets) {
      const retry = this.#retry.get(name);
      if (retry && now < retry.at) continue;
      const entries = await this.#entries(name);
      if (entries.length === 0) continue;
      const ok = target.kind === 'topic' ? await this.#publish(entries) : await this.#post(target.url, entries, name);
      sent += ok;
      if (ok < entries.length) {
        const failures = (retry?.failures ?? 0) + 1;
        this.#retry.set(name, { at: now + Math.min(30_000, 500 * 2 ** (failures - 1)), failures });
        this.log.warn({ receiver: name, attempt: failures }, 'alert delivery failed; retrying with backoff');
      } else this.#retry.delete(name);
    }
    this.delivered += sent;
    return sent;
  }

  async #entries(receiver: string): Promise<Entry[]> {
    return (await this.redis.xrange(this.#keys.outbox(receiver), '-', '+', 'COUNT', 100)).map(([id, fields]) => {
      const f: Record<string, string> = {};
      for (let i = 0; i < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
      return { id, status: f.status as Entry['status'], alert: JSON.parse(f.alert!) as RecordedAlert, at: Number(f.at) };
    });
  }

  async #post(url: string, entries: Entry[], receiver: string): Promise<number> {
    let sent = 0;
    for (const e of entries) {
      const payload = alertmanagerPayload(e.alert, e.status, new Date(e.at).toISOString(), receiver);
      const ok = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload), signal: AbortSignal.timeout(5_000) })
        .then((r) => r.ok, () => false);
      if (!ok) return sent;
      await this.redis.xdel(this.#keys.outbox(receiver), e.id);
      sent++;
    }
    return sent;
  }

  async #publish(entries: Entry[]): Promise<number> {
    try {
      const messages = await Promise.all(entries.map(async (e) => ({
        key: e.alert.fingerprint,
        value: await this.topic.schema.encode({
          announcementId: `${e.alert.fingerprint}:${e.status}:${Date.parse(e.alert.startsAt)}`,
          fingerprint: e.alert.fingerprint, status: e.status === 'firing' ? 'FIRING' : 'RESOLVED',
          rule: e.alert.rule, kind: e.alert.labels.kind ?? '', severity: e.alert.labels.severity ?? '',
          labels: e.alert.labels, annotations: e.alert.annotations, startsAt: Date.parse(e.alert.startsAt),
          endsAt: e.status === 'resolved' ? e.at : null, receivers: e.alert.receivers.filter((r) => r !== 'topic'),
        }),
      })));
      await this.#producer.send({ topic: this.topic.name, messages });
      await this.redis.xdel(this.#keys.outbox('topic'), ...entries.map((e) => e.id));
      return entries.length;
    } catch (e) {
      this.log.warn({ err: e }, 'alerts topic: publish failed');
      return 0;
    }
  }
}

/** Alertmanager's webhook payload (version 4), one alert per notification. */
export function alertmanagerPayload(a: RecordedAlert, status: 'firing' | 'resolved', at: string, receiver: string) {
  return {
    version: '4',
    groupKey: `{}:{alertname="${a.rule}"}:${a.fingerprint}`,
    truncatedAlerts: 0,
    status,
    receiver,
    groupLabels: { alertname: a.rule },
    commonLabels: a.labels,
    commonAnnotations: a.annotations,
    externalURL: '',
    alerts: [{ status, labels: a.labels, annotations: a.annotations, startsAt: a.startsAt, endsAt: status === 'resolved' ? at : '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: a.fingerprint }],
  };
}
