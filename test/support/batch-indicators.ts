import type { PatientEvent } from '../../services/contract/event.ts';
import { episodeClock } from '../../services/clock/episode-clock.ts';
import { foldEpisode, type EpisodeState } from '../../services/clock/episode-state.ts';
import { detectReadmission, historyEntry } from '../../services/clock/readmission.ts';
import type { RegionRules } from '../../services/clock/rules.ts';
import { readdirSync, readFileSync } from 'node:fs';
import { stockholmDay } from '../../services/core/stockholm-time.ts';

/**
 * The indicators recomputed in one batch straight from the raw events, in plain loops: no
 * ClickHouse, no SQL, no changelog, no episode_facts rows. Only the domain core (fold, day
 * counts) is shared, because that is what defines a day. The API must give exactly these.
 */
export interface BatchEpisode {
  s: EpisodeState;
  home: string;
  careType: string;
  utklarDays: number;
  paymentDays: number;
  paymentDayList: number[];
  liable: boolean;
  dischargedDay: number | null;
  admittedDay: number;
  readmission: boolean;
}

export function batchEpisodes(events: PatientEvent[], now: number, rules: RegionRules): BatchEpisode[] {
  const byEpisode = new Map<string, PatientEvent[]>();
  for (const e of events) byEpisode.set(e.episodeId, [...(byEpisode.get(e.episodeId) ?? []), e]);
  const states = [...byEpisode.values()].map((list) => foldEpisode(list));
  const byPatient = new Map<string, EpisodeState[]>();
  for (const s of states) byPatient.set(s.patientKey, [...(byPatient.get(s.patientKey) ?? []), s]);
  const out: BatchEpisode[] = [];
  for (const s of states) {
    if (s.status === 'CANCELLED' || s.status === 'PENDING' || !s.admission || s.admittedAt === null) continue;
    const history = byPatient.get(s.patientKey)!.filter((o) => o !== s).flatMap((o) => historyEntry(o) ?? []);
    const c = episodeClock(s, now, rules);
    const decided = s.dischargedAt === null ? s.lastEventAt : s.dischargedAt + 30 * 86_400_000;
    out.push({
      s,
      home: s.admission.homeMunicipality,
      careType: s.admission.careType,
      utklarDays: c.utklarDays,
      paymentDays: c.paymentDays,
      paymentDayList: c.paymentDayList,
      liable: episodeClock(s, decided, rules).liability !== 'not-liable',
      dischargedDay: s.dischargedAt === null ? null : stockholmDay(s.dischargedAt),
      admittedDay: stockholmDay(s.admittedAt),
      readmission: detectReadmission(s, history, rules) !== null,
    });
  }
  return out;
}

const inPeriod = (d: number | null, from: number, to: number): d is number => d !== null && d >= from && d <= to;
const key = (...parts: string[]) => parts.join('|');
function tally<T>(items: T[], keyOf: (t: T) => string, add: (acc: Record<string, number>, t: T) => void): Map<string, Record<string, number>> {
  const m = new Map<string, Record<string, number>>();
  for (const t of items) {
    const k = keyOf(t);
    const acc = m.get(k) ?? {};
    add(acc, t);
    m.set(k, acc);
  }
  return m;
}
const inc = (acc: Record<string, number>, name: string, by = 1) => void (acc[name] = (acc[name] ?? 0) + by);

/** Medelvårdtid by home municipality and care type: {episodes, days}. */
export const meanDaysByMunicipality = (eps: BatchEpisode[], from: number, to: number) =>
  tally(eps.filter((e) => inPeriod(e.dischargedDay, from, to) && e.s.readyPeriods.length > 0 && e.utklarDays >= 1), (e) => key(e.home, e.careType), (a, e) => {
    inc(a, 'episodes');
    inc(a, 'days', e.utklarDays);
  });

export const goalByMunicipality = (eps: BatchEpisode[], from: number, to: number) =>
  tally(eps.filter((e) => inPeriod(e.dischargedDay, from, to) && e.s.readyPeriods.length > 0), (e) => key(e.home, e.careType), (a, e) => {
    inc(a, 'episodes');
    inc(a, 'sameDay', e.utklarDays === 0 ? 1 : 0);
  });

/** Utklar bed-days in [from, to] per care type: every calendar day after the notice day while ready. */
export function bedDays(eps: BatchEpisode[], from: number, to: number, today: number): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of eps) {
    for (const p of e.s.readyPeriods) {
      const end = p.end === null ? today : stockholmDay(p.end);
      for (let d = stockholmDay(p.start) + 1; d <= end; d++) if (d >= from && d <= to) m.set(e.careType, (m.get(e.careType) ?? 0) + 1);
    }
  }
  return m;
}

export const waitingByMunicipality = (eps: BatchEpisode[]) =>
  tally(eps.filter((e) => e.s.dischargedAt === null && e.s.readyPeriods.some((p) => p.end === null)), (e) => e.home, (a, e) => {
    inc(a, 'waiting');
    inc(a, 'paymentDays', e.paymentDays);
    const d = e.utklarDays;
    inc(a, `band_${d <= 0 ? '0' : d === 1 ? '1' : d <= 3 ? '2-3' : d <= 6 ? '4-6' : d <= 13 ? '7-13' : d <= 20 ? '14-20' : '21+'}`);
  });

