import { describe, expect, it } from 'vitest';
import type { ForecastEpisode } from '../../services/forecast/forecast-episode.ts';
import { forecast } from '../../services/forecast/forecast.ts';
import { ReadinessModel } from '../../services/forecast/readiness-model.ts';

/**
 * The model on histories whose outcome is known by construction: every stay of a clinic became
 * ready exactly so many days after its estimate (or its admission), so what an open stay of that
 * clinic is expected to do is certain. Days are plain epoch-day numbers: the model knows no dates.
 */
const D = 20_000;

let n = 0;
function stay(more: Partial<ForecastEpisode> & { admittedDay: number }): ForecastEpisode {
  n++;
  return {
    region: '18', hospital: 'USO', ward: 'Med 1', clinic: 'Medicinkliniken', businessArea: 'Medicin', careType: 'SOMATIC', ageGroup: '85+',
    homeMunicipality: '1880', primaryCareUnit: '', recipient: '1880', notices: [], readyDay: null, dischargedDay: null, ...more,
  };
}

/** `count` stays of a clinic, one admitted per day from `from`: notice on admission with an estimate 3 days on; ready `offset` days from the estimate. */
function withEstimates(clinic: string, from: number, count: number, offset: number, extra: Partial<ForecastEpisode> = {}): ForecastEpisode[] {
  return Array.from({ length: count }, (_, i) => {
    const admittedDay = from + i;
    const estimate = admittedDay + 3;
    return stay({ clinic, admittedDay, notices: [{ day: admittedDay, estimate }], readyDay: estimate + offset, dischargedDay: estimate + offset + 2, ...extra });
  });
}

