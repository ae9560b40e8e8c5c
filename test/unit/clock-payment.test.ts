import { describe, expect, it } from 'vitest';
import { at, eventBuilder } from './support/episode-events.ts';
import type { DataByType } from '../../services/contract/event.ts';
import { epochDay } from '../../services/core/stockholm-time.ts';
import { eligibility as eligibilityOf, eligibilityInput, liability, type ConditionStatus } from '../../services/clock/eligibility.ts';
import type { EpisodeState } from '../../services/clock/episode-state.ts';

import { episodeClock } from '../../services/clock/episode-clock.ts';
import { foldEpisode } from '../../services/clock/episode-state.ts';
import { amountForYear, LAW_DEFAULTS, OREBRO_RULES, type EligibilityCondition, type RegionRules } from '../../services/clock/rules.ts';

/** The conditions of an episode state, read as the clock reads them. */
const eligibility = (s: EpisodeState, now: number, rules: RegionRules) => eligibilityOf(eligibilityInput(s), now, rules);

const HOUR = 3_600_000;
const day = (year: number, month: number, d: number) => epochDay({ year, month, day: d });

const ev = eventBuilder('pay');

interface Story {
  admitted: string;
  /** null: no admission notice at all. */
  notice?: string | number | null;
  ready?: string;
  readyData?: Partial<DataByType['ready-for-discharge']>;
  discharged?: string;
  careType?: 'SOMATIC' | 'PSYCHIATRIC';
}
const episode = ({ admitted, notice, ready, readyData, discharged, careType = 'SOMATIC' }: Story) =>
  foldEpisode([
    ev('admission', admitted, { careType }),
    ...(notice === null ? [] : [ev('admission-notice', notice ?? at(admitted) + 2 * HOUR)]),
    ...(ready ? [ev('ready-for-discharge', ready, readyData)] : []),
    ...(discharged ? [ev('discharge', discharged)] : []),
  ]);

describe('free days (law default): SOMATIC 3, PSYCHIATRIC 30', () => {
  it('the defaults', () => {
    expect(LAW_DEFAULTS.payment).toEqual({ model: 'free-days', freeDays: { SOMATIC: 3, PSYCHIATRIC: 30 } });
  });

  it('somatic: billableDays = max(0, paymentDays - 3), each at 2026 = 2023 amount 10 500', () => {
    const s = episode({ admitted: '2026-02-02T08:00:00+01:00', ready: '2026-02-03T10:00:00+01:00' });
    const seen: [number, number, number | null][] = [];
    for (let d = 3; d <= 10; d++) {
      const c = episodeClock(s, at(`2026-02-${String(d).padStart(2, '0')}T15:00:00+01:00`), LAW_DEFAULTS);
      seen.push([c.paymentDays, c.billableDays, c.amountSek]);
    }
    expect(seen).toEqual([
      [1, 0, 0],
      [2, 0, 0],
      [3, 0, 0],
      [4, 1, 10500],
      [5, 2, 21000],
      [6, 3, 31500],
      [7, 4, 42000],
      [8, 5, 52500],
    ]);
    expect(episodeClock(s, at('2026-02-10T15:00:00+01:00'), LAW_DEFAULTS).liability).toBe('liable');
  });

  it('psychiatric: 30 free days', () => {
    const s = episode({ admitted: '2026-01-31T08:00:00+01:00', ready: '2026-02-01T09:00:00+01:00', careType: 'PSYCHIATRIC' });
    const on = (iso: string) => episodeClock(s, at(iso), LAW_DEFAULTS);
    expect(on('2026-03-02T10:00:00+01:00')).toMatchObject({ paymentDays: 30, billableDays: 0, amountSek: 0 });
    expect(on('2026-03-03T10:00:00+01:00')).toMatchObject({ paymentDays: 31, billableDays: 1, amountSek: 10500 });
    expect(on('2026-03-05T10:00:00+01:00')).toMatchObject({ paymentDays: 33, billableDays: 3, amountSek: 31500 });
  });

  it('free days are taken from the first payment days of the episode across ready periods', () => {
    const s = foldEpisode([
      ev('admission', '2026-01-30T08:00:00+01:00'),
      ev('admission-notice', '2026-01-30T12:00:00+01:00'),
      ev('ready-for-discharge', '2026-02-01T10:00:00+01:00'),
      ev('ready-withdrawn', '2026-02-02T09:00:00+01:00'),
      ev('ready-for-discharge', '2026-02-04T14:00:00+01:00'),
      ev('discharge', '2026-02-07T10:00:00+01:00'),
    ]);
    const c = episodeClock(s, at('2026-03-01T12:00:00+01:00'), LAW_DEFAULTS);
    // Payment days 1, 2, 5, 6, 7 Feb: the first three are free.
    expect(c.paymentDays).toBe(5);
    expect(c.billableDays).toBe(2);
    expect(c.amountSek).toBe(21000);
  });

  it('under OREBRO_RULES every payment day of an episode is a billing candidate (no free days)', () => {
    const s = episode({ admitted: '2026-02-02T08:00:00+01:00', ready: '2026-02-03T10:00:00+01:00', discharged: '2026-02-05T10:00:00+01:00' });
    expect(episodeClock(s, at('2026-03-01T00:00:00+01:00'), OREBRO_RULES)).toMatchObject({ paymentDays: 3, billableDays: 3, amountSek: 31500 });
  });
});

