import { UtklarError } from '../core/errors.ts';

/**
 * The alerting config file: one rule or receiver per line (`#` starts a comment).
 *
 *   <id> <kind> [key=value ...]                 a rule
 *   receiver <name> webhook=<url> [label=value ...]   a receiver and the labels it matches
 *
 *   long-wait      utklar-days                    days=7 careType=SOMATIC track=RED
 *   sip-late       sip-not-called
 *   no-notice      ready-without-admission-notice
 *   payment        payment-started
 *   no-ready       discharge-without-ready-notice withinDays=7
 *   avg-near       municipality-average           above=2.5
 *   beds           ward-bed-share                 above=15
 *   clock-lag      consumer-lag                   consumer=clock max=1000 for=30s
 *   rollup-fresh   freshness                      consumer=clock max=60s
 *   dlq            dead-letter-growth             min=1 within=5m
 *   clock-silent   service-silent                 service=clock max=30s
 *   receiver orebro-kommun webhook=https://kommun.example/hook municipality=1880
 *
 * Every rule may add `severity=warning|critical`, `webhook=<url>` and `for=<duration>` (the
 * condition must hold that long before it fires, as in Prometheus); episode rules add
 * `route=municipality|unit|region` (which routing labels the alert carries; the municipality is
 * the home one, for payment-started the liable one, the ready notice's recipient). A bad line is
 * reported as `file:line: what is wrong` and nothing starts.
 */
export const EPISODE_KINDS = ['utklar-days', 'sip-not-called', 'ready-without-admission-notice', 'payment-started', 'discharge-without-ready-notice'] as const;
export const AGGREGATE_KINDS = ['municipality-average', 'ward-bed-share'] as const;
export const HEALTH_KINDS = ['consumer-lag', 'freshness', 'dead-letter-growth', 'service-silent'] as const;
export const KINDS = [...EPISODE_KINDS, ...AGGREGATE_KINDS, ...HEALTH_KINDS] as const;
export type RuleKind = (typeof KINDS)[number];

/** What each consumer group reads; the pipeline's services that report heartbeats. */
export const CONSUMER_NAMES = ['clock'] as const;
/** Consumer groups that were, and what replaced them (a rule naming one is refused with this). */
const RETIRED_CONSUMERS: Record<string, string> = {
  'sink-clickhouse': 'the clock\'s one consumer group writes the ClickHouse rows and commits once they are stored; use consumer=clock',
  'sink-facts': 'the clock writes the episode facts itself; use consumer=clock',
};
export const SERVICE_NAMES = [...CONSUMER_NAMES, 'timers', 'outbox', 'alerting'] as const;

export interface AlertRule {
  id: string;
  kind: RuleKind;
  /** utklar-days: the day count; discharge-without-ready-notice: the look-back window. */
  days: number;
  careType: string | null;
  track: string | null;
  severity: 'warning' | 'critical';
  route: 'municipality' | 'unit' | 'region';
  webhook: string | null;
  /** How long the condition must hold before the alert fires. */
  forMs: number;
  /** municipality-average: payment days per patient; ward-bed-share: percent of beds. */
  above: number | null;
  /** consumer-lag, freshness, service-silent, dead-letter-growth: which one is watched. */
  subject: string | null;
  /** consumer-lag: messages; freshness, service-silent: milliseconds; dead-letter-growth: messages. */
  max: number;
  /** dead-letter-growth: the window. */
  withinMs: number;
}

export interface Receiver {
  name: string;
  webhook: string;
  /** An alert goes to the receiver when every one of these labels has this value. */
  match: Record<string, string>;
}

export interface AlertConfig {
  rules: AlertRule[];
  receivers: Receiver[];
}

const KEYS: Record<RuleKind, string[]> = {
  'utklar-days': ['days', 'careType', 'track', 'route'],
  'sip-not-called': ['careType', 'route'],
  'ready-without-admission-notice': ['careType', 'route'],
  'payment-started': ['careType', 'route'],
  'discharge-without-ready-notice': ['withinDays', 'careType', 'route'],
  'municipality-average': ['above', 'careType'],
  'ward-bed-share': ['above'],
  'consumer-lag': ['consumer', 'max'],
  freshness: ['consumer', 'max'],
  'dead-letter-growth': ['min', 'within'],
  'service-silent': ['service', 'max'],
};
const COMMON = ['severity', 'webhook', 'for'];
const MATCHABLE = ['region', 'municipality', 'hospital', 'ward', 'severity', 'alertname', 'kind', 'careType', 'consumer', 'service'];

/** `30s`, `5m`, `2h` or plain seconds, as milliseconds. */
export function parseDuration(v: string, at: string, name: string): number {
  const m = /^(\d{1,6})(ms|s|m|h)?$/.exec(v);
  if (!m) throw new UtklarError('CONFIG', `${at}: ${name} '${v}' is not a duration (e.g. 30s, 5m, 1h)`);
  return Number(m[1]) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
}

const url = (v: string, at: string) => {
  if (!/^https?:\/\/\S+$/.test(v)) throw new UtklarError('CONFIG', `${at}: webhook must be an http(s) URL`);
  return v;
};

function settings(pairs: string[], allowed: string[], at: string, what: string): Record<string, string> {
  const opts: Record<string, string> = {};
  for (const p of pairs) {
    const m = /^([A-Za-z]+)=(\S+)$/.exec(p);
    if (!m) throw new UtklarError('CONFIG', `${at}: expected key=value, got '${p}'`);
    if (!allowed.includes(m[1]!)) throw new UtklarError('CONFIG', `${at}: '${m[1]}' is not a setting of ${what} (settings: ${allowed.join(', ')})`);
    if (m[1]! in opts) throw new UtklarError('CONFIG', `${at}: '${m[1]}' is given twice`);
    opts[m[1]!] = m[2]!;
  }
  return opts;
}

