import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, type DataByType, type EventType, type PatientEvent } from '../../services/contract/event.ts';
import { episodeClock } from '../../services/clock/episode-clock.ts';
import { foldEpisode } from '../../services/clock/episode-state.ts';
import { LAW_DEFAULTS, OREBRO_RULES } from '../../services/clock/rules.ts';
import { Rng } from '../../services/simulator/rng.ts';

/**
 * Order independence: the same set of events gives the same state and the same clock, whatever
 * order they arrive in and however often (resends), also when events share a timestamp.
 */
const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);

const DATA: { [T in EventType]: DataByType[T] } = {
  admission: { region: '18', hospital: 'USO', clinic: 'Medicinkliniken', ward: 'Med 2', businessArea: 'Medicin', careType: 'SOMATIC', admissionType: 'ACUTE', homeMunicipality: '1880', ageYears: 82, primaryCareUnit: 'VC Kumla' },
  'admission-notice': { recipientMunicipality: '1880', estimatedDischargeDate: null },
  'ready-for-discharge': { judgedAt: null, recipientMunicipality: '1880', trackColour: 'GREEN', fastVardkontaktAppointed: true, sipNeeded: true, sipCalledAt: null },
  'ready-withdrawn': { reasonCode: 'CONDITION_WORSENED' },
  discharge: { destination: 'HOME_WITH_MUNICIPAL_CARE', clinic: 'Medicinkliniken', ward: 'Med 2' },
  readmission: { indexEpisodeId: 'E0' },
  'admission-cancelled': { reasonCode: 'REGISTERED_IN_ERROR' },
  'discharge-cancelled': { reasonCode: null },
  'delay-reason': { reasonCode: 'AWAITING_HOME_CARE', responsibleParty: 'MUNICIPALITY', endedAt: null },
  transfer: { hospital: 'USO', clinic: 'Medicinkliniken', ward: 'Med 4', businessArea: null },
};
const make = (prefix: string) => {
  let n = 0;
  return <T extends EventType>(type: T, when: string | number, data: Partial<DataByType[T]> = {}): PatientEvent =>
    ({ type, eventId: `${prefix}-${String(++n).padStart(3, '0')}`, occurredAt: typeof when === 'number' ? when : at(when), source: 'test', patientKey: 'P1', episodeId: prefix, data: { ...DATA[type], ...data } }) as PatientEvent;
};

const SCENARIOS: Record<string, PatientEvent[]> = {
  'withdraw and renew with delay reasons': (() => {
    const e = make('WR');
    return [
      e('admission', '2026-01-30T08:00:00+01:00'),
      e('admission-notice', '2026-01-30T12:00:00+01:00', { estimatedDischargeDate: 20485 }),
      e('ready-for-discharge', '2026-02-01T10:00:00+01:00', { sipCalledAt: at('2026-02-02T13:00:00+01:00') }),
      e('delay-reason', '2026-02-01T16:00:00+01:00'),
      e('ready-withdrawn', '2026-02-02T09:00:00+01:00'),
      e('delay-reason', '2026-02-02T09:30:00+01:00', { endedAt: at('2026-02-02T09:00:00+01:00') }),
      e('ready-for-discharge', '2026-02-04T14:00:00+01:00', { trackColour: 'YELLOW', sipCalledAt: null }),
      e('delay-reason', '2026-02-04T18:00:00+01:00', { reasonCode: 'AWAITING_SHORT_TERM_PLACE' }),
      e('ready-for-discharge', '2026-02-05T09:00:00+01:00', { trackColour: 'RED', sipCalledAt: at('2026-02-05T08:00:00+01:00') }),
      e('discharge', '2026-02-06T10:00:00+01:00'),
    ];
  })(),
  'cancelled discharge, then discharged again (across the spring DST switch)': (() => {
    const e = make('CD');
    return [
      e('admission', '2026-03-25T22:00:00+01:00'),
      e('admission-notice', '2026-03-26T09:00:00+01:00'),
      e('ready-for-discharge', '2026-03-28T20:00:00+01:00', { trackColour: 'BLUE', fastVardkontaktAppointed: false, sipNeeded: false }),
      e('delay-reason', '2026-03-29T10:00:00+02:00', { responsibleParty: 'PATIENT_OR_FAMILY', reasonCode: 'PATIENT_DECLINES_OFFER' }),
      e('discharge', '2026-03-30T11:00:00+02:00', { destination: 'SHORT_TERM_CARE' }),
      e('discharge-cancelled', '2026-03-30T12:00:00+02:00'),
      e('discharge', '2026-03-31T10:00:00+02:00', { destination: 'NURSING_HOME' }),
    ];
  })(),
  'readmission with a cancelled discharge and a withdrawal (across the autumn switch)': (() => {
    const e = make('RA');
    return [
      e('admission', '2026-10-20T03:00:00+02:00'),
      e('readmission', '2026-10-20T03:30:00+02:00'),
      e('admission-notice', '2026-10-22T09:00:00+02:00'),
      e('ready-for-discharge', '2026-10-24T11:59:59+02:00'),
      e('ready-withdrawn', '2026-10-25T02:30:00+02:00'),
      e('ready-for-discharge', '2026-10-25T02:30:00+01:00', { sipNeeded: false }),
      e('discharge', '2026-10-27T10:00:00+01:00'),
      e('discharge-cancelled', '2026-10-27T10:00:00+01:00'),
      e('delay-reason', '2026-10-27T11:00:00+01:00', { reasonCode: 'AWAITING_SIP', responsibleParty: 'REGION' }),
      e('discharge', '2026-10-29T15:00:00+01:00', { destination: 'HOME' }),
    ];
  })(),
  'cancelled admission with an open ready period': (() => {
    const e = make('CA');
    return [
      e('admission', '2026-02-01T08:00:00+01:00', { admissionType: 'PLANNED' }),
      e('admission-notice', '2026-02-02T10:00:00+01:00'),
      e('ready-for-discharge', '2026-02-03T10:00:00+01:00'),
      e('admission-cancelled', '2026-02-03T11:00:00+01:00'),
    ];
  })(),
  'every event at the same millisecond': (() => {
    const e = make('SM');
    const t = '2026-02-01T12:00:00+01:00';
    return [
      e('admission', t),
      e('admission-notice', t),
      e('readmission', t, { indexEpisodeId: null }),
      e('ready-for-discharge', t, { trackColour: 'YELLOW' }),
      e('ready-for-discharge', t, { trackColour: 'RED' }),
      e('delay-reason', t),
      e('delay-reason', t, { endedAt: at(t), responsibleParty: 'REGION' }),
      e('ready-withdrawn', t),
      e('discharge', t),
      e('discharge-cancelled', t),
      e('admission-cancelled', t),
    ];
  })(),
  'messy data: no admission notice, a late withdrawal, a discharge before the admission': (() => {
    const e = make('MX');
    return [
      e('discharge', '2026-02-01T07:00:00+01:00', { destination: 'OTHER' }),
      e('admission', '2026-02-01T08:00:00+01:00', { careType: 'PSYCHIATRIC', homeMunicipality: '1781' }),
      e('ready-withdrawn', '2026-02-01T09:00:00+01:00'),
      e('ready-for-discharge', '2026-02-01T10:00:00+01:00'),
      e('discharge', '2026-02-02T10:00:00+01:00'),
      e('discharge-cancelled', '2026-02-02T10:00:00+01:00'),
      e('discharge-cancelled', '2026-02-02T11:00:00+01:00'),
    ];
  })(),
};