describe('amount per day by year', () => {
  it('amountForYear: the latest table year ≤ the year; none before 2019', () => {
    const t = LAW_DEFAULTS.amountPerDayByYear;
    expect(amountForYear(t, 2019)).toBe(7800);
    expect(amountForYear(t, 2020)).toBe(7800);
    expect(amountForYear(t, 2021)).toBe(7800);
    expect(amountForYear(t, 2022)).toBe(9300);
    expect(amountForYear(t, 2023)).toBe(10500);
    expect(amountForYear(t, 2024)).toBe(10500);
    expect(amountForYear(t, 2018)).toBeUndefined();
    expect(amountForYear({}, 2024)).toBeUndefined();
  });

  it('an agreement can override the table', () => {
    const rules: RegionRules = { ...LAW_DEFAULTS, amountPerDayByYear: { ...LAW_DEFAULTS.amountPerDayByYear, 2026: 12000 } };
    expect(amountForYear(rules.amountPerDayByYear, 2025)).toBe(10500);
    expect(amountForYear(rules.amountPerDayByYear, 2026)).toBe(12000);
    const s = episode({ admitted: '2026-02-02T08:00:00+01:00', ready: '2026-02-03T10:00:00+01:00', discharged: '2026-02-07T10:00:00+01:00' });
    expect(episodeClock(s, at('2026-03-01T00:00:00+01:00'), rules).amountSek).toBe(2 * 12000);
  });

  it('each billable day at its own year’s amount (31 Dec 2022 → 1 Jan 2023)', () => {
    const s = episode({ admitted: '2022-12-26T08:00:00+01:00', ready: '2022-12-27T09:00:00+01:00', discharged: '2023-01-02T10:00:00+01:00' });
    const c = episodeClock(s, at('2023-02-01T00:00:00+01:00'), LAW_DEFAULTS);
    expect(c.paymentDayList).toEqual([day(2022, 12, 27), day(2022, 12, 28), day(2022, 12, 29), day(2022, 12, 30), day(2022, 12, 31), day(2023, 1, 1), day(2023, 1, 2)]);
    expect(c.billableDays).toBe(4);
    expect(c.amountSek).toBe(2 * 9300 + 2 * 10500);
  });

  it('a billable day in a year before 2019 makes the amount null; no billable days is 0', () => {
    const long = episode({ admitted: '2018-03-01T08:00:00+01:00', ready: '2018-03-02T09:00:00+01:00', discharged: '2018-03-10T10:00:00+01:00' });
    expect(episodeClock(long, at('2018-04-01T00:00:00+02:00'), LAW_DEFAULTS)).toMatchObject({ paymentDays: 9, billableDays: 6, amountSek: null });
    const short = episode({ admitted: '2018-03-01T08:00:00+01:00', ready: '2018-03-02T09:00:00+01:00', discharged: '2018-03-04T10:00:00+01:00' });
    expect(episodeClock(short, at('2018-04-01T00:00:00+02:00'), LAW_DEFAULTS)).toMatchObject({ paymentDays: 3, billableDays: 0, amountSek: 0 });
    const across = episode({ admitted: '2018-12-26T08:00:00+01:00', ready: '2018-12-27T09:00:00+01:00', discharged: '2019-01-03T10:00:00+01:00' });
    expect(episodeClock(across, at('2019-02-01T00:00:00+01:00'), LAW_DEFAULTS)).toMatchObject({ billableDays: 5, amountSek: null });
  });
});