function number(v: string | undefined, at: string, name: string, pattern = /^\d{1,7}(\.\d+)?$/): number {
  if (v === undefined || !pattern.test(v)) throw new UtklarError('CONFIG', `${at}: ${name} needs a number, got '${v ?? ''}'`);
  return Number(v);
}

function receiver(pairs: string[], at: string, receivers: Receiver[]): Receiver {
  const [name, ...rest] = pairs;
  if (!name || !/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new UtklarError('CONFIG', `${at}: receiver name '${name ?? ''}' must be lower-case letters, digits and '-'`);
  if (receivers.some((r) => r.name === name)) throw new UtklarError('CONFIG', `${at}: receiver '${name}' is defined twice`);
  const opts = settings(rest, ['webhook', ...MATCHABLE], at, 'a receiver');
  if (!opts.webhook) throw new UtklarError('CONFIG', `${at}: receiver '${name}' needs webhook=<url>`);
  const { webhook, ...match } = opts;
  // A line splits on spaces, so a value with one (a ward called "Med 4") is written Med%204.
  for (const k of Object.keys(match)) match[k] = decodeURIComponent(match[k]!);
  return { name, webhook: url(webhook, at), match };
}

export function parseAlertConfig(text: string, file: string): AlertConfig {
  const rules: AlertRule[] = [];
  const receivers: Receiver[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const at = `${file}:${i + 1}`;
    const [id, kind, ...pairs] = line.split(/\s+/);
    if (id === 'receiver') {
      receivers.push(receiver([kind ?? '', ...pairs], at, receivers));
      return;
    }
    if (!id || !/^[a-z0-9][a-z0-9-]*$/.test(id)) throw new UtklarError('CONFIG', `${at}: rule id '${id}' must be lower-case letters, digits and '-'`);
    if (rules.some((r) => r.id === id)) throw new UtklarError('CONFIG', `${at}: rule id '${id}' is used twice`);
    if (!(KINDS as readonly string[]).includes(kind ?? '')) throw new UtklarError('CONFIG', `${at}: unknown kind '${kind ?? ''}' (known: ${KINDS.join(', ')})`);
    const k = kind as RuleKind;
    const opts = settings(pairs, [...KEYS[k], ...COMMON], at, k);
    if (k === 'utklar-days' && !/^\d{1,3}$/.test(opts.days ?? '')) throw new UtklarError('CONFIG', `${at}: utklar-days needs days=N (a whole number)`);
    if (opts.severity && !['warning', 'critical'].includes(opts.severity)) throw new UtklarError('CONFIG', `${at}: severity must be warning or critical`);
    if (opts.route && !['municipality', 'unit', 'region'].includes(opts.route)) throw new UtklarError('CONFIG', `${at}: route must be municipality, unit or region`);
    const subject = opts.consumer ?? opts.service ?? null;
    if ((k === 'consumer-lag' || k === 'freshness' || k === 'service-silent') && subject && Object.hasOwn(RETIRED_CONSUMERS, subject)) {
      throw new UtklarError('CONFIG', `${at}: ${subject} is retired: ${RETIRED_CONSUMERS[subject]}`);
    }
    if ((k === 'consumer-lag' || k === 'freshness') && !(CONSUMER_NAMES as readonly string[]).includes(subject ?? '')) {
      throw new UtklarError('CONFIG', `${at}: ${k} needs consumer=<${CONSUMER_NAMES.join('|')}>`);
    }
    if (k === 'service-silent' && !(SERVICE_NAMES as readonly string[]).includes(subject ?? '')) {
      throw new UtklarError('CONFIG', `${at}: service-silent needs service=<${SERVICE_NAMES.join('|')}>`);
    }
    if (k === 'ward-bed-share' && opts.above === undefined) throw new UtklarError('CONFIG', `${at}: ward-bed-share needs above=<percent>`);
    const max = k === 'consumer-lag' ? (opts.max === undefined ? 0 : number(opts.max, at, 'max', /^\d{1,9}$/))
      : k === 'freshness' ? parseDuration(opts.max ?? '60s', at, 'max')
      : k === 'service-silent' ? parseDuration(opts.max ?? '30s', at, 'max')
      : k === 'dead-letter-growth' ? (opts.min === undefined ? 1 : number(opts.min, at, 'min', /^\d{1,9}$/))
      : 0;
    rules.push({
      id, kind: k,
      days: k === 'discharge-without-ready-notice' ? (opts.withinDays === undefined ? 7 : number(opts.withinDays, at, 'withinDays', /^\d{1,3}$/)) : Number(opts.days ?? 0),
      careType: opts.careType ?? null, track: opts.track ?? null,
      severity: (opts.severity as AlertRule['severity']) ?? 'warning', route: (opts.route as AlertRule['route']) ?? 'municipality',
      webhook: opts.webhook ? url(opts.webhook, at) : null,
      forMs: opts.for ? parseDuration(opts.for, at, 'for') : 0,
      above: opts.above === undefined ? null : number(opts.above, at, 'above'),
      subject, max,
      withinMs: k === 'dead-letter-growth' ? parseDuration(opts.within ?? '5m', at, 'within') : 0,
    });
  });
  return { rules, receivers };
}
