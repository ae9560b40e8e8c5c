import { createHash } from 'node:crypto';
import type { BoardEpisode } from '../api/board-feed.ts';
import { paymentDaysOn, utklarDaysOn } from '../facts/day-counts.ts';
import type { AlertRule } from './rules.ts';

/** One condition that holds now, identified by a fingerprint that stays the same while it holds. */
export interface ActiveAlert {
  fingerprint: string;
  rule: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  webhook: string | null;
}

const fingerprint = (rule: string, subject: string) => createHash('sha256').update(`${rule}\u0000${subject}`).digest('hex').slice(0, 16);

/**
 * The alerts that hold at `today` (a Stockholm day) for the open ready episodes. Pure; only the
 * pseudonymous episode id and the unit appear in labels (no personal data leaves in payloads).
 */
export function evaluate(rules: AlertRule[], episodes: (BoardEpisode & { region: string })[], today: number): ActiveAlert[] {
  const out: ActiveAlert[] = [];
  for (const r of rules) {
    for (const e of episodes) {
      if (r.careType && e.careType !== r.careType) continue;
      if (r.track && e.trackColour !== r.track) continue;
      const days = utklarDaysOn(e, today);
      const holds =
        r.kind === 'utklar-days' ? days >= r.days
        : r.kind === 'sip-not-called' ? e.sip === 'unmet'
        : r.kind === 'ready-without-admission-notice' ? e.problems.includes('ready-without-admission-notice')
        : paymentDaysOn(e, today) > 0;
      if (!holds) continue;
      const routing: Record<string, string> = r.route === 'municipality' ? { municipality: e.homeMunicipality } : r.route === 'unit' ? { hospital: e.hospital, ward: e.ward } : { region: e.region };
      out.push({
        fingerprint: fingerprint(r.id, e.episodeId),
        rule: r.id,
        labels: { alertname: r.id, kind: r.kind, severity: r.severity, episodeId: e.episodeId, hospital: e.hospital, ward: e.ward, ...routing },
        annotations: { summary: r.kind === 'utklar-days' ? `utskrivningsklar ${days} dagar (gräns ${r.days})` : r.kind },
        webhook: r.webhook,
      });
    }
  }
  return out;
}