describe('eligibility: admission notice within 24 h', () => {
  const admitted = '2026-02-02T08:00:00+01:00';
  const ready = '2026-02-03T10:00:00+01:00';
  const later = at('2026-02-20T12:00:00+01:00');

  it('exactly 24 h after admission → met, liable', () => {
    const c = episodeClock(episode({ admitted, notice: at(admitted) + 24 * HOUR, ready }), later, LAW_DEFAULTS);
    expect(c.conditions['admission-notice-in-time']).toBe('met');
    expect(c.liability).toBe('liable');
    expect(c.billableDays).toBe(c.paymentDays - 3);
  });

  it('1 ms after 24 h → unmet → not-liable: billableDays 0, amount 0, payment days still counted', () => {
    const c = episodeClock(episode({ admitted, notice: at(admitted) + 24 * HOUR + 1, ready }), later, LAW_DEFAULTS);
    expect(c.conditions['admission-notice-in-time']).toBe('unmet');
    expect(c.liability).toBe('not-liable');
    expect(c.paymentDays).toBe(18);
    expect(c.billableDays).toBe(0);
    expect(c.amountSek).toBe(0);
  });

  it('none yet and still within 24 h → pending; none and past 24 h → unmet', () => {
    const s = episode({ admitted, notice: null });
    expect(eligibility(s, at(admitted) + 23 * HOUR, LAW_DEFAULTS)['admission-notice-in-time']).toBe('pending');
    expect(eligibility(s, at(admitted) + 24 * HOUR, LAW_DEFAULTS)['admission-notice-in-time']).toBe('pending');
    expect(eligibility(s, at(admitted) + 24 * HOUR + 1, LAW_DEFAULTS)['admission-notice-in-time']).toBe('unmet');
  });

  it('a late notice does not undo an earlier one in time', () => {
    const s = foldEpisode([ev('admission', admitted), ev('admission-notice', '2026-02-02T10:00:00+01:00'), ev('admission-notice', '2026-02-05T10:00:00+01:00')]);
    expect(eligibility(s, later, LAW_DEFAULTS)['admission-notice-in-time']).toBe('met');
  });

  it('the window is a setting', () => {
    const s = episode({ admitted, notice: at(admitted) + 30 * HOUR, ready });
    expect(eligibility(s, later, LAW_DEFAULTS)['admission-notice-in-time']).toBe('unmet');
    expect(eligibility(s, later, { ...LAW_DEFAULTS, admissionNoticeWithinHours: 48 })['admission-notice-in-time']).toBe('met');
  });

  it('no admission yet → pending', () => {
    const s = foldEpisode([ev('admission-notice', admitted)]);
    expect(eligibility(s, later, LAW_DEFAULTS)['admission-notice-in-time']).toBe('pending');
  });
});

