import { describe, expect, it } from 'vitest';
import { at, eventBuilder } from './support/episode-events.ts';
import { epochDay } from '../../services/core/stockholm-time.ts';
import { episodeClock } from '../../services/clock/episode-clock.ts';
import { canonicalEvents, compareEvents, foldEpisode } from '../../services/clock/episode-state.ts';
import { LAW_DEFAULTS } from '../../services/clock/rules.ts';

const day = (year: number, month: number, d: number) => epochDay({ year, month, day: d });

const ev = eventBuilder('es');

const admitted = () => [ev('admission', '2026-02-01T08:00:00+01:00'), ev('admission-notice', '2026-02-01T09:00:00+01:00')];

describe('withdraw and renew (several ready periods add up)', () => {
  const events = () => [
    ev('admission', '2026-01-30T08:00:00+01:00'),
    ev('admission-notice', '2026-01-30T12:00:00+01:00'),
    ev('ready-for-discharge', '2026-02-01T10:00:00+01:00'),
    ev('ready-withdrawn', '2026-02-02T09:00:00+01:00', { reasonCode: 'CONDITION_WORSENED' }),
    ev('ready-for-discharge', '2026-02-04T14:00:00+01:00', { trackColour: 'GREEN', fastVardkontaktAppointed: true }),
    ev('discharge', '2026-02-06T10:00:00+01:00'),
  ];

  it('gives two ready periods, ended by withdrawal and by discharge', () => {
    const s = foldEpisode(events());
    expect(s.status).toBe('DISCHARGED');
    expect(s.readyPeriods.map((p) => ({ start: p.start, end: p.end, endedBy: p.endedBy }))).toEqual([
      { start: at('2026-02-01T10:00:00+01:00'), end: at('2026-02-02T09:00:00+01:00'), endedBy: 'withdrawn' },
      { start: at('2026-02-04T14:00:00+01:00'), end: at('2026-02-06T10:00:00+01:00'), endedBy: 'discharge' },
    ]);
    expect(s.readyPeriods[1]!.trackColour).toBe('GREEN');
    expect(s.problems).toEqual([]);
  });

  it('utklarDays = 1 + 2 = 3; payment days = (2-1+1) + (6-4+0) = 2 + 2 = 4', () => {
    const c = episodeClock(foldEpisode(events()), at('2026-03-01T12:00:00+01:00'), LAW_DEFAULTS);
    expect(c.utklarDays).toBe(3);
    expect(c.paymentDays).toBe(4);
    expect(c.paymentDayList).toEqual([day(2026, 2, 1), day(2026, 2, 2), day(2026, 2, 5), day(2026, 2, 6)]);
    expect(c.band).toBe('2-3');
    expect(c.billableDays).toBe(1); // 4 payment days minus 3 free days
  });

  it('the clock stands still between withdrawal and renewal', () => {
    const s = foldEpisode(events().slice(0, 4));
    expect(s.status).toBe('ADMITTED');
    const on = (iso: string) => episodeClock(s, at(iso), LAW_DEFAULTS);
    expect(on('2026-02-02T20:00:00+01:00').utklarDays).toBe(1);
    expect(on('2026-02-03T20:00:00+01:00').utklarDays).toBe(1);
    expect(on('2026-02-03T20:00:00+01:00').paymentDays).toBe(2);
  });

  // Regression (found by these tests): see the fix in services/clock.
  it('a calendar day in two ready periods is one payment day, not two', () => {
    const s = foldEpisode([
      ev('admission', '2026-01-30T08:00:00+01:00'),
      ev('admission-notice', '2026-01-30T12:00:00+01:00'),
      ev('ready-for-discharge', '2026-02-01T10:00:00+01:00'),
      ev('ready-withdrawn', '2026-02-02T09:00:00+01:00'),
      ev('ready-for-discharge', '2026-02-02T10:30:00+01:00'),
      ev('discharge', '2026-02-03T14:00:00+01:00'),
    ]);
    const c = episodeClock(s, at('2026-03-01T12:00:00+01:00'), LAW_DEFAULTS);
    expect(c.paymentDayList).toEqual([day(2026, 2, 1), day(2026, 2, 2), day(2026, 2, 3)]);
    expect(c.paymentDays).toBe(3);
  });

  it('a second notice while one is open restates it: same period, new details, clock runs on', () => {
    const s = foldEpisode([
      ...admitted(),
      ev('ready-for-discharge', '2026-02-02T10:00:00+01:00', { trackColour: 'YELLOW' }),
      ev('ready-for-discharge', '2026-02-03T15:00:00+01:00', { trackColour: 'RED', sipNeeded: true }),
    ]);
    expect(s.readyPeriods).toHaveLength(1);
    expect(s.readyPeriods[0]!.start).toBe(at('2026-02-02T10:00:00+01:00'));
    expect(s.readyPeriods[0]!.trackColour).toBe('RED');
    expect(s.readyPeriods[0]!.sipNeeded).toBe(true);
    expect(episodeClock(s, at('2026-02-05T08:00:00+01:00'), LAW_DEFAULTS).utklarDays).toBe(3);
  });
});