describe('the readiness model: hazards learnt from history, by estimate and by length of stay', () => {
  it('a clinic whose stays became ready the day after their estimate: an open stay is certain to do the same', () => {
    const history = withEstimates('Medicinkliniken', D, 40, 1);
    const model = new ReadinessModel(history, D + 59).slideTo(D + 60);
    const open = stay({ admittedDay: D + 58, notices: [{ day: D + 58, estimate: D + 62 }] });
    const p = model.probabilities(open, D + 60, D + 60, D + 66);
    expect(p.map((v) => Number(v.toFixed(9)))).toEqual([0, 0, 0, 1, 0, 0, 0]);
  });

  it('each clinic its own error; a clinic without history backs off to its region and care type (both clinics pooled)', () => {
    const history = [...withEstimates('Medicinkliniken', D, 40, 1), ...withEstimates('Ortopedkliniken', D, 40, -1)];
    const model = new ReadinessModel(history, D + 59).slideTo(D + 60);
    const at = (clinic: string) => model.probabilities(stay({ clinic, admittedDay: D + 55, notices: [{ day: D + 55, estimate: D + 63 }] }), D + 60, D + 60, D + 66).map((v) => Number(v.toFixed(9)));
    expect(at('Ortopedkliniken')).toEqual([0, 0, 1, 0, 0, 0, 0]);
    expect(at('Medicinkliniken')).toEqual([0, 0, 0, 0, 1, 0, 0]);
    // Half the pooled stays were ready the day before the estimate; the others the day after.
    expect(at('Geriatriska kliniken')).toEqual([0, 0, 0.5, 0, 0.5, 0, 0]);
  });

  it('without an estimate: the length of stay to readiness of the clinic and age group', () => {
    const history = Array.from({ length: 40 }, (_, i) => stay({ admittedDay: D + i, notices: [{ day: D + i, estimate: null }], readyDay: D + i + 4, dischargedDay: D + i + 6 }));
    const model = new ReadinessModel(history, D + 59).slideTo(D + 60);
    const p = model.probabilities(stay({ admittedDay: D + 59, notices: [{ day: D + 59, estimate: null }] }), D + 60, D + 60, D + 64);
    expect(p.map((v) => Number(v.toFixed(9)))).toEqual([0, 0, 0, 1, 0]);
  });

  it('stays without a notice mostly never become ready: a quarter of them did, three days in', () => {
    // 30 went home on day 2 without a notice; 10 had none on admission, one the next day, and were ready on day 3.
    const history = [
      ...Array.from({ length: 30 }, (_, i) => stay({ admittedDay: D + i, dischargedDay: D + i + 2 })),
      ...Array.from({ length: 10 }, (_, i) => stay({ admittedDay: D + i, notices: [{ day: D + i + 1, estimate: null }], readyDay: D + i + 3, dischargedDay: D + i + 5 })),
    ];
    const model = new ReadinessModel(history, D + 59, { windowDays: 90, minAtRisk: 5 }).slideTo(D + 60);
    const p = model.probabilities(stay({ admittedDay: D + 60 }), D + 60, D + 60, D + 64);
    expect(p.map((v) => Number(v.toFixed(9)))).toEqual([0, 0, 0, 0.25, 0]);
  });

  it('the window slides: what lies more than windowDays back is forgotten', () => {
    const history = [...withEstimates('Medicinkliniken', D, 30, 1), ...withEstimates('Medicinkliniken', D + 100, 30, 3)];
    const model = new ReadinessModel(history, D + 200, { windowDays: 40, minAtRisk: 10 });
    const open = stay({ admittedDay: D + 29, notices: [{ day: D + 29, estimate: D + 32 }] });
    expect(model.slideTo(D + 40).probabilities(open, D + 30, D + 30, D + 36).map((v) => Number(v.toFixed(9)))).toEqual([0, 0, 0, 1, 0, 0, 0]);
    const later = stay({ admittedDay: D + 139, notices: [{ day: D + 139, estimate: D + 142 }] });
    expect(model.slideTo(D + 140).probabilities(later, D + 140, D + 140, D + 146).map((v) => Number(v.toFixed(9)))).toEqual([0, 0, 0, 0, 0, 1, 0]);
    // Back again: sliding is exact in both directions.
    expect(model.slideTo(D + 40).probabilities(open, D + 30, D + 30, D + 36).map((v) => Number(v.toFixed(9)))).toEqual([0, 0, 0, 1, 0, 0, 0]);
  });

  it('stays not yet begun: the municipality\'s ready notices per day, spread by their length of stay', () => {
    // Two a day for 1880, each ready three days after admission; one a day for 1881.
    const history = [
      ...Array.from({ length: 80 }, (_, i) => stay({ admittedDay: D + Math.floor(i / 2), notices: [{ day: D + Math.floor(i / 2), estimate: null }], readyDay: D + Math.floor(i / 2) + 3, dischargedDay: D + Math.floor(i / 2) + 4 })),
      ...Array.from({ length: 40 }, (_, i) => stay({ admittedDay: D + i, homeMunicipality: '1881', recipient: '1881', readyDay: D + i + 3, dischargedDay: D + i + 4 })),
    ];
    const model = new ReadinessModel(history, D + 42, { windowDays: 40, minAtRisk: 5 }).slideTo(D + 43);
    expect(model.arrivalRecipients()).toEqual(['1880', '1881']);
    // The window's 40 days, D+3 … D+42, each saw two ready notices for 1880.
    expect(model.arrivals('1880', D + 45, D + 43)).toBe(0);
    expect(model.arrivals('1880', D + 46, D + 43)).toBeCloseTo(2, 12);
    expect(model.arrivals('1881', D + 46, D + 43)).toBeCloseTo(1, 12);
    // A third of the first day's admissions still to come.
    expect(model.arrivals('1880', D + 46, D + 43, 1 / 3)).toBeCloseTo(2 / 3, 12);
    const cells = forecast({ model, open: [], atRiskFrom: D + 43, knownBy: D + 42, firstDay: D + 46, days: 1, arrivalsFrom: D + 43, arrivalsFirstShare: 1 });
    expect(cells.map((c) => [c.municipality, Number(c.expected.toFixed(9)), c.fromOpen, c.openEpisodes])).toEqual([['1880', 2, 0, 0], ['1881', 1, 0, 0]]);
  });

  it('forecast: per recipient municipality and day, the open stays\' probabilities summed, with their bands', () => {
    const history = withEstimates('Medicinkliniken', D, 40, 1);
    const model = new ReadinessModel(history, D + 59).slideTo(D + 60);
    const open = [
      ...[0, 1, 2].map(() => stay({ admittedDay: D + 58, notices: [{ day: D + 58, estimate: D + 61 }] })),
      ...[0, 1].map(() => stay({ admittedDay: D + 58, homeMunicipality: '1881', recipient: '1881', notices: [{ day: D + 58, estimate: D + 63 }] })),
    ];
    const cells = forecast({ model, open, atRiskFrom: D + 60, knownBy: D + 60, firstDay: D + 61, days: 4, arrivalsFrom: D + 61, arrivalsFirstShare: 1, municipalities: ['1880', '1881', '1882'] });
    const shown = cells.map((c) => `${c.municipality} +${c.day - D - 60}: ${Number(c.expected.toFixed(9))} [${c.band90.join('–')}] of ${c.openEpisodes}`);
    // No stay was admitted in the window with a ready day within 4 days (every stay took 4): nothing from new admissions.
    expect(shown).toEqual([
      '1880 +1: 0 [0–0] of 3', '1880 +2: 3 [3–3] of 3', '1880 +3: 0 [0–0] of 3', '1880 +4: 0 [0–0] of 3',
      '1881 +1: 0 [0–0] of 2', '1881 +2: 0 [0–0] of 2', '1881 +3: 0 [0–0] of 2', '1881 +4: 2 [2–2] of 2',
      '1882 +1: 0 [0–0] of 0', '1882 +2: 0 [0–0] of 0', '1882 +3: 0 [0–0] of 0', '1882 +4: 0 [0–0] of 0',
    ]);
    expect(n).toBeGreaterThan(0);
  });
});