describe('eligibility: admission notice within 24 h of the later of admission and the judgement of need', () => {
  const admitted = '2026-02-02T08:00:00+01:00';
  const later = at('2026-02-20T12:00:00+01:00');
  const noticed = (noticeAt: string, needJudgedAt: string | null) =>
    foldEpisode([ev('admission', admitted), ev('admission-notice', noticeAt, { needJudgedAt: needJudgedAt === null ? null : at(needJudgedAt) })]);

  it('need judged on day 3 at 14:00: a notice until day 4 14:00 is in time, one a millisecond later is not', () => {
    expect(eligibility(noticed('2026-02-05T14:00:00+01:00', '2026-02-04T14:00:00+01:00'), later, LAW_DEFAULTS)['admission-notice-in-time']).toBe('met');
    expect(eligibility(noticed('2026-02-05T14:00:00.001+01:00', '2026-02-04T14:00:00+01:00'), later, LAW_DEFAULTS)['admission-notice-in-time']).toBe('unmet');
    // Without a judgement the same notice is two days late.
    expect(eligibility(noticed('2026-02-05T14:00:00+01:00', null), later, LAW_DEFAULTS)['admission-notice-in-time']).toBe('unmet');
  });

  it('a judgement before the admission changes nothing; of two notices the earliest judgement counts', () => {
    expect(eligibility(noticed('2026-02-03T08:00:00+01:00', '2026-02-01T09:00:00+01:00'), later, LAW_DEFAULTS)['admission-notice-in-time']).toBe('met');
    expect(eligibility(noticed('2026-02-03T08:00:00.001+01:00', '2026-02-01T09:00:00+01:00'), later, LAW_DEFAULTS)['admission-notice-in-time']).toBe('unmet');
    const two = foldEpisode([
      ev('admission', admitted),
      ev('admission-notice', '2026-02-07T10:00:00+01:00', { needJudgedAt: at('2026-02-06T12:00:00+01:00') }),
      ev('admission-notice', '2026-02-08T10:00:00+01:00', { needJudgedAt: at('2026-02-07T12:00:00+01:00') }),
    ]);
    expect(two.admissionNeedJudgedAt).toBe(at('2026-02-06T12:00:00+01:00'));
    expect(eligibility(two, later, LAW_DEFAULTS)['admission-notice-in-time']).toBe('met');
  });

  it('a state without a judgement keeps the shape it was stored in', () => {
    expect('admissionNeedJudgedAt' in noticed('2026-02-02T10:00:00+01:00', null)).toBe(false);
  });
});

describe('eligibility: information transferred by the discharge day, and the patient did not decline', () => {
  const admitted = '2026-03-27T08:00:00+01:00';
  const ready = '2026-03-28T10:00:00+01:00';
  // The night the clocks go forward: the discharge day ends at 24:00 CEST (22:00 UTC).
  const discharged = '2026-03-29T11:00:00+02:00';
  const stay = (discharge: Partial<DataByType['discharge']> | null) =>
    foldEpisode([ev('admission', admitted), ev('admission-notice', '2026-03-27T09:00:00+01:00'), ev('ready-for-discharge', ready), ...(discharge ? [ev('discharge', discharged, discharge)] : [])]);
  const of = (s: EpisodeState) => eligibility(s, at('2026-05-01T12:00:00+02:00'), LAW_DEFAULTS);

  it('information: by 23:59:59.999 of the discharge day met, from its midnight unmet, never reported unmet; pending until the discharge', () => {
    expect(of(stay({ informationTransferredAt: at('2026-03-29T23:59:59.999+02:00') }))['information-transferred-by-discharge']).toBe('met');
    expect(of(stay({ informationTransferredAt: at('2026-03-28T16:00:00+01:00') }))['information-transferred-by-discharge']).toBe('met');
    expect(of(stay({ informationTransferredAt: at('2026-03-30T00:00:00+02:00') }))['information-transferred-by-discharge']).toBe('unmet');
    expect(of(stay({}))['information-transferred-by-discharge']).toBe('unmet');
    expect(of(stay(null))['information-transferred-by-discharge']).toBe('pending');
    expect(of(foldEpisode([ev('admission', admitted), ev('discharge', discharged)]))['information-transferred-by-discharge']).toBe('not-applicable');
  });

  it('declined: unmet; not declined: met once discharged, pending before', () => {
    expect(of(stay({ patientDeclinedServices: true }))['patient-did-not-decline']).toBe('unmet');
    expect(of(stay({ patientDeclinedServices: false }))['patient-did-not-decline']).toBe('met');
    expect(of(stay({}))['patient-did-not-decline']).toBe('met');
    expect(of(stay(null))['patient-did-not-decline']).toBe('pending');
  });

  it('recorded always, deciding liability only where the agreement requires them', () => {
    const declined = stay({ patientDeclinedServices: true, informationTransferredAt: null });
    const now = at('2026-05-01T12:00:00+02:00');
    expect(episodeClock(declined, now, LAW_DEFAULTS).liability).toBe('liable');
    const strict: RegionRules = { ...LAW_DEFAULTS, conditions: [...LAW_DEFAULTS.conditions, 'patient-did-not-decline'] };
    expect(episodeClock(declined, now, strict)).toMatchObject({ liability: 'not-liable', billableDays: 0 });
    const informed: RegionRules = { ...LAW_DEFAULTS, conditions: [...LAW_DEFAULTS.conditions, 'information-transferred-by-discharge'] };
    expect(episodeClock(declined, now, informed).liability).toBe('not-liable');
    expect(episodeClock(stay({ informationTransferredAt: at(discharged) }), now, informed).liability).toBe('liable');
  });
});

