import { describe, expect, it } from 'vitest';
import { epochDay } from '../../services/core/stockholm-time.ts';
import { backtest, backtestTable } from '../../services/forecast/backtest.ts';
import { simulatedHistory } from './support/simulated-forecast-history.ts';

/**
 * The backtest on a seeded simulated region (fixed dates in 2025: the same numbers on any day the
 * suite runs): the simulator's estimates err per clinic as wards do, and the forecast learnt from
 * them must beat last week's same day at every horizon, with bands that hold what they claim.
 */
const history = simulatedHistory(3, Date.parse('2025-01-01T00:00:00Z'), Date.parse('2025-06-15T00:00:00Z'));
const period = { fromDay: epochDay({ year: 2025, month: 4, day: 1 }), toDay: epochDay({ year: 2025, month: 5, day: 31 }), days: 7 };

describe('the simulator\'s admission notices: estimates with a clinic\'s own error', () => {
  const byClinic = new Map<string, { errors: number[]; missing: number; notices: number }>();
  for (const e of history) {
    for (const n of e.notices) {
      const c = byClinic.get(e.clinic) ?? { errors: [], missing: 0, notices: 0 };
      c.notices++;
      if (n.estimate === null) c.missing++;
      else if (e.readyDay !== null) c.errors.push(n.estimate - e.readyDay);
      byClinic.set(e.clinic, c);
    }
  }
  const meanAbs = (clinic: string) => byClinic.get(clinic)!.errors.reduce((s, v) => s + Math.abs(v), 0) / byClinic.get(clinic)!.errors.length;
  const missing = (clinic: string) => byClinic.get(clinic)!.missing / byClinic.get(clinic)!.notices;

  it('orthopaedics estimates closest, psychiatry furthest and most often not at all; geriatrics too early', () => {
    expect(meanAbs('Ortopedkliniken')).toBeLessThan(meanAbs('Medicinkliniken'));
    expect(meanAbs('Medicinkliniken')).toBeLessThan(meanAbs('Psykiatriska kliniken'));
    expect(missing('Psykiatriska kliniken')).toBeGreaterThan(0.2);
    expect(missing('Ortopedkliniken')).toBeLessThan(0.12);
    const geri = byClinic.get('Geriatriska kliniken')!.errors;
    expect(geri.reduce((s, v) => s + v, 0) / geri.length).toBeLessThan(-0.5);
  });

  it('the same seed gives the same estimates', () => {
    const again = simulatedHistory(3, Date.parse('2025-01-01T00:00:00Z'), Date.parse('2025-02-01T00:00:00Z'));
    const first = history.filter((e) => e.admittedDay < epochDay({ year: 2025, month: 1, day: 25 }));
    expect(again.filter((e) => e.admittedDay < epochDay({ year: 2025, month: 1, day: 25 })).map((e) => e.notices)).toEqual(first.map((e) => e.notices));
  });
});

describe('the backtest: forecast against last week\'s same day', () => {
  const result = backtest(history, { ...period, select: (e) => e.region === '18' });

  it('beats the baseline overall and at every horizon, by at least a fifth', () => {
    expect(result.overall.cells).toBe(61 * 7 * result.municipalities.length);
    expect(result.overall.maeForecast, backtestTable(result)).toBeLessThan(0.8 * result.overall.maeBaseline);
    for (const [h, s] of result.byHorizon.entries()) expect(s.maeForecast, `day +${h}\n${backtestTable(result)}`).toBeLessThan(s.maeBaseline);
  });

  it('its bands hold at least what they claim', () => {
    expect(result.overall.coverage50).toBeGreaterThanOrEqual(0.5);
    expect(result.overall.coverage90).toBeGreaterThanOrEqual(0.9);
  });

  it('the estimates earn their place: without them the first days are forecast worse', () => {
    const blind = backtest(history.map((e) => ({ ...e, notices: e.notices.map((n) => ({ ...n, estimate: null })) })), { ...period, select: (e) => e.region === '18' });
    expect(result.byHorizon[0]!.maeForecast).toBeLessThan(blind.byHorizon[0]!.maeForecast);
    expect(result.overall.maeForecast).toBeLessThan(blind.overall.maeForecast);
  });
});