describe('cancelled discharge (A13) and cancelled admission', () => {
  const base = () => [
    ...admitted(),
    ev('ready-for-discharge', '2026-02-03T10:00:00+01:00'),
    ev('discharge', '2026-02-05T11:00:00+01:00'),
    ev('discharge-cancelled', '2026-02-05T12:00:00+01:00', { reasonCode: 'REGISTERED_IN_ERROR' }),
  ];

  it('discharge then discharge-cancelled: READY again, the period the discharge closed is open', () => {
    const s = foldEpisode(base());
    expect(s.status).toBe('READY');
    expect(s.dischargedAt).toBeNull();
    expect(s.discharge).toBeNull();
    expect(s.readyPeriods).toHaveLength(1);
    expect(s.readyPeriods[0]).toMatchObject({ start: at('2026-02-03T10:00:00+01:00'), end: null, endedBy: null });
    expect(episodeClock(s, at('2026-02-07T09:00:00+01:00'), LAW_DEFAULTS).utklarDays).toBe(4);
    expect(s.problems).toEqual([]);
  });

  it('a later discharge closes it again', () => {
    const s = foldEpisode([...base(), ev('discharge', '2026-02-08T10:00:00+01:00', { destination: 'SHORT_TERM_CARE' })]);
    expect(s.status).toBe('DISCHARGED');
    expect(s.dischargedAt).toBe(at('2026-02-08T10:00:00+01:00'));
    expect(s.discharge?.destination).toBe('SHORT_TERM_CARE');
    expect(s.readyPeriods[0]).toMatchObject({ end: at('2026-02-08T10:00:00+01:00'), endedBy: 'discharge' });
    const c = episodeClock(s, at('2026-03-01T12:00:00+01:00'), LAW_DEFAULTS);
    expect(c.utklarDays).toBe(5);
    expect(c.paymentDays).toBe(6);
    expect(s.problems).not.toContain('discharged-twice');
  });

  it('a discharge-cancelled with the same timestamp as its discharge still applies after it', () => {
    const s = foldEpisode([
      ...admitted(),
      ev('ready-for-discharge', '2026-02-03T10:00:00+01:00'),
      ev('discharge-cancelled', '2026-02-05T11:00:00+01:00', {}, 'a-first-id'),
      ev('discharge', '2026-02-05T11:00:00+01:00', {}, 'z-last-id'),
    ]);
    expect(s.status).toBe('READY');
  });

  it('cancelled admission → CANCELLED, also with an open ready period', () => {
    expect(foldEpisode([...admitted(), ev('admission-cancelled', '2026-02-01T10:00:00+01:00')]).status).toBe('CANCELLED');
    const s = foldEpisode([...admitted(), ev('ready-for-discharge', '2026-02-02T10:00:00+01:00'), ev('admission-cancelled', '2026-02-03T10:00:00+01:00')]);
    expect(s.status).toBe('CANCELLED');
  });

  it('discharge-cancelled without a discharge is rejected and changes nothing', () => {
    const s = foldEpisode([...admitted(), ev('discharge-cancelled', '2026-02-03T10:00:00+01:00')]);
    expect(s.status).toBe('ADMITTED');
    expect(s.rejected.map((r) => r.reason)).toEqual(['discharge-cancelled without a discharge']);
  });
});

