import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAgreementSet } from '../../services/agreements/agreement-set.ts';
import { bundledFile } from '../../services/agreements/bundled.ts';
import { OREBRO_RULES } from '../../services/clock/rules.ts';
import { epochDay } from '../../services/core/stockholm-time.ts';
import { paymentBasis, paymentReadsFrom, type PaymentEpisode } from '../../services/indicators/payment-basis.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'utklar-payment-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const iso = (s: string) => {
  const [y, m, d] = s.split('-').map(Number);
  return epochDay({ year: y!, month: m!, day: d! });
};
const monthOf = (y: number, m: number) => ({ fromDay: epochDay({ year: y, month: m, day: 1 }), toDay: epochDay({ year: m === 12 ? y + 1 : y, month: m === 12 ? 1 : m + 1, day: 1 }) - 1 });

/** A somatic episode discharged on `discharged` whose `days` payment days are the days up to and including it. */
const ep = (id: string, region: string, municipality: string, discharged: string, days: number, { liable = true, utklarDays = days } = {}): PaymentEpisode & { id: string } => ({
  id, region, municipality, careType: 'SOMATIC', dischargedDay: iso(discharged), utklarDays, liable,
  paymentDayList: Array.from({ length: days }, (_, i) => iso(discharged) - days + 1 + i),
});

const terms = { noon: { hour: 12, inclusive: false }, conditions: { required: ['admission-notice-in-time', 'ready-notice-sent', 'sip-called-in-time'], admissionNoticeWithinHours: 24, sipCalledWithinDays: 3, fastVardkontaktRequiredFor: ['GREEN', 'YELLOW', 'RED'] } };
const average = (period: string) => ({ type: 'municipal-average', threshold: 3.0, period, includeDayZeroDischarges: false, billable: 'all-days' });
/**
 * A VGR-like agreement (region 14): the rolling 3 months decide through 2025, the month from 2026.
 * 10 000 kr a day in 2025 is this agreement's own figure (easy to follow by hand), not
 * Socialstyrelsen's; 2026 has none.
 */
const vgr = path.join(dir, 'vgr.json');
writeFileSync(vgr, JSON.stringify({ region: '14', name: 'VGR-liknande', versions: [
  { validFrom: '2018-01-01', validTo: '2025-12-31', model: average('rolling-3-months'), ...terms, amountPerDayByYear: { 2025: 10000 } },
  { validFrom: '2026-01-01', model: average('month'), ...terms },
] }, null, 2));
const vgrMonthly = path.join(dir, 'vgr-monthly.json');
writeFileSync(vgrMonthly, JSON.stringify({ region: '14', name: 'VGR per månad', versions: [{ validFrom: '2018-01-01', model: average('month'), ...terms, amountPerDayByYear: { 2025: 10000 } }] }, null, 2));

const set = loadAgreementSet(`${vgr},${bundledFile('orebro')}`, 'orebro');

// Göteborg (1480) and Härryda (1401), region 14, somatic care.
const EPISODES = [
  ep('G0', '14', '1480', '2025-08-28', 10), // before the window of November's invoice
  ep('G1', '14', '1480', '2025-09-10', 6),
  ep('G2', '14', '1480', '2025-09-20', 5),
  ep('G3', '14', '1480', '2025-10-15', 4),
  ep('G4', '14', '1480', '2025-10-20', 0, { utklarDays: 0 }), // a day-0 discharge: not in the average
  ep('G5', '14', '1480', '2025-11-05', 2),
  ep('G6', '14', '1480', '2025-11-25', 1, { liable: false }), // a condition unmet: averaged, not billed
  ep('G7', '14', '1480', '2025-12-01', 10), // payment days 22 Nov – 1 Dec: billed with December, its discharge month
  ep('G8', '14', '1480', '2026-01-10', 5),
  ep('H1', '14', '1401', '2025-09-03', 1),
  ep('H2', '14', '1401', '2025-09-12', 1),
  ep('H3', '14', '1401', '2025-10-08', 1),
  ep('H4', '14', '1401', '2025-11-10', 5),
  ep('H5', '14', '1401', '2025-11-20', 4),
  ep('O1', '18', '1880', '2025-11-12', 4), // Region Örebro län: orebro.json, the month decides
  ep('L1', '03', '0380', '2025-11-12', 5), // Uppsala has no agreement here: the law's 3 free days
];
const only = (rows: Record<string, unknown>[], region: string, kommun: string) => rows.find((r) => r.region === region && r.kommun === kommun);

