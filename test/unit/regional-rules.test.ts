import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { at, eventBuilder } from './support/episode-events.ts';
import { loadAgreementSet } from '../../services/agreements/agreement-set.ts';
import { regionalRules } from '../../services/agreements/regional-rules.ts';
import { stateChanged } from '../../services/clock/changelog.ts';
import { factsAt } from '../../services/clock/clock-facts.ts';
import { episodeClock } from '../../services/clock/episode-clock.ts';
import { foldEpisode } from '../../services/clock/episode-state.ts';
import { OREBRO_RULES } from '../../services/clock/rules.ts';
import { episodeFact } from '../../services/facts/episode-fact.ts';

/**
 * Two regions, one deployment, different clock terms (issue #17: "several regions in one
 * deployment, each with its own agreement"): region 01 (a Stockholm-like file written here)
 * counts a ready notice sent at exactly 12:00:00 as before noon and requires the information to
 * be transferred by the discharge day; region 18 keeps Örebro's (12:00:00 is after noon, no such
 * condition). The same events, only the region differs.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'utklar-regional-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, 'region-01.json');
writeFileSync(file, JSON.stringify({ region: '01', name: 'Region 01', versions: [
  {
    validFrom: '2018-01-01', validTo: '2026-12-31',
    model: { type: 'free-days', freeDays: { SOMATIC: 2, PSYCHIATRIC: 5 } },
    noon: { hour: 12, inclusive: true },
    conditions: { required: ['admission-notice-in-time', 'ready-notice-sent', 'information-transferred-by-discharge'], admissionNoticeWithinHours: 24, sipCalledWithinDays: 3, fastVardkontaktRequiredFor: [] },
  },
  {
    // From 1 January 2027 region 01 goes back to the 12:00 rule without the information condition.
    validFrom: '2027-01-01',
    model: { type: 'free-days', freeDays: { SOMATIC: 2, PSYCHIATRIC: 5 } },
    noon: { hour: 12, inclusive: false },
    conditions: { required: ['admission-notice-in-time', 'ready-notice-sent'], admissionNoticeWithinHours: 24, sipCalledWithinDays: 3, fastVardkontaktRequiredFor: [] },
  },
] }));
const set = loadAgreementSet(`${file},${path.resolve('services/agreements/orebro.json')}`, 'orebro');
const rules = regionalRules(OREBRO_RULES, set);

/** Admitted 30 Nov, ready at exactly 12:00:00 on 1 Dec 2026, discharged `dischargedIso` without the information transferred. */
function episode(region: string, dischargedIso: string | null, episodeId = `E-${region}`) {
  const ev = eventBuilder(`${region}-${dischargedIso}`, episodeId);
  const events = [
    ev('admission', '2026-11-30T08:00:00+01:00', { region, homeMunicipality: region === '01' ? '0180' : '1880' }),
    ev('admission-notice', '2026-11-30T10:00:00+01:00', { recipientMunicipality: region === '01' ? '0180' : '1880' }),
    ev('ready-for-discharge', '2026-12-01T12:00:00+01:00', { recipientMunicipality: region === '01' ? '0180' : '1880' }),
  ];
  if (dischargedIso) events.push(ev('discharge', dischargedIso));
  return foldEpisode(events);
}

describe("each region's clock terms from its own agreement", () => {
  const now = at('2026-12-03T09:00:00+01:00');

  it('the noon rule: 12:00:00 is payment day 1 in region 01 (inclusive), day 0 in region 18', () => {
    // Region 01: 1, 2, 3 Dec are payment days; region 18: 2 and 3 Dec.
    expect(episodeClock(episode('01', null), now, rules).paymentDays).toBe(3);
    expect(episodeClock(episode('18', null), now, rules).paymentDays).toBe(2);
    // The deployment's rules alone (no agreements): both as Örebro.
    expect(episodeClock(episode('01', null), now, OREBRO_RULES).paymentDays).toBe(2);
  });

  it("the payment model: region 01's two free days, region 18's average (every payment day a candidate)", () => {
    expect(episodeClock(episode('01', null), now, rules).billableDays).toBe(1);
    expect(episodeClock(episode('18', null), now, rules).billableDays).toBe(2);
  });

  it('the conditions: information not transferred makes region 01 not liable, region 18 liable', () => {
    const discharged = '2026-12-04T10:00:00+01:00';
    const f01 = episodeFact(stateChanged({ state: episode('01', discharged), readmission: null }, 4, 'x'), rules);
    const f18 = episodeFact(stateChanged({ state: episode('18', discharged), readmission: null }, 4, 'x'), rules);
    expect(f01.conditions_unmet).toContain('information-transferred-by-discharge');
    expect(f01.liability).toBe('not-liable');
    expect(f18.conditions_unmet).toContain('information-transferred-by-discharge');
    expect(f18.liability).toBe('liable');
    // The facts' payment days follow the same noon rule as the board: 1–4 Dec against 2–4 Dec.
    expect(f01.payment_days.length).toBe(4);
    expect(f18.payment_days.length).toBe(3);
  });

  it('an episode is counted under the agreement in force on its discharge day (1 January changes it)', () => {
    const before = episodeFact(stateChanged({ state: episode('01', '2026-12-31T10:00:00+01:00'), readmission: null }, 4, 'x'), rules);
    const after = episodeFact(stateChanged({ state: episode('01', '2027-01-01T10:00:00+01:00'), readmission: null }, 4, 'x'), rules);
    expect(before.liability).toBe('not-liable');
    expect(after.liability).toBe('liable');
    // 1 Dec 12:00:00 is before noon under the 2026 version, after it under 2027's.
    expect(before.payment_days[0]).toBe(after.payment_days[0]! - 1);
  });

  it('the clock events: payment responsibility starts on the day region 01 passes its free days', () => {
    const s = episode('01', null);
    const started = (iso: string) => factsAt(s, at(iso), 0, false, rules).facts.some((f) => f.kind === 'PAYMENT_RESPONSIBILITY_STARTED');
    // Payment days 1 and 2 Dec are free; responsibility starts as 3 Dec, the first billable day, begins.
    expect(started('2026-12-02T00:00:00+01:00')).toBe(false);
    expect(started('2026-12-03T00:00:00+01:00')).toBe(true);
    // Region 18 (average model, no free days): from its first payment day, 2 Dec.
    const s18 = episode('18', null);
    expect(factsAt(s18, at('2026-12-02T00:00:00+01:00'), 0, false, rules).facts.some((f) => f.kind === 'PAYMENT_RESPONSIBILITY_STARTED')).toBe(true);
  });

  it('what measures the stream stays the deployment\'s whatever the region', () => {
    const r = rules.byRegion!('01', 20_000)!;
    expect(r.allowedLatenessMs).toBe(OREBRO_RULES.allowedLatenessMs);
    expect(r.readmission).toEqual(OREBRO_RULES.readmission);
    expect(r.retainClosedEpisodeDays).toBe(OREBRO_RULES.retainClosedEpisodeDays);
  });
});
