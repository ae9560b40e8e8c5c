import { UtklarError } from '../core/errors.ts';

/**
 * Alert rules, one per line (`#` starts a comment):
 *
 *   <id> <kind> [key=value ...]
 *
 *   long-wait      utklar-days       days=7 careType=SOMATIC track=RED
 *   sip-late       sip-not-called
 *   no-notice      ready-without-admission-notice
 *   payment        payment-started
 *
 * Every rule may add `severity=warning|critical` and `webhook=<url>`; `route=municipality|unit|region`
 * adds the responsible municipality / unit / region to the alert's routing labels. A bad line is
 * reported with its number and nothing starts.
 */
export const KINDS = ['utklar-days', 'sip-not-called', 'ready-without-admission-notice', 'payment-started'] as const;
export type RuleKind = (typeof KINDS)[number];

export interface AlertRule {
  id: string;
  kind: RuleKind;
  days: number;
  careType: string | null;
  track: string | null;
  severity: 'warning' | 'critical';
  route: 'municipality' | 'unit' | 'region';
  webhook: string | null;
}

const KEYS: Record<RuleKind, string[]> = {
  'utklar-days': ['days', 'careType', 'track'],
  'sip-not-called': ['careType'],
  'ready-without-admission-notice': ['careType'],
  'payment-started': ['careType'],
};
const COMMON = ['severity', 'route', 'webhook'];

export function parseRules(text: string, file: string): AlertRule[] {
  const rules: AlertRule[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const at = `${file}:${i + 1}`;
    const [id, kind, ...pairs] = line.split(/\s+/);
    if (!id || !/^[a-z0-9][a-z0-9-]*$/.test(id)) throw new UtklarError('CONFIG', `${at}: rule id '${id}' must be lower-case letters, digits and '-'`);
    if (rules.some((r) => r.id === id)) throw new UtklarError('CONFIG', `${at}: rule id '${id}' is used twice`);
    if (!(KINDS as readonly string[]).includes(kind ?? '')) throw new UtklarError('CONFIG', `${at}: unknown kind '${kind ?? ''}' (known: ${KINDS.join(', ')})`);
    const k = kind as RuleKind;
    const opts: Record<string, string> = {};
    for (const p of pairs) {
      const m = /^([A-Za-z]+)=(\S+)$/.exec(p);
      if (!m) throw new UtklarError('CONFIG', `${at}: expected key=value, got '${p}'`);
      if (![...KEYS[k], ...COMMON].includes(m[1]!)) throw new UtklarError('CONFIG', `${at}: '${m[1]}' is not a setting of ${k} (settings: ${[...KEYS[k], ...COMMON].join(', ')})`);
      opts[m[1]!] = m[2]!;
    }
    if (k === 'utklar-days' && !/^\d{1,3}$/.test(opts.days ?? '')) throw new UtklarError('CONFIG', `${at}: utklar-days needs days=N (a whole number)`);
    if (opts.severity && !['warning', 'critical'].includes(opts.severity)) throw new UtklarError('CONFIG', `${at}: severity must be warning or critical`);
    if (opts.route && !['municipality', 'unit', 'region'].includes(opts.route)) throw new UtklarError('CONFIG', `${at}: route must be municipality, unit or region`);
    if (opts.webhook && !/^https?:\/\/\S+$/.test(opts.webhook)) throw new UtklarError('CONFIG', `${at}: webhook must be an http(s) URL`);
    rules.push({
      id, kind: k, days: Number(opts.days ?? 0), careType: opts.careType ?? null, track: opts.track ?? null,
      severity: (opts.severity as AlertRule['severity']) ?? 'warning', route: (opts.route as AlertRule['route']) ?? 'municipality', webhook: opts.webhook ?? null,
    });
  });
  return rules;
}
