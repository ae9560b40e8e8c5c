import type { ActiveAlert } from './evaluate.ts';
import type { Receiver } from './rules.ts';

/** Where announcements go: a webhook, or the Avro alerts topic. */
export type Target = { kind: 'webhook'; url: string } | { kind: 'topic' };

/** The alerts topic is a receiver of every announcement, under this name. */
export const TOPIC_RECEIVER = 'topic';
/** UTKLAR_ALERT_WEBHOOK, for alerts no receiver and no rule webhook claims. */
export const DEFAULT_RECEIVER = 'default';
const ruleReceiver = (rule: string) => `rule-${rule}`;

/** Every receiver by name: the configured ones, each rule's own webhook, the default and the topic. */
export function targets(receivers: Receiver[], rules: { id: string; webhook: string | null }[], defaultWebhook: string | null): Map<string, Target> {
  const out = new Map<string, Target>([[TOPIC_RECEIVER, { kind: 'topic' }]]);
  for (const r of receivers) out.set(r.name, { kind: 'webhook', url: r.webhook });
  for (const r of rules) if (r.webhook) out.set(ruleReceiver(r.id), { kind: 'webhook', url: r.webhook });
  if (defaultWebhook) out.set(DEFAULT_RECEIVER, { kind: 'webhook', url: defaultWebhook });
  return out;
}

/**
 * Who hears of an alert, like Alertmanager's routes but flat: every receiver whose labels all
 * match, and the rule's own webhook; when neither claims it, the default webhook. The topic
 * always. Decided when the alert fires and kept with it, so it resolves to the same receivers.
 */
export function route(a: ActiveAlert, receivers: Receiver[], hasDefault: boolean): string[] {
  const named = receivers.filter((r) => Object.entries(r.match).every(([k, v]) => a.labels[k] === v)).map((r) => r.name);
  if (a.webhook) named.push(ruleReceiver(a.rule));
  if (named.length === 0 && hasDefault) named.push(DEFAULT_RECEIVER);
  return [TOPIC_RECEIVER, ...named];
}
