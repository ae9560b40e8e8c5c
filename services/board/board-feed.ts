import { stateChanged } from '../clock/changelog.ts';
import type { ClockReads } from '../store/clock-reads.ts';
import { eligibility, eligibilityInput } from '../clock/eligibility.ts';
import { episodeRules, type RegionRules } from '../clock/rules.ts';
import { UtklarError } from '../core/errors.ts';
import { ageGroup, episodeFact } from '../facts/episode-fact.ts';
import type { Scope } from '../model/scope.ts';
import { visibleIndexEpisode } from '../model/readmission-visibility.ts';

/**
 * The live board's data: the open episodes of one ward, municipality or region, as the browser
 * needs them to count on by itself (ready days kept as Stockholm days, like episode_facts): the
 * snapshot only changes when an event changes an episode, and the page's counters advance at
 * each Stockholm midnight without asking the server.
 */
export interface BoardEpisode {
  episodeId: string;
  status: string;
  hospital: string;
  ward: string;
  clinic: string;
  homeMunicipality: string;
  /** The ready notice's recipient: the municipality liable for the payment days (the home municipality when no notice names one). */
  recipientMunicipality: string;
  careType: string;
  ageGroup: string;
  readySince: number | null;
  readyStartDays: number[];
  readyEndDays: number[];
  paymentDays: number;
  openPaymentFromDay: number;
  trackColour: string;
  fastVardkontakt: boolean;
  sip: 'met' | 'unmet' | 'pending' | 'not-applicable';
  delayReasons: { reasonCode: string; responsibleParty: string }[];
  /** Whether the stay is a readmission; `readmissionOf` names its index episode only where the scope may see it. */
  readmission: boolean;
  readmissionOf: string | null;
  problems: string[];
}

export type BoardSelection = { region: string } | { municipality: string } | { ward: [string, string] };

/** What a scope may look at: a region anything in it, a municipality and a unit only their own. */
export function boardSelection(scope: Scope, q: URLSearchParams): BoardSelection {
  const ward = q.get('ward');
  const municipality = q.get('municipality');
  // The board names patients' stays: it is for the care chain's coordinators, not national statistics.
  if (scope.kind === 'nation') throw new UtklarError('FORBIDDEN', 'scope nation reads indicators and de-identified rows, not the live board');
  if (scope.kind === 'unit') {
    // Naming another ward (or a municipality) is refused, as by the JSON /board, not answered with its own.
    if ((ward && ward !== `${scope.hospital}/${scope.ward}`) || municipality) throw new UtklarError('FORBIDDEN', `scope unit:${scope.hospital}/${scope.ward} cannot see another ward or a municipality`);
    return { ward: [scope.hospital, scope.ward] };
  }
  if (scope.kind === 'municipality') {
    if (municipality && municipality !== scope.municipality) throw new UtklarError('FORBIDDEN', `scope municipality:${scope.municipality} cannot see municipality ${municipality}`);
    if (ward) throw new UtklarError('FORBIDDEN', 'a municipality sees its residents, not wards');
    return { municipality: scope.municipality };
  }
  if (ward) {
    const parts = ward.split('/');
    if (parts.length !== 2 || !parts[0] || !parts[1]) throw new UtklarError('INVALID_REQUEST', 'ward: expected HOSPITAL/WARD');
    return { ward: [parts[0], parts[1]] };
  }
  if (municipality) {
    if (!/^\d{4}$/.test(municipality)) throw new UtklarError('INVALID_REQUEST', 'municipality: expected a kommunkod');
    return { municipality };
  }
  return { region: scope.region };
}

export async function boardSnapshot(clocks: Pick<ClockReads, 'openEpisodes'>, sel: BoardSelection, scope: Scope, rules: RegionRules, now: number): Promise<BoardEpisode[]> {
  return (await boardEpisodes(clocks, sel, scope, rules, now)).episodes;
}

/** The snapshot and the regions its episodes were treated in (the access log's, which the rows do not carry). */
export async function boardEpisodes(clocks: Pick<ClockReads, 'openEpisodes'>, sel: BoardSelection, scope: Scope, rules: RegionRules, now: number): Promise<{ episodes: BoardEpisode[]; regions: string[] }> {
  const shown = (await clocks.openEpisodes(sel))
    // A region token looking at a municipality sees only what was treated in its region.
    .filter(({ state: s }) => scope.kind !== 'region' || s.admission?.region === scope.region)
    .filter(({ state: s }) => s.readyPeriods.some((p) => p.end === null));
  const regions = [...new Set(shown.map(({ state: s }) => s.admission?.region).filter((r): r is string => Boolean(r)))];
  const episodes = shown
    .map((stored) => {
      const s = stored.state;
      const f = episodeFact(stateChanged(stored, 0, ''), rules);
      const open = s.readyPeriods.find((p) => p.end === null)!;
      return {
        episodeId: s.episodeId, status: s.status, hospital: f.hospital, ward: f.ward, clinic: f.clinic, homeMunicipality: f.home_municipality,
        recipientMunicipality: f.recipient_municipality,
        careType: f.care_type, ageGroup: ageGroup(s.admission?.ageYears ?? null), readySince: open.start,
        readyStartDays: f.ready_start_days, readyEndDays: f.ready_end_days, paymentDays: f.payment_days.length, openPaymentFromDay: f.open_payment_from_day,
        trackColour: open.trackColour, fastVardkontakt: open.fastVardkontaktAppointed, sip: eligibility(eligibilityInput(s), now, episodeRules(rules, s.admission?.region, s.dischargedAt, now))['sip-called-in-time'],
        delayReasons: s.delayReasons.filter((r) => r.until === null).map(({ reasonCode, responsibleParty }) => ({ reasonCode, responsibleParty })),
        readmission: stored.readmission !== null, readmissionOf: visibleIndexEpisode(stored.readmission?.indexEpisodeId ?? null, scope, rules), problems: s.problems,
      };
    })
    .sort((a, b) => (a.readySince ?? 0) - (b.readySince ?? 0) || a.episodeId.localeCompare(b.episodeId));
  return { episodes, regions };
}
