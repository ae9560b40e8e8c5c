import { describe, expect, it } from 'vitest';
import type { DataByType, EventType, PatientEvent } from '../../services/contract/event.ts';
import { epochDay } from '../../services/core/stockholm-time.ts';
import { episodeClock } from '../../services/clock/episode-clock.ts';
import { foldEpisode } from '../../services/clock/episode-state.ts';
import { municipalAverage, type ClosedEpisodeDays } from '../../services/clock/municipal-average.ts';
import { LAW_DEFAULTS, OREBRO_RULES, type RegionRules } from '../../services/clock/rules.ts';

const at = (iso: string) => Date.parse(iso);
// 2023: a year with an amount per day (10 500 kr) in the bundled table.
const FEB_1 = epochDay({ year: 2023, month: 2, day: 1 });

/** A discharged ready episode with `n` payment days starting on `first` (a Stockholm epoch day). */
const closed = (municipality: string, n: number, liable = true, first = FEB_1): ClosedEpisodeDays => ({
  municipality,
  // A notice sent after noon: follow-up days equal payment days, so 0 means a day-0 discharge.
  utklarDays: n,
  paymentDays: n,
  paymentDayList: Array.from({ length: n }, (_, i) => first + i),
  liable,
});
const rulesWith = (over: Partial<Extract<RegionRules['payment'], { model: 'municipal-average' }>>): RegionRules => {
  if (OREBRO_RULES.payment.model !== 'municipal-average') throw new Error('OREBRO_RULES changed model');
  return { ...OREBRO_RULES, payment: { ...OREBRO_RULES.payment, ...over } };
};