/** Örebro's monthly average (threshold 3,0, day-0 discharges out, all days billable when exceeded). */
export function paymentOrebro(eps: BatchEpisode[], from: number, to: number) {
  const month = eps.filter((e) => inPeriod(e.dischargedDay, from, to) && e.s.readyPeriods.length > 0 && e.utklarDays > 0);
  const recipient = (e: BatchEpisode) => e.s.readyPeriods.at(-1)!.recipientMunicipality;
  const t = tally(month, (e) => key(recipient(e), e.careType), (a, e) => {
    inc(a, 'episodes');
    inc(a, 'paymentDays', e.paymentDays);
    inc(a, 'liableDays', e.liable ? e.paymentDays : 0);
  });
  return new Map([...t].map(([k, a]) => {
    const average = a.paymentDays! / a.episodes!;
    return [k, { episodes: a.episodes!, paymentDays: a.paymentDays!, average, exceeded: average > 3, billableDays: average > 3 ? a.liableDays ?? 0 : 0 }];
  }));
}

export const readmissionsByMonth = (eps: BatchEpisode[], from: number, to: number) =>
  tally(eps.filter((e) => inPeriod(e.admittedDay, from, to)), (e) => {
    const d = new Date(e.admittedDay * 86_400_000);
    return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
  }, (a, e) => {
    inc(a, 'admissions');
    inc(a, 'readmissions', e.readmission ? 1 : 0);
  });

export const trackColoursByMonth = (eps: BatchEpisode[], from: number, to: number) =>
  tally(eps.filter((e) => inPeriod(e.dischargedDay, from, to) && e.s.readyPeriods.length > 0), (e) => {
    const d = new Date(e.dischargedDay! * 86_400_000);
    return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
  }, (a, e) => {
    const last = e.s.readyPeriods.at(-1)!;
    inc(a, 'episodes');
    inc(a, `colour_${last.trackColour}`);
    if (['GREEN', 'YELLOW', 'RED'].includes(last.trackColour)) {
      inc(a, 'fvkRequired');
      inc(a, 'fvkAppointed', last.fastVardkontaktAppointed ? 1 : 0);
    }
  });

/**
 * Both per-1 000 families, recomputed without services/reference/population.ts: the population
 * files are read afresh here (columns found by their header names), and the year is chosen by
 * scanning down from the rule's own year — per 1 000 invånare: the total on 31 Dec of the year the
 * period begins in; per 1 000 inv 65+: 65+ on 31 Dec of the year before — to the first year any
 * municipality has that figure for. Per home municipality and care type over the ready episodes
 * discharged in [from, to]: days, episodes (≥ 1 day), both populations and rates (null where the
 * municipality has no figure that year).
 */
export function perThousand(eps: BatchEpisode[], from: number, to: number, periodYear: number) {
  const dir = new URL('../../services/reference/', import.meta.url);
  const figures = { total: new Map<string, number>(), pop65: new Map<string, number>() };
  for (const file of readdirSync(dir).filter((f) => f.startsWith('population-') && f.endsWith('.csv'))) {
    const [head, ...lines] = readFileSync(new URL(file, dir), 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
    const col = head!.split(',');
    for (const line of lines) {
      const cell = line.split(',');
      const at = (name: string) => (col.includes(name) ? cell[col.indexOf(name)] : undefined);
      const k = `${at('kommunkod')}@${at('year')}`;
      if (at('pop_total') !== undefined) figures.total.set(k, Number(at('pop_total')));
      if (at('pop65') !== undefined) figures.pop65.set(k, Number(at('pop65')));
    }
  }
  const yearOf = (m: Map<string, number>, want: number): number | null => {
    const loaded = new Set([...m.keys()].map((k) => Number(k.split('@')[1])));
    for (let y = want; y >= 1968; y--) if (loaded.has(y)) return y;
    return null;
  };
  const totalYear = yearOf(figures.total, periodYear);
  const pop65Year = yearOf(figures.pop65, periodYear - 1);
  const sums = tally(eps.filter((e) => inPeriod(e.dischargedDay, from, to) && e.s.readyPeriods.length > 0), (e) => key(e.home, e.careType), (a, e) => {
    inc(a, 'days', e.utklarDays);
    inc(a, 'episodes', e.utklarDays >= 1 ? 1 : 0);
  });
  const rows = new Map([...sums].map(([k, a]) => {
    const kommun = k.split('|')[0]!;
    const total = totalYear === null ? null : figures.total.get(`${kommun}@${totalYear}`) ?? null;
    const pop65 = pop65Year === null ? null : figures.pop65.get(`${kommun}@${pop65Year}`) ?? null;
    const days = a.days ?? 0;
    const episodes = a.episodes ?? 0;
    return [k, {
      days, episodes,
      populationTotal: total, populationTotalYear: totalYear, daysPer1000Inv: total ? (days * 1000) / total : null, episodesPer1000Inv: total ? (episodes * 1000) / total : null,
      population65: pop65, population65Year: pop65Year, daysPer1000Inv65: pop65 ? (days * 1000) / pop65 : null, episodesPer1000Inv65: pop65 ? (episodes * 1000) / pop65 : null,
    }];
  }));
  return { rows, totalYear, pop65Year, totalLatest: totalYear !== null && totalYear < periodYear, pop65Latest: pop65Year !== null && pop65Year < periodYear - 1 };
}
