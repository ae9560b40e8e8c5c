import { createHash } from 'node:crypto';
import type { BoardEpisode } from '../board/board-feed.ts';
import { paymentDaysOn, utklarDaysOn } from '../facts/day-counts.ts';
import type { AlertRule } from './rules.ts';

/** One condition that holds now, identified by a fingerprint that stays the same while it holds. */
export interface ActiveAlert {
  fingerprint: string;
  rule: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  webhook: string | null;
  /** How long it must hold before it fires (the rule's `for`). */
  forMs: number;
}

export type OpenEpisode = BoardEpisode & { region: string };

/** A discharged episode still remembered by the clock service (its readmission window). */
export interface ClosedEpisode {
  episodeId: string;
  region: string;
  hospital: string;
  ward: string;
  homeMunicipality: string;
  careType: string;
  /** Stockholm epoch day of the discharge. */
  dischargedDay: number;
  problems: string[];
}

/** Month-to-date payment days per discharged ready patient, per liable (recipient) municipality and care type, as on the invoice. */
export interface MunicipalityAverage {
  region: string;
  municipality: string;
  careType: string;
  /** YYYY-MM */
  month: string;
  episodes: number;
  average: number;
}

/** Everything the rules look at, gathered by services/alerting/observe.ts. */
export interface Observations {
  /** Today as a Stockholm epoch day. */
  today: number;
  episodes: OpenEpisode[];
  closed: ClosedEpisode[];
  averages: MunicipalityAverage[];
  /** Available beds per `hospital/ward` on the latest capacity day up to today. */
  wardBeds: Record<string, number>;
  /** Messages each consumer group is behind. */
  lag: Record<string, number>;
  /** `consumer|maxMs` → an unconsumed message older than maxMs exists. */
  stale: Record<string, boolean>;
  /** The dead-letter topic's message count now and its earlier samples ([time, count], oldest first). */
  deadLetters: { count: number; samples: [number, number][] };
  /** Last heartbeat per service (ms); missing ones count from `watchingSince`. */
  heartbeats: Record<string, number>;
  watchingSince: number;
  now: number;
  /** The agreement's threshold, for municipality-average rules without `above`. */
  paymentThreshold: number;
}

const fingerprint = (rule: string, subject: string) => createHash('sha256').update(`${rule}\u0000${subject}`).digest('hex').slice(0, 16);
const decimal = (v: number) => v.toFixed(1).replace('.', ',');

function alert(r: AlertRule, subject: string, labels: Record<string, string>, summary: string): ActiveAlert {
  return {
    fingerprint: fingerprint(r.id, subject),
    rule: r.id,
    labels: { alertname: r.id, kind: r.kind, severity: r.severity, ...labels },
    annotations: { summary },
    webhook: r.webhook,
    forMs: r.forMs,
  };
}

/**
 * The routing labels of an episode's alert. `route=municipality` names the patient's home
 * municipality, except for payment rules: the payment days are the liable municipality's, the
 * ready notice's recipient (as on the invoice), which need not be the home one.
 */
function routing(r: AlertRule, e: { region: string; homeMunicipality: string; recipientMunicipality?: string; hospital: string; ward: string }): Record<string, string> {
  if (r.route === 'municipality') return { municipality: r.kind === 'payment-started' && e.recipientMunicipality ? e.recipientMunicipality : e.homeMunicipality };
  return r.route === 'unit' ? { hospital: e.hospital, ward: e.ward } : { region: e.region };
}

function episodeAlerts(r: AlertRule, o: Observations): ActiveAlert[] {
  const out: ActiveAlert[] = [];
  if (r.kind === 'discharge-without-ready-notice') {
    for (const e of o.closed) {
      if (r.careType && e.careType !== r.careType) continue;
      if (o.today - e.dischargedDay > r.days || !e.problems.includes('discharge-to-municipal-care-without-ready-notice')) continue;
      out.push(alert(r, e.episodeId, { episodeId: e.episodeId, hospital: e.hospital, ward: e.ward, ...routing(r, e) }, 'utskriven till kommunal vård utan utskrivningsklar-meddelande'));
    }
    return out;
  }
  for (const e of o.episodes) {
    if (r.careType && e.careType !== r.careType) continue;
    if (r.track && e.trackColour !== r.track) continue;
    const days = utklarDaysOn(e, o.today);
    const holds =
      r.kind === 'utklar-days' ? days >= r.days
      : r.kind === 'sip-not-called' ? e.sip === 'unmet'
      : r.kind === 'ready-without-admission-notice' ? e.problems.includes('ready-without-admission-notice')
      : paymentDaysOn(e, o.today) > 0;
    if (!holds) continue;
    const summary = r.kind === 'utklar-days' ? `utskrivningsklar ${days} dagar (gräns ${r.days})`
      : r.kind === 'payment-started' ? `betalningsansvar dag ${paymentDaysOn(e, o.today)}`
      : r.kind;
    out.push(alert(r, e.episodeId, { episodeId: e.episodeId, hospital: e.hospital, ward: e.ward, ...routing(r, e) }, summary));
  }
  return out;
}

