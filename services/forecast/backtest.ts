import { isoDate, fromEpochDay } from '../core/stockholm-time.ts';
import { forecast } from './forecast.ts';
import type { ForecastEpisode } from './forecast-episode.ts';
import { ReadinessModel, MODEL_DEFAULTS, type ModelOptions } from './readiness-model.ts';

/**
 * The forecast replayed over history: on each day of the period, made at its midnight from what
 * was known then (the stays open at that instant, the notices sent before it, a model learnt from
 * the window before it), for that day and the `days − 1` after; then set against what happened
 * (first ready notices per recipient municipality and day) and against the naive forecast a
 * planner would otherwise use: last week's same day.
 */
export interface BacktestOptions {
  fromDay: number;
  toDay: number;
  days: number;
  model?: ModelOptions;
  /** The episodes whose municipality-days are scored (a region's); the model learns from all. */
  select?: (e: ForecastEpisode) => boolean;
}

export interface Score {
  /** Municipality-days scored. */
  cells: number;
  /** Mean absolute error per municipality-day of the forecast's median, of its mean, and of the baseline. */
  maeForecast: number;
  maeMean: number;
  maeBaseline: number;
  /** Share of municipality-days whose actual count lay inside the 50 % and the 90 % band. */
  coverage50: number;
  coverage90: number;
  /** Mean actual count per municipality-day (what the errors compare with). */
  meanActual: number;
}

export interface BacktestResult {
  from: string;
  to: string;
  days: number;
  windowDays: number;
  municipalities: string[];
  overall: Score;
  /** Index 0: the forecast's own day (made at its midnight), 1: the day after, … */
  byHorizon: Score[];
}

class Tally {
  cells = 0;
  forecast = 0;
  mean = 0;
  baseline = 0;
  in50 = 0;
  in90 = 0;
  actual = 0;

  score(): Score {
    const n = Math.max(1, this.cells);
    return {
      cells: this.cells, maeForecast: this.forecast / n, maeMean: this.mean / n, maeBaseline: this.baseline / n,
      coverage50: this.in50 / n, coverage90: this.in90 / n, meanActual: this.actual / n,
    };
  }
}

export function backtest(history: readonly ForecastEpisode[], o: BacktestOptions): BacktestResult {
  const select = o.select ?? (() => true);
  const options = o.model ?? MODEL_DEFAULTS;
  const actual = new Map<string, number>();
  const key = (m: string, d: number) => `${m}|${d}`;
  for (const e of history) if (e.readyDay !== null && select(e)) actual.set(key(e.recipient, e.readyDay), (actual.get(key(e.recipient, e.readyDay)) ?? 0) + 1);
  const municipalities = [...new Set(history.filter((e) => e.readyDay !== null && select(e)).map((e) => e.recipient))].sort();
  const model = new ReadinessModel(history, o.toDay + o.days, options, select);
  const overall = new Tally();
  const byHorizon = Array.from({ length: o.days }, () => new Tally());
  // Whom the notice will go to is not known before it is sent: an open stay counts for its home municipality.
  const candidates = history.filter(select).map((e) => ({ ...e, recipient: e.homeMunicipality }));
  for (let day = o.fromDay; day <= o.toDay; day++) {
    model.slideTo(day);
    const open = candidates.filter((e) => e.admittedDay < day && (e.readyDay ?? Infinity) >= day && (e.dischargedDay ?? Infinity) >= day);
    const cells = forecast({ model, open, atRiskFrom: day, knownBy: day - 1, firstDay: day, days: o.days, arrivalsFrom: day, arrivalsFirstShare: 1, municipalities });
    for (const c of cells) {
      const real = actual.get(key(c.municipality, c.day)) ?? 0;
      const lastWeek = actual.get(key(c.municipality, c.day - 7)) ?? 0;
      for (const t of [overall, byHorizon[c.day - day]!]) {
        t.cells++;
        t.forecast += Math.abs(c.median - real);
        t.mean += Math.abs(c.expected - real);
        t.baseline += Math.abs(lastWeek - real);
        if (real >= c.band50[0] && real <= c.band50[1]) t.in50++;
        if (real >= c.band90[0] && real <= c.band90[1]) t.in90++;
        t.actual += real;
      }
    }
  }
  const iso = (d: number) => isoDate(fromEpochDay(d));
  return {
    from: iso(o.fromDay), to: iso(o.toDay), days: o.days, windowDays: options.windowDays, municipalities,
    overall: overall.score(), byHorizon: byHorizon.map((t) => t.score()),
  };
}

/** The result as the README shows it (Markdown). */
export function backtestTable(r: BacktestResult): string {
  const f = (v: number, digits = 2) => v.toFixed(digits);
  const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
  const line = (label: string, s: Score) =>
    `| ${label} | ${s.cells} | ${f(s.meanActual)} | **${f(s.maeForecast)}** | ${f(s.maeMean)} | ${f(s.maeBaseline)} | ${s.maeBaseline > 0 ? pct(1 - s.maeForecast / s.maeBaseline) : '–'} | ${pct(s.coverage50)} | ${pct(s.coverage90)} |`;
  return [
    `Forecast days ${r.from} – ${r.to}, ${r.days} days ahead each, window ${r.windowDays} days, ${r.municipalities.length} recipient municipalities (${r.municipalities.join(', ')})`,
    '',
    '| horizon | municipality-days | mean actual | MAE forecast (median) | MAE forecast (mean) | MAE baseline (last week) | error below the baseline’s | in 50 % band | in 90 % band |',
    '|---|---|---|---|---|---|---|---|---|',
    line('all', r.overall),
    ...r.byHorizon.map((s, h) => line(h === 0 ? 'day 0 (its own day)' : `day +${h}`, s)),
  ].join('\n');
}