describe('event time order, not arrival order', () => {
  const story = () => [
    ev('admission', '2026-02-01T08:00:00+01:00'),
    ev('admission-notice', '2026-02-01T09:00:00+01:00', { estimatedDischargeDate: day(2026, 2, 4) }),
    ev('ready-for-discharge', '2026-02-02T10:00:00+01:00'),
    ev('delay-reason', '2026-02-02T15:00:00+01:00'),
    ev('discharge', '2026-02-05T10:00:00+01:00'),
  ];

  it('events arriving before the admission still give the right state', () => {
    const inOrder = story();
    const arrived = [inOrder[4]!, inOrder[2]!, inOrder[3]!, inOrder[1]!, inOrder[0]!];
    const s = foldEpisode(arrived);
    expect(s).toEqual(foldEpisode(inOrder));
    expect(s.status).toBe('DISCHARGED');
    expect(s.admittedAt).toBe(at('2026-02-01T08:00:00+01:00'));
    expect(s.problems).toEqual([]);
    expect(s.lastEventAt).toBe(at('2026-02-05T10:00:00+01:00'));
    expect(s.eventIds).toEqual(inOrder.map((e) => e.eventId).sort());
  });

  it('a resent event (same event id) is folded in once', () => {
    const evs = story();
    const s = foldEpisode([...evs, ...evs, evs[2]!]);
    expect(s).toEqual(foldEpisode(evs));
    expect(s.eventIds).toHaveLength(evs.length);
    expect(canonicalEvents([...evs, ...evs])).toHaveLength(evs.length);
  });

  it('same-millisecond events: admission first, corrections after what they correct', () => {
    const t = '2026-02-02T10:00:00+01:00';
    const same = [ev('admission-cancelled', t, {}, 'a'), ev('ready-withdrawn', t, {}, 'b'), ev('ready-for-discharge', t, {}, 'c'), ev('admission', t, {}, 'd')];
    expect(canonicalEvents(same).map((e) => e.type)).toEqual(['admission', 'ready-for-discharge', 'ready-withdrawn', 'admission-cancelled']);
    expect(compareEvents(same[3]!, same[0]!)).toBeLessThan(0);
    const s = foldEpisode(same);
    expect(s.problems).not.toContain('ready-for-discharge-before-admission');
    expect(s.readyPeriods[0]).toMatchObject({ endedBy: 'withdrawn' });
  });

  it('throws on an empty event list', () => {
    expect(() => foldEpisode([])).toThrow(/at least one event/);
  });
});

describe('state details', () => {
  it('PENDING until the admission arrives, ADMITTED after it', () => {
    const notice = ev('admission-notice', '2026-02-01T09:00:00+01:00');
    expect(foldEpisode([notice]).status).toBe('PENDING');
    expect(foldEpisode([notice]).problems).toContain('admission-notice-before-admission');
    expect(foldEpisode([ev('admission', '2026-02-01T08:00:00+01:00'), notice]).status).toBe('ADMITTED');
  });

  it('keeps every admission notice and the latest non-null estimated discharge date', () => {
    const s = foldEpisode([
      ev('admission', '2026-02-01T08:00:00+01:00'),
      ev('admission-notice', '2026-02-01T09:00:00+01:00', { estimatedDischargeDate: day(2026, 2, 4) }),
      ev('admission-notice', '2026-02-02T09:00:00+01:00', { estimatedDischargeDate: day(2026, 2, 6) }),
      ev('admission-notice', '2026-02-03T09:00:00+01:00', { estimatedDischargeDate: null }),
    ]);
    expect(s.admissionNoticeAt).toEqual([at('2026-02-01T09:00:00+01:00'), at('2026-02-02T09:00:00+01:00'), at('2026-02-03T09:00:00+01:00')]);
    expect(s.estimatedDischargeDate).toBe(day(2026, 2, 6));
  });

  it('a repeated admission corrects the data but keeps the first admission time', () => {
    const s = foldEpisode([ev('admission', '2026-02-01T08:00:00+01:00'), ev('admission', '2026-02-01T09:00:00+01:00', { ward: 'Med 5' })]);
    expect(s.admittedAt).toBe(at('2026-02-01T08:00:00+01:00'));
    expect(s.admission?.ward).toBe('Med 5');
  });

  it('delay reasons: one entry per open reason code, ended by a later event with endedAt', () => {
    const s = foldEpisode([
      ...admitted(),
      ev('ready-for-discharge', '2026-02-02T10:00:00+01:00'),
      ev('delay-reason', '2026-02-02T15:00:00+01:00', { reasonCode: 'AWAITING_HOME_CARE', responsibleParty: 'MUNICIPALITY' }),
      ev('delay-reason', '2026-02-03T09:00:00+01:00', { reasonCode: 'AWAITING_SIP', responsibleParty: 'REGION' }),
      ev('delay-reason', '2026-02-04T09:00:00+01:00', { reasonCode: 'AWAITING_HOME_CARE', responsibleParty: 'MUNICIPALITY', endedAt: at('2026-02-04T08:00:00+01:00') }),
    ]);
    expect(s.delayReasons).toEqual([
      { reasonCode: 'AWAITING_HOME_CARE', responsibleParty: 'MUNICIPALITY', from: at('2026-02-02T15:00:00+01:00'), until: at('2026-02-04T08:00:00+01:00') },
      { reasonCode: 'AWAITING_SIP', responsibleParty: 'REGION', from: at('2026-02-03T09:00:00+01:00'), until: null },
    ]);
  });

  it('a readmission event is recorded with the index episode it names', () => {
    const s = foldEpisode([ev('admission', '2026-02-01T08:00:00+01:00'), ev('readmission', '2026-02-01T08:30:00+01:00', { indexEpisodeId: 'E0' })]);
    expect(s.reportedReadmission).toBe(true);
    expect(s.reportedReadmissionOf).toBe('E0');
  });
});