describe('eligibility: SIP kallelse within 3 Stockholm calendar days of the ready notice', () => {
  const withSip = (sipCalledAt: string | null, ready = '2026-02-02T15:00:00+01:00') =>
    episode({ admitted: '2026-02-01T08:00:00+01:00', ready, readyData: { sipNeeded: true, sipCalledAt: sipCalledAt === null ? null : at(sipCalledAt) } });
  const sip = (s: ReturnType<typeof withSip>, now: string) => eligibility(s, at(now), LAW_DEFAULTS)['sip-called-in-time'];

  it('called on the 3rd calendar day (any hour) → met', () => {
    expect(sip(withSip('2026-02-03T09:00:00+01:00'), '2026-02-20T12:00:00+01:00')).toBe('met');
    expect(sip(withSip('2026-02-05T23:59:59+01:00'), '2026-02-20T12:00:00+01:00')).toBe('met');
  });

  it('called on the 4th day → unmet → not-liable', () => {
    const s = withSip('2026-02-06T00:00:01+01:00');
    expect(sip(s, '2026-02-20T12:00:00+01:00')).toBe('unmet');
    const c = episodeClock(s, at('2026-02-20T12:00:00+01:00'), LAW_DEFAULTS);
    expect(c.liability).toBe('not-liable');
    expect(c.billableDays).toBe(0);
  });

  it('not yet called: pending while within the 3 days, unmet after', () => {
    const s = withSip(null);
    expect(sip(s, '2026-02-05T23:59:59+01:00')).toBe('pending');
    expect(episodeClock(s, at('2026-02-05T23:59:59+01:00'), LAW_DEFAULTS).liability).toBe('pending');
    expect(sip(s, '2026-02-06T00:00:00+01:00')).toBe('unmet');
  });

  it('counts calendar days across the spring DST switch', () => {
    expect(sip(withSip('2026-03-30T23:30:00+02:00', '2026-03-27T15:00:00+01:00'), '2026-04-10T12:00:00+02:00')).toBe('met');
    expect(sip(withSip('2026-03-31T00:30:00+02:00', '2026-03-27T15:00:00+01:00'), '2026-04-10T12:00:00+02:00')).toBe('unmet');
  });

  it('no SIP needed → not-applicable; no ready notice → ready-notice-sent not-applicable', () => {
    const s = episode({ admitted: '2026-02-01T08:00:00+01:00', ready: '2026-02-02T15:00:00+01:00' });
    expect(eligibility(s, at('2026-02-20T12:00:00+01:00'), LAW_DEFAULTS)).toMatchObject({ 'sip-called-in-time': 'not-applicable', 'ready-notice-sent': 'met' });
    const admittedOnly = episode({ admitted: '2026-02-01T08:00:00+01:00' });
    expect(eligibility(admittedOnly, at('2026-02-20T12:00:00+01:00'), LAW_DEFAULTS)['ready-notice-sent']).toBe('not-applicable');
  });
});

