import { epochDay } from '../../services/core/stockholm-time.ts';
import type { SpecifiedEpisode } from '../../services/indicators/payment-basis.ts';

/** A small hand-worked invoice month (test/unit/invoice-basis.test.ts works it; test/integration/invoices.test.ts stores it). */
export const iso = (s: string) => {
  const [y, m, d] = s.split('-').map(Number);
  return epochDay({ year: y!, month: m!, day: d! });
};
// November 2023: Socialstyrelsen's 10 500 kr a day (the bundled table), so amounts are numbers.
export const NOVEMBER = { fromDay: iso('2023-11-01'), toDay: iso('2023-11-30') };
export const HYPERLINK = '=HYPERLINK("http://example.invalid/x","klicka")';

/** An episode discharged on `discharged` whose `days` payment days are the days up to and including it. */
export const ep = (episodeId: string, region: string, municipality: string, discharged: string, days: number, more: Partial<SpecifiedEpisode> = {}): SpecifiedEpisode => ({
  episodeId, region, municipality, careType: 'SOMATIC', dischargedDay: iso(discharged), utklarDays: days, liable: true, liability: 'liable',
  paymentDayList: Array.from({ length: days }, (_, i) => iso(discharged) - days + 1 + i), readyStartDays: [iso(discharged) - days], readyEndDays: [iso(discharged)],
  trackColour: 'GREEN', fastVardkontakt: true, ...more,
});

/**
 * Worked by hand (orebro.json: the month's average per municipality and care type against 3,0,
 * day-0 discharges left out, all payment days of liable episodes billed once it is exceeded;
 * law.json for Uppsala: 3 free days somatic):
 *   Örebro (1880) somatic: A1 5 + A2 3 + A3 2 (not liable) = 10 days over 3 episodes (A4, a day-0
 *     discharge, is not in the average) = 3,33 > 3,0 → A1's 5 + A2's 3 = 8 billable days, 84 000 kr.
 *   Örebro (1880) psychiatric: P1 4 days / 1 = 4,0 > 3,0 → 4 days, 42 000 kr.
 *   Kumla (1881) somatic: 3 + 3 = 6 / 2 = 3,0, not above → nothing billed.
 *   Uppsala (0380), region 03: U1 5 days - 3 free = 2 days, 21 000 kr; U2 2 days, inside the free days.
 *   A0 (discharged 31 October) and U3 (December) belong to other months' invoices.
 */
export const EPISODES = [
  ep('A0', '18', '1880', '2023-10-31', 9),
  ep('A1', '18', '1880', '2023-11-05', 5),
  ep('A2', '18', '1880', '2023-11-10', 3),
  ep('A3', '18', '1880', '2023-11-15', 2, { liable: false, liability: 'not-liable' }),
  ep('A4', '18', '1880', '2023-11-20', 1, { utklarDays: 0, readyStartDays: [iso('2023-11-20')] }),
  ep('P1', '18', '1880', '2023-11-21', 4, { careType: 'PSYCHIATRIC' }),
  ep('K1', '18', '1881', '2023-11-12', 3),
  ep(HYPERLINK, '18', '1881', '2023-11-13', 3),
  ep('U1', '03', '0380', '2023-11-12', 5),
  ep('U2', '03', '0380', '2023-11-14', 2),
  ep('U3', '03', '0380', '2023-12-01', 6),
];