describe('data-quality problems', () => {
  it('a clean episode has none', () => {
    const s = foldEpisode([...admitted(), ev('ready-for-discharge', '2026-02-02T10:00:00+01:00'), ev('discharge', '2026-02-03T10:00:00+01:00')]);
    expect(s.problems).toEqual([]);
  });

  it('ready-without-admission-notice', () => {
    const s = foldEpisode([ev('admission', '2026-02-01T08:00:00+01:00'), ev('ready-for-discharge', '2026-02-02T10:00:00+01:00')]);
    expect(s.problems).toEqual(['ready-without-admission-notice']);
    expect(s.status).toBe('READY');
  });

  it('discharge before the admission (event time) is rejected', () => {
    const s = foldEpisode([ev('admission', '2026-02-05T08:00:00+01:00'), ev('discharge', '2026-02-04T10:00:00+01:00', { destination: 'HOME' })]);
    expect(s.rejected.map((r) => r.type)).toEqual(['discharge']);
    expect(s.status).toBe('ADMITTED');
    expect(s.admittedAt).toBe(at('2026-02-05T08:00:00+01:00'));
  });

  it('a withdrawal without a ready notice is rejected', () => {
    const s = foldEpisode([...admitted(), ev('ready-withdrawn', '2026-02-02T10:00:00+01:00')]);
    expect(s.rejected.map((r) => r.reason)).toEqual(['ready-withdrawn without an open ready notice']);
    expect(s.readyPeriods).toEqual([]);
  });

  it('a ready notice after discharge is rejected', () => {
    const s = foldEpisode([...admitted(), ev('discharge', '2026-02-02T10:00:00+01:00', { destination: 'HOME' }), ev('ready-for-discharge', '2026-02-03T10:00:00+01:00')]);
    expect(s.readyPeriods).toEqual([]);
    expect(s.rejected.map((r) => r.reason)).toEqual(['ready-for-discharge after the patient was discharged']);
    expect(s.problems).toEqual([]);
    expect(s.status).toBe('DISCHARGED');
  });

  it('discharged-twice', () => {
    const s = foldEpisode([...admitted(), ev('discharge', '2026-02-02T10:00:00+01:00', { destination: 'HOME' }), ev('discharge', '2026-02-03T10:00:00+01:00', { destination: 'HOME' })]);
    expect(s.problems).toContain('discharged-twice');
    expect(s.dischargedAt).toBe(at('2026-02-03T10:00:00+01:00'));
  });

  it('discharge to municipal care without a ready notice, but not a discharge home', () => {
    const toNursingHome = foldEpisode([...admitted(), ev('discharge', '2026-02-03T10:00:00+01:00', { destination: 'NURSING_HOME' })]);
    expect(toNursingHome.problems).toEqual(['discharge-to-municipal-care-without-ready-notice']);
    for (const destination of ['HOME', 'DECEASED', 'OTHER_HOSPITAL'] as const) {
      expect(foldEpisode([...admitted(), ev('discharge', '2026-02-03T10:00:00+01:00', { destination })]).problems).toEqual([]);
    }
  });

  it('events with no admission at all are flagged per type', () => {
    const s = foldEpisode([ev('admission-notice', '2026-02-01T09:00:00+01:00'), ev('ready-for-discharge', '2026-02-02T10:00:00+01:00')]);
    expect(s.problems).toEqual(['admission-notice-before-admission', 'ready-for-discharge-before-admission']);
    expect(s.status).toBe('READY');
  });
});