describe('the invoice basis under a rolling 3-month average (worked by hand)', () => {
  const nov = paymentBasis(EPISODES, set, monthOf(2025, 11));

  it('November 2025 reads discharges from 1 September', () => {
    expect(paymentReadsFrom(set, monthOf(2025, 11))).toBe(iso('2025-09-01'));
  });

  // Göteborg, 1 Sep – 30 Nov: G1 6 + G2 5 + G3 4 + G5 2 + G6 1 = 18 days over 5 episodes (G0 is
  // August, G4 a day-0 discharge, G7 December) → 18 / 5 = 3,6 > 3,0: exceeded. Billed are only
  // November's liable episodes: G5's 2 days × 10 000 kr = 20 000 kr (G6 is not liable). The
  // month alone (G5 2 + G6 1 = 3 days over 2 episodes = 1,5) would not have been exceeded.
  it('Göteborg: 18 days over 5 episodes = 3,6 > 3,0, so November\'s 2 liable days are billed', () => {
    expect(only(nov.rows, '14', '1480')).toEqual({
      kommun: '1480', careType: 'SOMATIC', region: '14', agreement: 'vgr.json#2018-01-01',
      episodes: 2, paymentDays: 3, average: 3.6, exceeded: true, billableDays: 2, amountSek: 20000, missingAmountYears: [],
      averageEpisodes: 5, averagePaymentDays: 18, threshold: 3, averageFrom: '2025-09-01', averageTo: '2025-11-30',
    });
  });

  // Härryda, 1 Sep – 30 Nov: H1 1 + H2 1 + H3 1 + H4 5 + H5 4 = 12 days over 5 episodes = 2,4 ≤ 3,0:
  // nothing billed, although November alone (H4 5 + H5 4 = 9 days over 2 = 4,5) exceeds 3,0.
  it('Härryda: 12 days over 5 episodes = 2,4, nothing billed', () => {
    expect(only(nov.rows, '14', '1401')).toMatchObject({ episodes: 2, paymentDays: 9, average: 2.4, exceeded: false, billableDays: 0, amountSek: 0, averageEpisodes: 5, averagePaymentDays: 12 });
  });

  it('the same November under the month rule bills Härryda and not Göteborg', () => {
    const monthly = paymentBasis(EPISODES, loadAgreementSet(vgrMonthly, 'orebro'), monthOf(2025, 11));
    expect(only(monthly.rows, '14', '1480')).toMatchObject({ episodes: 2, paymentDays: 3, average: 1.5, exceeded: false, billableDays: 0, averageFrom: '2025-11-01' });
    // H4 5 + H5 4 = 9 days over 2 = 4,5 > 3,0: all 9 days × 10 000 kr.
    expect(only(monthly.rows, '14', '1401')).toMatchObject({ average: 4.5, exceeded: true, billableDays: 9, amountSek: 90000 });
  });

  // Göteborg, 1 Oct – 31 Dec: G3 4 + G5 2 + G6 1 + G7 10 = 17 days over 4 episodes (G4 day 0) = 4,25
  // > 3,0: G7's 10 days are billed in December, 9 of them November days, 10 × 10 000 kr. Härryda has
  // no December discharge, so no line.
  it('December 2025: an episode is billed with the month it was discharged in', () => {
    const dec = paymentBasis(EPISODES, set, monthOf(2025, 12));
    expect(dec.rows.filter((r) => r.region === '14')).toEqual([
      expect.objectContaining({ kommun: '1480', episodes: 1, paymentDays: 10, average: 4.25, averageEpisodes: 4, averagePaymentDays: 17, billableDays: 10, amountSek: 100000, averageFrom: '2025-10-01' }),
    ]);
  });

  it('other regions in the same month: Örebro\'s monthly threshold, the law\'s free days elsewhere; 2025 has no national figure', () => {
    // Örebro: O1 alone, 4 days over 1 = 4 > 3,0, all 4 billable; Uppsala: 5 − 3 free = 2 billable.
    // Neither agreement has an amount for 2025: null, and the year named, never 2023's 10 500 kr.
    expect(only(nov.rows, '18', '1880')).toMatchObject({ agreement: 'orebro.json#2018-01-01', average: 4, exceeded: true, billableDays: 4, amountSek: null, missingAmountYears: [2025], averageFrom: '2025-11-01' });
    expect(only(nov.rows, '03', '0380')).toEqual({ kommun: '0380', careType: 'SOMATIC', region: '03', agreement: 'law.json#2018-01-01', episodes: 1, paymentDays: 5, average: 5, freeDays: 3, billableDays: 2, amountSek: null, missingAmountYears: [2025] });
    expect(nov.rows.map((r) => `${String(r.region)}/${String(r.kommun)}`)).toEqual(['03/0380', '14/1401', '14/1480', '18/1880']);
    expect(nov.notes.filter((n) => n.startsWith('no amount per day'))).toEqual([
      expect.stringMatching(/^no amount per day for 2025 under orebro\.json#2018-01-01: amountSek is null/),
      expect.stringMatching(/^no amount per day for 2025 under law\.json#2018-01-01/),
    ]);
  });

  // From 1 January 2026 region 14's month rule is in force: G8 alone, 5 days over 1 = 5 > 3,0, its 5
  // days billable; the version has no amount for 2026.
  it('January 2026: the agreement that came into force on 1 January decides, over January alone', () => {
    expect(paymentReadsFrom(set, monthOf(2026, 1))).toBe(iso('2026-01-01'));
    const jan = paymentBasis(EPISODES, set, monthOf(2026, 1));
    expect(jan.rows).toEqual([expect.objectContaining({ kommun: '1480', agreement: 'vgr.json#2026-01-01', episodes: 1, average: 5, averageEpisodes: 1, billableDays: 5, amountSek: null, missingAmountYears: [2026], averageFrom: '2026-01-01' })]);
    expect(jan.notes).toContainEqual(expect.stringMatching(/no amount per day for 2026 under vgr\.json#2026-01-01/));
  });

  it('a discharge before any agreement (the law came into force on 1 January 2018) is a line with the error, not a bill', () => {
    const dec2017 = paymentBasis([ep('X1', '18', '1880', '2017-12-20', 5)], set, monthOf(2017, 12));
    expect(dec2017.rows).toEqual([{ kommun: '1880', careType: 'SOMATIC', region: '18', agreement: null, episodes: 1, paymentDays: 5, billableDays: null, amountSek: null, missingAmountYears: [],
      error: 'no agreement in force for region 18 on the discharge days (from 2017-12-20)' }]);
  });
});