/** Arrival order: a random permutation with random resends (same event id, a copy of the object). */
function arrive(events: readonly PatientEvent[], rng: Rng): PatientEvent[] {
  const out = [...events];
  for (const e of events) while (rng.chance(0.25)) out.push(structuredClone(e));
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const nowsFor = (events: readonly PatientEvent[]): number[] => {
  const times = events.map((e) => e.occurredAt);
  const first = Math.min(...times);
  const last = Math.max(...times);
  return [first, (first + last) / 2, last, last + 36 * HOUR, last + 40 * 24 * HOUR];
};

const clocks = (events: readonly PatientEvent[], nows: number[]) => {
  const s = foldEpisode(events);
  return nows.flatMap((now) => [episodeClock(s, now, LAW_DEFAULTS), episodeClock(s, now, OREBRO_RULES)]);
};

describe('foldEpisode and episodeClock do not depend on arrival order or resends', () => {
  for (const [name, events] of Object.entries(SCENARIOS)) {
    it(`${name}: 250 permutations with duplicates`, () => {
      const reference = foldEpisode(events);
      const nows = nowsFor(events);
      const referenceClocks = clocks(events, nows);
      const rng = new Rng(name.length * 7919);
      let reordered = 0;
      for (let i = 0; i < 250; i++) {
        const arrived = arrive(events, rng);
        if (arrived.some((e, k) => e.eventId !== events[k]?.eventId)) reordered++;
        expect(foldEpisode(arrived)).toEqual(reference);
        if (i % 5 === 0) expect(clocks(arrived, nows)).toEqual(referenceClocks);
      }
      expect(reordered).toBeGreaterThan(240);
      // The reference is what the domain says (not merely self-consistent).
      expect(reference.eventIds).toEqual(events.map((e) => e.eventId).sort());
    });
  }

  it('the scenarios fold to the expected states', () => {
    const s = (name: string) => foldEpisode(SCENARIOS[name]!);
    const wr = s('withdraw and renew with delay reasons');
    expect(wr.status).toBe('DISCHARGED');
    expect(wr.readyPeriods.map((p) => [p.endedBy, p.trackColour])).toEqual([
      ['withdrawn', 'GREEN'],
      ['discharge', 'RED'],
    ]);
    expect(wr.delayReasons).toHaveLength(2);
    expect(episodeClock(wr, at('2026-03-01T00:00:00+01:00'), LAW_DEFAULTS)).toMatchObject({ utklarDays: 3, paymentDays: 4 });
    const cd = s('cancelled discharge, then discharged again (across the spring DST switch)');
    expect(cd.status).toBe('DISCHARGED');
    expect(episodeClock(cd, at('2026-05-01T00:00:00+02:00'), LAW_DEFAULTS)).toMatchObject({ utklarDays: 3, paymentDays: 3 });
    const ra = s('readmission with a cancelled discharge and a withdrawal (across the autumn switch)');
    expect(ra.reportedReadmission).toBe(true);
    expect(ra.readyPeriods.map((p) => p.endedBy)).toEqual(['withdrawn', 'discharge']);
    expect(episodeClock(ra, at('2026-12-01T00:00:00+01:00'), LAW_DEFAULTS)).toMatchObject({ utklarDays: 1 + 4 });
    expect(s('cancelled admission with an open ready period').status).toBe('CANCELLED');
    const sm = s('every event at the same millisecond');
    expect(sm.status).toBe('CANCELLED');
    expect(sm.readyPeriods).toHaveLength(1);
    expect(sm.readyPeriods[0]).toMatchObject({ trackColour: 'RED', endedBy: 'withdrawn' });
    expect(sm.problems).toEqual([]);
    const mx = s('messy data: no admission notice, a late withdrawal, a discharge before the admission');
    // The 07:00 discharge precedes the admission and is rejected, so the ready notice opens a
    // period, which the 2 Feb discharge closes and its cancellation reopens.
    expect(mx.rejected.map((r) => r.type)).toEqual(['discharge', 'ready-withdrawn', 'discharge-cancelled']);
    expect(mx.problems).toEqual(['ready-without-admission-notice']);
    expect(mx.status).toBe('READY');
  });

  it('folding does not mutate the events it is given', () => {
    for (const events of Object.values(SCENARIOS)) {
      const before = JSON.stringify(events);
      const s = foldEpisode(events);
      episodeClock(s, Math.max(...events.map((e) => e.occurredAt)) + 10 * 24 * HOUR, LAW_DEFAULTS);
      expect(JSON.stringify(events)).toBe(before);
    }
  });

  it('the test can tell states apart: leaving out one event changes the state', () => {
    const events = SCENARIOS['cancelled discharge, then discharged again (across the spring DST switch)']!;
    const withoutCancel = events.filter((e) => e.type !== 'discharge-cancelled');
    expect(foldEpisode(withoutCancel)).not.toEqual(foldEpisode(events));
  });
});

describe('random episodes (seeded), including events sharing a timestamp', () => {
  const colours = ['NONE', 'BLUE', 'GREEN', 'YELLOW', 'RED'] as const;
  const randomEpisode = (rng: Rng, id: string): PatientEvent[] => {
    const e = make(id);
    const base = at('2026-01-01T00:00:00+01:00') + rng.int(0, 360) * 24 * HOUR;
    // Few distinct instants, so that many events share a timestamp.
    const instants = Array.from({ length: rng.int(2, 6) }, () => base + Math.floor(rng.uniform(0, 12 * 24)) * HOUR);
    const when = () => instants[rng.int(0, instants.length - 1)]!;
    const events: PatientEvent[] = [e('admission', Math.min(...instants), { careType: rng.chance(0.2) ? 'PSYCHIATRIC' : 'SOMATIC' })];
    const n = rng.int(2, 12);
    for (let i = 0; i < n; i++) {
      const type = EVENT_TYPES[rng.int(0, EVENT_TYPES.length - 1)]!;
      const t = when();
      switch (type) {
        case 'ready-for-discharge':
          events.push(e(type, t, { trackColour: colours[rng.int(0, 4)]!, sipNeeded: rng.chance(0.5), sipCalledAt: rng.chance(0.5) ? when() : null, fastVardkontaktAppointed: rng.chance(0.5) }));
          break;
        case 'delay-reason':
          events.push(e(type, t, { reasonCode: rng.chance(0.5) ? 'A' : 'B', endedAt: rng.chance(0.4) ? when() : null }));
          break;
        case 'admission-notice':
          events.push(e(type, t, { estimatedDischargeDate: rng.chance(0.5) ? rng.int(20450, 20850) : null }));
          break;
        case 'readmission':
          events.push(e(type, t, { indexEpisodeId: rng.chance(0.5) ? `I${rng.int(1, 3)}` : null }));
          break;
        case 'transfer':
          events.push(e(type, t, { ward: ['Med 4', 'Med 5', 'Kir 1'][rng.int(0, 2)]!, businessArea: rng.chance(0.3) ? 'Kirurgi' : null }));
          break;
        default:
          events.push(e(type, t));
      }
    }
    return events;
  };

  it('60 random episodes × 100 permutations with duplicates give one state and one clock each', () => {
    const rng = new Rng(424242);
    for (let k = 0; k < 60; k++) {
      const events = randomEpisode(rng, `R${k}`);
      const reference = foldEpisode(events);
      const nows = nowsFor(events);
      const referenceClocks = clocks(events, nows);
      for (let i = 0; i < 100; i++) {
        const arrived = arrive(events, rng);
        expect(foldEpisode(arrived)).toEqual(reference);
        if (i % 10 === 0) expect(clocks(arrived, nows)).toEqual(referenceClocks);
      }
    }
  });
});