describe('events that contradict the episode are rejected (and dead-lettered by the clock service)', () => {
  it('a discharge before the admission is ignored, whichever arrived first', () => {
    const a = ev('admission', '2026-02-01T08:00:00+01:00');
    const d = ev('discharge', '2026-01-31T08:00:00+01:00');
    for (const events of [[a, d], [d, a]]) {
      const s = foldEpisode(events);
      expect(s.status).toBe('ADMITTED');
      expect(s.dischargedAt).toBeNull();
      expect(s.rejected).toEqual([{ eventId: d.eventId, type: 'discharge', reason: expect.stringMatching(/^discharge at .* precedes the admission/) }]);
    }
  });

  it('until the admission is known, earlier events wait for it instead of being rejected', () => {
    const s = foldEpisode([ev('ready-for-discharge', '2026-02-02T10:00:00+01:00')]);
    expect(s.status).toBe('READY');
    expect(s.rejected).toEqual([]);
    expect(s.problems).toContain('ready-for-discharge-before-admission');
  });

  it('a withdrawal without a ready notice, a cancelled discharge without a discharge, a ready notice after discharge', () => {
    const w = ev('ready-withdrawn', '2026-02-01T10:00:00+01:00');
    const c = ev('discharge-cancelled', '2026-02-01T11:00:00+01:00');
    const d = ev('discharge', '2026-02-03T10:00:00+01:00');
    const r = ev('ready-for-discharge', '2026-02-03T12:00:00+01:00');
    const s = foldEpisode([...admitted(), w, c, d, r]);
    expect(s.status).toBe('DISCHARGED');
    expect(s.readyPeriods).toEqual([]);
    expect(s.rejected.map((x) => [x.eventId, x.type])).toEqual([[w.eventId, 'ready-withdrawn'], [c.eventId, 'discharge-cancelled'], [r.eventId, 'ready-for-discharge']]);
  });

  it('valid corrections are not rejected', () => {
    const s = foldEpisode([
      ...admitted(),
      ev('ready-for-discharge', '2026-02-02T10:00:00+01:00'),
      ev('discharge', '2026-02-03T10:00:00+01:00'),
      ev('discharge-cancelled', '2026-02-03T11:00:00+01:00'),
    ]);
    expect(s.rejected).toEqual([]);
    expect(s.status).toBe('READY');
  });
});

describe('a transfer (HL7 A02) moves the patient', () => {
  it('moves the ward, keeps the admission, and stays moved when a later admission message corrects the data', () => {
    const moved = foldEpisode([
      ...admitted(),
      ev('transfer', '2026-02-02T10:00:00+01:00', { ward: 'Med 4', businessArea: null }),
      ev('admission', '2026-02-03T08:00:00+01:00', { ageYears: 83 }),
    ]);
    expect(moved.admittedAt).toBe(at('2026-02-01T08:00:00+01:00'));
    expect(moved.admission).toMatchObject({ ward: 'Med 4', businessArea: 'Medicin', ageYears: 83 });
    expect(moved.problems).toEqual([]);
  });

  it('is placed by event time: a late transfer before a later one does not win', () => {
    const events = [
      ...admitted(),
      ev('transfer', '2026-02-03T10:00:00+01:00', { ward: 'Kir 1', clinic: 'Kirurgkliniken', businessArea: 'Kirurgi' }),
      ev('transfer', '2026-02-02T10:00:00+01:00', { ward: 'Med 4', businessArea: null }),
    ];
    for (const order of [events, [...events].reverse()]) {
      expect(foldEpisode(order).admission).toMatchObject({ ward: 'Kir 1', clinic: 'Kirurgkliniken', businessArea: 'Kirurgi' });
    }
  });

  it('after the discharge is flagged as a problem, and the discharge keeps its own ward', () => {
    const s = foldEpisode([...admitted(), ev('discharge', '2026-02-04T10:00:00+01:00'), ev('transfer', '2026-02-05T10:00:00+01:00', { ward: 'Med 4', businessArea: null })]);
    expect(s.problems).toContain('transfer-after-discharge');
    expect(s.discharge?.ward).toBe('Med 2');
  });
});