describe('eligibility: fast vårdkontakt for GREEN, YELLOW and RED', () => {
  const WITH_FVK: RegionRules = { ...LAW_DEFAULTS, conditions: [...LAW_DEFAULTS.conditions, 'fast-vardkontakt-appointed'] };
  const coloured = (trackColour: DataByType['ready-for-discharge']['trackColour'], fastVardkontaktAppointed: boolean) =>
    episode({ admitted: '2026-02-01T08:00:00+01:00', ready: '2026-02-02T10:00:00+01:00', readyData: { trackColour, fastVardkontaktAppointed } });
  const now = at('2026-02-20T12:00:00+01:00');

  it('GREEN/YELLOW/RED: met when appointed, unmet when not; NONE/BLUE not applicable', () => {
    for (const colour of ['GREEN', 'YELLOW', 'RED'] as const) {
      expect(eligibility(coloured(colour, true), now, LAW_DEFAULTS)['fast-vardkontakt-appointed'], colour).toBe('met');
      expect(eligibility(coloured(colour, false), now, LAW_DEFAULTS)['fast-vardkontakt-appointed'], colour).toBe('unmet');
    }
    for (const colour of ['NONE', 'BLUE'] as const) {
      expect(eligibility(coloured(colour, false), now, LAW_DEFAULTS)['fast-vardkontakt-appointed'], colour).toBe('not-applicable');
    }
  });

  it('decides liability only when the rules’ conditions include it', () => {
    const s = coloured('GREEN', false);
    expect(LAW_DEFAULTS.conditions).not.toContain('fast-vardkontakt-appointed');
    expect(episodeClock(s, now, LAW_DEFAULTS)).toMatchObject({ liability: 'liable', paymentDays: 19, billableDays: 16 });
    expect(episodeClock(s, now, WITH_FVK)).toMatchObject({ liability: 'not-liable', billableDays: 0, amountSek: 0 });
    expect(episodeClock(coloured('BLUE', false), now, WITH_FVK).liability).toBe('liable');
  });

  it('which colours require it is a setting', () => {
    const redOnly: RegionRules = { ...WITH_FVK, fastVardkontaktRequiredFor: ['RED'] };
    expect(eligibility(coloured('GREEN', false), now, redOnly)['fast-vardkontakt-appointed']).toBe('not-applicable');
    expect(eligibility(coloured('RED', false), now, redOnly)['fast-vardkontakt-appointed']).toBe('unmet');
  });
});

describe('liability', () => {
  const all = (status: ConditionStatus): Record<EligibilityCondition, ConditionStatus> => ({
    'admission-notice-in-time': status,
    'ready-notice-sent': status,
    'sip-called-in-time': status,
    'fast-vardkontakt-appointed': status,
    'information-transferred-by-discharge': status,
    'patient-did-not-decline': status,
  });

  it('liable when required conditions are met or not applicable', () => {
    expect(liability(all('met'), LAW_DEFAULTS)).toBe('liable');
    expect(liability({ ...all('met'), 'sip-called-in-time': 'not-applicable' }, LAW_DEFAULTS)).toBe('liable');
  });

  it('not-liable beats pending; pending otherwise', () => {
    expect(liability({ ...all('met'), 'sip-called-in-time': 'pending' }, LAW_DEFAULTS)).toBe('pending');
    expect(liability({ ...all('pending'), 'admission-notice-in-time': 'unmet' }, LAW_DEFAULTS)).toBe('not-liable');
  });

  it('ignores conditions the agreement does not require', () => {
    expect(liability({ ...all('met'), 'fast-vardkontakt-appointed': 'unmet' }, LAW_DEFAULTS)).toBe('liable');
    expect(liability(all('unmet'), { ...LAW_DEFAULTS, conditions: [] })).toBe('liable');
  });
});