describe('municipalAverage with OREBRO_RULES (threshold 3,0, day-0 discharges excluded)', () => {
  it('the Örebro defaults', () => {
    expect(OREBRO_RULES.payment).toEqual({ model: 'municipal-average', threshold: 3.0, period: 'month', includeDayZeroDischarges: false, billable: 'all-days' });
    expect(OREBRO_RULES.noon).toEqual(LAW_DEFAULTS.noon);
  });

  it('A with 2, 3, 5 payment days: average 3.33 > 3 → exceeded, all 10 days billable; B with 1, 2, 3: average 2 → 0 billable', () => {
    const result = municipalAverage([closed('1881', 1), closed('1880', 2), closed('1881', 2), closed('1880', 3), closed('1881', 3), closed('1880', 5)], OREBRO_RULES);
    expect(result).toHaveLength(2);
    const [a, b] = result;
    expect(a).toMatchObject({ municipality: '1880', episodes: 3, paymentDays: 10, exceeded: true, billableDays: 10, amountSek: 10 * 10500, missingAmountYears: [] });
    expect(a!.average).toBeCloseTo(10 / 3, 10);
    expect(b).toEqual({ municipality: '1881', episodes: 3, paymentDays: 6, average: 2, exceeded: false, billableDays: 0, amountSek: 0, missingAmountYears: [], averageEpisodes: 3, averagePaymentDays: 6 });
  });

  it('an average of exactly 3,0 does not exceed the threshold', () => {
    const [r] = municipalAverage([closed('1880', 2), closed('1880', 4)], OREBRO_RULES);
    expect(r).toMatchObject({ average: 3, exceeded: false, billableDays: 0 });
  });

  it('day-0 discharges are left out of the average by default; includeDayZeroDischarges brings them in', () => {
    const eps = [closed('1880', 2), closed('1880', 3), closed('1880', 5), closed('1880', 0), closed('1880', 0)];
    const [excluded] = municipalAverage(eps, OREBRO_RULES);
    expect(excluded).toMatchObject({ episodes: 3, paymentDays: 10, exceeded: true, billableDays: 10 });
    const [included] = municipalAverage(eps, rulesWith({ includeDayZeroDischarges: true }));
    expect(included).toMatchObject({ episodes: 5, paymentDays: 10, average: 2, exceeded: false, billableDays: 0 });
  });

  it('a municipality with only day-0 discharges does not appear (unless they are included)', () => {
    expect(municipalAverage([closed('1882', 0)], OREBRO_RULES)).toEqual([]);
    expect(municipalAverage([closed('1882', 0)], rulesWith({ includeDayZeroDischarges: true }))).toEqual([
      { municipality: '1882', episodes: 1, paymentDays: 0, average: 0, exceeded: false, billableDays: 0, amountSek: 0, missingAmountYears: [], averageEpisodes: 1, averagePaymentDays: 0 },
    ]);
    expect(municipalAverage([], OREBRO_RULES)).toEqual([]);
  });

  it("'days-above-threshold' bills only the days after the 3rd of each episode", () => {
    const [a] = municipalAverage([closed('1880', 2), closed('1880', 3), closed('1880', 5)], rulesWith({ billable: 'days-above-threshold' }));
    expect(a).toMatchObject({ exceeded: true, paymentDays: 10, billableDays: 2, amountSek: 2 * 10500 });
  });

  it('a non-liable episode counts in the average but is not billed', () => {
    const [a] = municipalAverage([closed('1880', 2), closed('1880', 3), closed('1880', 5, false)], OREBRO_RULES);
    expect(a).toMatchObject({ episodes: 3, exceeded: true, billableDays: 5 });
  });

  it('bills each day at its own year’s amount, null for a year without one', () => {
    const dec30 = epochDay({ year: 2022, month: 12, day: 30 });
    const [a] = municipalAverage([closed('1880', 4, true, dec30)], OREBRO_RULES); // 30, 31 Dec 2022, 1, 2 Jan 2023
    expect(a!.amountSek).toBe(2 * 9300 + 2 * 10500);
    const [old] = municipalAverage([closed('1880', 4, true, epochDay({ year: 2018, month: 5, day: 1 }))], OREBRO_RULES);
    expect(old).toMatchObject({ billableDays: 4, amountSek: null, missingAmountYears: [2018] });
  });

  it('never bills a year without a figure at an earlier year\'s amount: 2024 after 2023 is null, and says which year', () => {
    const dec30 = epochDay({ year: 2023, month: 12, day: 30 });
    const [a] = municipalAverage([closed('1880', 4, true, dec30)], OREBRO_RULES); // 30, 31 Dec 2023, 1, 2 Jan 2024
    expect(a).toMatchObject({ billableDays: 4, amountSek: null, missingAmountYears: [2024] });
    // Not billed, so no amount is missing.
    const [under] = municipalAverage([closed('1880', 2, true, dec30)], OREBRO_RULES);
    expect(under).toMatchObject({ exceeded: false, amountSek: 0, missingAmountYears: [] });
  });

  it('a threshold per care type (Stockholm-like: 2 somatic, 5 psychiatric) needs the care type', () => {
    const p = OREBRO_RULES.payment;
    if (p.model !== 'municipal-average') throw new Error('OREBRO_RULES changed model');
    const rules: RegionRules = { ...OREBRO_RULES, payment: { ...p, threshold: 2, thresholdByCareType: { SOMATIC: 2, PSYCHIATRIC: 5 } } };
    const eps = [closed('1880', 3), closed('1880', 4)]; // average 3,5
    expect(municipalAverage(eps, rules, 'SOMATIC')[0]).toMatchObject({ average: 3.5, exceeded: true, billableDays: 7 });
    expect(municipalAverage(eps, rules, 'PSYCHIATRIC')[0]).toMatchObject({ average: 3.5, exceeded: false, billableDays: 0 });
    expect(() => municipalAverage(eps, rules)).toThrow(/per care type/);
  });

  it('refuses rules of another payment model', () => {
    expect(() => municipalAverage([closed('1880', 5)], LAW_DEFAULTS)).toThrow(/municipal-average/);
  });

  it('from folded episodes through episodeClock', () => {
    const DATA: Pick<{ [T in EventType]: DataByType[T] }, 'admission' | 'admission-notice' | 'ready-for-discharge' | 'discharge'> = {
      admission: { region: '18', hospital: 'USO', clinic: 'Medicinkliniken', ward: 'Med 2', businessArea: 'Medicin', careType: 'SOMATIC', admissionType: 'ACUTE', homeMunicipality: '1880', ageYears: 82, primaryCareUnit: null },
      'admission-notice': { recipientMunicipality: '1880', estimatedDischargeDate: null },
      'ready-for-discharge': { judgedAt: null, recipientMunicipality: '1880', trackColour: 'NONE', fastVardkontaktAppointed: false, sipNeeded: false, sipCalledAt: null },
      discharge: { destination: 'HOME_WITH_MUNICIPAL_CARE', clinic: 'Medicinkliniken', ward: 'Med 2' },
    };
    const e = (id: string, type: keyof typeof DATA, iso: string): PatientEvent =>
      ({ type, eventId: `${id}-${type}`, occurredAt: at(iso), source: 'test', patientKey: id, episodeId: id, data: DATA[type] }) as PatientEvent;
    // Ready 2 Feb after noon; discharged on 4, 5 and 7 Feb: 2, 3 and 5 payment days.
    const episodes = ['2026-02-04', '2026-02-05', '2026-02-07'].map((dischargeDay, i) => {
      const id = `E${i}`;
      const s = foldEpisode([e(id, 'admission', '2026-02-01T08:00:00+01:00'), e(id, 'admission-notice', '2026-02-01T10:00:00+01:00'), e(id, 'ready-for-discharge', '2026-02-02T13:00:00+01:00'), e(id, 'discharge', `${dischargeDay}T10:00:00+01:00`)]);
      const c = episodeClock(s, at('2026-03-02T08:00:00+01:00'), OREBRO_RULES);
      return { municipality: s.admission!.homeMunicipality, utklarDays: c.utklarDays, paymentDays: c.paymentDays, paymentDayList: c.paymentDayList, liable: c.liability === 'liable' };
    });
    expect(episodes.map((x) => x.paymentDays)).toEqual([2, 3, 5]);
    // February 2026 has no amount per day in the bundled table: the line says so instead of
    // billing at 2023's 10 500 kr.
    expect(municipalAverage(episodes, OREBRO_RULES)).toEqual([
      { municipality: '1880', episodes: 3, paymentDays: 10, average: 10 / 3, exceeded: true, billableDays: 10, amountSek: null, missingAmountYears: [2026], averageEpisodes: 3, averagePaymentDays: 10 },
    ]);
  });
});