function aggregateAlerts(r: AlertRule, o: Observations): ActiveAlert[] {
  if (r.kind === 'municipality-average') {
    const above = r.above ?? o.paymentThreshold;
    return o.averages
      .filter((a) => (!r.careType || a.careType === r.careType) && a.average > above)
      .map((a) => alert(r, `${a.region}/${a.municipality}/${a.careType}/${a.month}`,
        { region: a.region, municipality: a.municipality, careType: a.careType, month: a.month },
        `medel ${decimal(a.average)} betalningsdagar per patient hittills i ${a.month} (gräns ${decimal(above)}, ${a.episodes} utskrivna)`));
  }
  const ready = new Map<string, { region: string; hospital: string; ward: string; n: number }>();
  for (const e of o.episodes) {
    const key = `${e.hospital}/${e.ward}`;
    const w = ready.get(key) ?? { region: e.region, hospital: e.hospital, ward: e.ward, n: 0 };
    w.n++;
    ready.set(key, w);
  }
  const out: ActiveAlert[] = [];
  for (const [key, w] of ready) {
    const beds = o.wardBeds[key];
    if (!beds) continue;
    const share = (100 * w.n) / beds;
    if (share > r.above!) {
      out.push(alert(r, key, { region: w.region, hospital: w.hospital, ward: w.ward }, `${w.n} av ${beds} vårdplatser (${Math.round(share)} %) har utskrivningsklara patienter (gräns ${r.above} %)`));
    }
  }
  return out;
}

function healthAlerts(r: AlertRule, o: Observations): ActiveAlert[] {
  const s = r.subject ?? '';
  if (r.kind === 'consumer-lag') {
    const lag = o.lag[s] ?? 0;
    return lag > r.max ? [alert(r, s, { consumer: s }, `${s} ligger ${lag} meddelanden efter (gräns ${r.max})`)] : [];
  }
  if (r.kind === 'freshness') {
    return o.stale[`${s}|${r.max}`] ? [alert(r, s, { consumer: s }, `${s}: ett okonsumerat meddelande är äldre än ${r.max / 1000} s`)] : [];
  }
  if (r.kind === 'service-silent') {
    const silent = o.now - (o.heartbeats[s] ?? o.watchingSince);
    return silent > r.max ? [alert(r, s, { service: s }, `${s} har inte hörts av på ${Math.round(silent / 1000)} s (gräns ${r.max / 1000} s)`)] : [];
  }
  // dead-letter-growth: compared with the latest sample at or before the window's start.
  const from = o.now - r.withinMs;
  const before = [...o.deadLetters.samples].reverse().find(([t]) => t <= from) ?? o.deadLetters.samples[0];
  const growth = before ? o.deadLetters.count - before[1] : 0;
  return growth >= r.max ? [alert(r, 'dead-letters', {}, `${growth} nya meddelanden i dead-letter-topic på ${r.withinMs / 60_000} min`)] : [];
}

/**
 * The alerts that hold now. Pure: every input is in `o`. Only the pseudonymous episode id and
 * the unit or municipality appear in labels (no personal data leaves in payloads).
 */
export function evaluate(rules: AlertRule[], o: Observations): ActiveAlert[] {
  return rules.flatMap((r) =>
    r.kind === 'municipality-average' || r.kind === 'ward-bed-share' ? aggregateAlerts(r, o)
    : r.kind === 'consumer-lag' || r.kind === 'freshness' || r.kind === 'service-silent' || r.kind === 'dead-letter-growth' ? healthAlerts(r, o)
    : episodeAlerts(r, o));
}
