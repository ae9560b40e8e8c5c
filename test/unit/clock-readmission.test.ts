import { describe, expect, it } from 'vitest';
import type { DataByType, EventType, PatientEvent } from '../../services/contract/event.ts';
import { foldEpisode } from '../../services/clock/episode-state.ts';
import { detectReadmission, historyEntry, relinked, type EpisodeHistoryEntry } from '../../services/clock/readmission.ts';
import { LAW_DEFAULTS, type RegionRules } from '../../services/clock/rules.ts';

const at = (iso: string) => Date.parse(iso);

const DATA: { [T in EventType]: DataByType[T] } = {
  admission: { region: '18', hospital: 'USO', clinic: 'Medicinkliniken', ward: 'Med 2', businessArea: 'Medicin', careType: 'SOMATIC', admissionType: 'ACUTE', homeMunicipality: '1880', ageYears: 82, primaryCareUnit: null },
  'admission-notice': { recipientMunicipality: '1880', estimatedDischargeDate: null },
  'ready-for-discharge': { judgedAt: null, recipientMunicipality: '1880', trackColour: 'NONE', fastVardkontaktAppointed: false, sipNeeded: false, sipCalledAt: null },
  'ready-withdrawn': { reasonCode: null },
  discharge: { destination: 'HOME', clinic: 'Ortopedkliniken', ward: 'Ort 1' },
  readmission: { indexEpisodeId: null },
  'admission-cancelled': { reasonCode: null },
  'discharge-cancelled': { reasonCode: null },
  'delay-reason': { reasonCode: 'AWAITING_HOME_CARE', responsibleParty: 'MUNICIPALITY', endedAt: null },
  transfer: { hospital: 'USO', clinic: 'Medicinkliniken', ward: 'Med 4', businessArea: null },
};
let seq = 0;
const ev = <T extends EventType>(episodeId: string, type: T, iso: string, data: Partial<DataByType[T]> = {}): PatientEvent =>
  ({ type, eventId: `rd-${++seq}`, occurredAt: at(iso), source: 'test', patientKey: 'P1', episodeId, data: { ...DATA[type], ...data } }) as PatientEvent;

/** The index stay: admitted 1 Jan, discharged from Ortopedkliniken on 10 Jan 2026 at 14:00. */
const INDEX_DISCHARGE = '2026-01-10T14:00:00+01:00';
const indexState = (extra: PatientEvent[] = []) =>
  foldEpisode([ev('E0', 'admission', '2026-01-01T08:00:00+01:00'), ev('E0', 'discharge', INDEX_DISCHARGE), ...extra]);
const indexHistory = (): EpisodeHistoryEntry[] => [historyEntry(indexState())!];

/** A new stay of the same patient admitted at `iso`. */
const stay = (iso: string, admission: Partial<DataByType['admission']> = {}, extra: PatientEvent[] = []) =>
  foldEpisode([ev('E1', 'admission', iso, admission), ...extra]);

const entry = (episodeId: string, dischargedIso: string | null, over: Partial<EpisodeHistoryEntry> = {}): EpisodeHistoryEntry => ({
  episodeId,
  region: '18',
  admittedAt: at('2025-12-01T08:00:00+01:00'),
  dischargedAt: dischargedIso === null ? null : at(dischargedIso),
  dischargeClinic: `clinic of ${episodeId}`,
  cancelled: false,
  ...over,
});

describe('historyEntry', () => {
  it('keeps what linkage needs of a folded episode', () => {
    expect(historyEntry(indexState())).toEqual({
      episodeId: 'E0',
      region: '18',
      admittedAt: at('2026-01-01T08:00:00+01:00'),
      dischargedAt: at(INDEX_DISCHARGE),
      dischargeClinic: 'Ortopedkliniken',
      cancelled: false,
    });
  });

  it('is undefined without an admission; marks a cancelled admission', () => {
    expect(historyEntry(foldEpisode([ev('E9', 'discharge', INDEX_DISCHARGE)]))).toBeUndefined();
    expect(historyEntry(indexState([ev('E0', 'admission-cancelled', '2026-01-10T15:00:00+01:00')]))?.cancelled).toBe(true);
  });
});

describe('detectReadmission: the 1-30 day window in Stockholm calendar days', () => {
  it('acute admission on day 30 after the index discharge → linked with index episode and clinic', () => {
    expect(detectReadmission(stay('2026-02-09T23:30:00+01:00'), indexHistory(), LAW_DEFAULTS)).toEqual({
      indexEpisodeId: 'E0',
      indexDischargeClinic: 'Ortopedkliniken',
      daysAfterDischarge: 30,
      source: 'detected',
    });
  });

  it('day 31 → null', () => {
    expect(detectReadmission(stay('2026-02-10T00:10:00+01:00'), indexHistory(), LAW_DEFAULTS)).toBeNull();
  });

  it('day 0 (same day) → null with the default minDays 1', () => {
    expect(LAW_DEFAULTS.readmission.minDays).toBe(1);
    expect(detectReadmission(stay('2026-01-10T18:00:00+01:00'), indexHistory(), LAW_DEFAULTS)).toBeNull();
    const minZero: RegionRules = { ...LAW_DEFAULTS, readmission: { ...LAW_DEFAULTS.readmission, minDays: 0 } };
    expect(detectReadmission(stay('2026-01-10T18:00:00+01:00'), indexHistory(), minZero)?.daysAfterDischarge).toBe(0);
  });

  it('day 1 is the next calendar day, even 10 hours after the discharge', () => {
    expect(detectReadmission(stay('2026-01-11T00:05:00+01:00'), indexHistory(), LAW_DEFAULTS)?.daysAfterDischarge).toBe(1);
  });

  it('counts calendar days across the DST switch', () => {
    const history = [entry('EX', '2026-03-28T23:30:00+01:00')];
    // 28 March 23:30 CET → 27 April 23:50 CEST: 30 calendar days, though only 29 d 23 h 20 min have passed.
    expect(detectReadmission(stay('2026-04-27T23:50:00+02:00'), history, LAW_DEFAULTS)?.daysAfterDischarge).toBe(30);
    expect(detectReadmission(stay('2026-04-28T00:10:00+02:00'), history, LAW_DEFAULTS)).toBeNull();
  });

  it('the window is a setting', () => {
    const week: RegionRules = { ...LAW_DEFAULTS, readmission: { ...LAW_DEFAULTS.readmission, windowDays: 7 } };
    expect(detectReadmission(stay('2026-01-17T10:00:00+01:00'), indexHistory(), week)?.daysAfterDischarge).toBe(7);
    expect(detectReadmission(stay('2026-01-18T10:00:00+01:00'), indexHistory(), week)).toBeNull();
  });
});

describe('detectReadmission: what is not a readmission', () => {
  it('a planned admission → null when acuteOnly; linked when not', () => {
    const planned = stay('2026-01-20T10:00:00+01:00', { admissionType: 'PLANNED' });
    expect(detectReadmission(planned, indexHistory(), LAW_DEFAULTS)).toBeNull();
    const any: RegionRules = { ...LAW_DEFAULTS, readmission: { ...LAW_DEFAULTS.readmission, acuteOnly: false } };
    expect(detectReadmission(planned, indexHistory(), any)?.indexEpisodeId).toBe('E0');
  });

  it('an index stay in another region → null when sameRegionOnly; linked when not', () => {
    const history = [entry('E-VARMLAND', INDEX_DISCHARGE, { region: '17' })];
    const s = stay('2026-01-20T10:00:00+01:00');
    expect(detectReadmission(s, history, LAW_DEFAULTS)).toBeNull();
    const anyRegion: RegionRules = { ...LAW_DEFAULTS, readmission: { ...LAW_DEFAULTS.readmission, sameRegionOnly: false } };
    expect(detectReadmission(s, history, anyRegion)?.indexEpisodeId).toBe('E-VARMLAND');
  });

  it('a cancelled index episode is ignored (the earlier real one is the index)', () => {
    const history = [entry('E-REAL', '2026-01-10T14:00:00+01:00'), entry('E-ERROR', '2026-01-15T14:00:00+01:00', { cancelled: true })];
    expect(detectReadmission(stay('2026-01-20T10:00:00+01:00'), history, LAW_DEFAULTS)).toMatchObject({ indexEpisodeId: 'E-REAL', daysAfterDischarge: 10 });
    expect(detectReadmission(stay('2026-01-20T10:00:00+01:00'), [history[1]!], LAW_DEFAULTS)).toBeNull();
  });

  it('the latest earlier discharge is the index; later discharges, open stays and the episode itself are not', () => {
    const history = [
      entry('E-OLD', '2026-01-05T10:00:00+01:00'),
      entry('E-LATEST', '2026-01-12T10:00:00+01:00'),
      entry('E-AFTER', '2026-01-25T10:00:00+01:00'),
      entry('E-OPEN', null),
      entry('E1', '2026-01-19T10:00:00+01:00'),
    ];
    expect(detectReadmission(stay('2026-01-20T10:00:00+01:00'), history, LAW_DEFAULTS)).toEqual({
      indexEpisodeId: 'E-LATEST',
      indexDischargeClinic: 'clinic of E-LATEST',
      daysAfterDischarge: 8,
      source: 'detected',
    });
    // Order of the history does not matter.
    expect(detectReadmission(stay('2026-01-20T10:00:00+01:00'), [...history].reverse(), LAW_DEFAULTS)?.indexEpisodeId).toBe('E-LATEST');
  });

  it('a cancelled readmission candidate or one without admission is not detected', () => {
    const cancelled = stay('2026-01-20T10:00:00+01:00', {}, [ev('E1', 'admission-cancelled', '2026-01-20T11:00:00+01:00')]);
    expect(detectReadmission(cancelled, indexHistory(), LAW_DEFAULTS)).toBeNull();
    const noAdmission = foldEpisode([ev('E1', 'admission-notice', '2026-01-20T10:00:00+01:00')]);
    expect(detectReadmission(noAdmission, indexHistory(), LAW_DEFAULTS)).toBeNull();
  });
});

describe("detectReadmission: a source's readmission event", () => {
  it('reported + detected → ONE link with source both (not double counted)', () => {
    const reportedNoIndex = stay('2026-01-20T10:00:00+01:00', {}, [ev('E1', 'readmission', '2026-01-20T10:30:00+01:00')]);
    expect(detectReadmission(reportedNoIndex, indexHistory(), LAW_DEFAULTS)).toEqual({
      indexEpisodeId: 'E0',
      indexDischargeClinic: 'Ortopedkliniken',
      daysAfterDischarge: 10,
      source: 'both',
    });
    const reportedSameIndex = stay('2026-01-20T10:00:00+01:00', {}, [ev('E1', 'readmission', '2026-01-20T10:30:00+01:00', { indexEpisodeId: 'E0' })]);
    expect(detectReadmission(reportedSameIndex, indexHistory(), LAW_DEFAULTS)?.source).toBe('both');
  });

  it('a reported readmission with no detectable index → source reported', () => {
    const s = stay('2026-01-20T10:00:00+01:00', {}, [ev('E1', 'readmission', '2026-01-20T10:30:00+01:00', { indexEpisodeId: 'E-ELSEWHERE' })]);
    expect(detectReadmission(s, [], LAW_DEFAULTS)).toEqual({ indexEpisodeId: 'E-ELSEWHERE', indexDischargeClinic: null, daysAfterDischarge: null, source: 'reported' });
    const unnamed = stay('2026-01-20T10:00:00+01:00', {}, [ev('E1', 'readmission', '2026-01-20T10:30:00+01:00')]);
    expect(detectReadmission(unnamed, [], LAW_DEFAULTS)).toEqual({ indexEpisodeId: 'unknown', indexDischargeClinic: null, daysAfterDischarge: null, source: 'reported' });
  });

  it('a report naming another index than the detected one trusts the source, with what history knows', () => {
    const history = [...indexHistory(), entry('E-NAMED', '2026-01-05T10:00:00+01:00')];
    const s = stay('2026-01-20T10:00:00+01:00', {}, [ev('E1', 'readmission', '2026-01-20T10:30:00+01:00', { indexEpisodeId: 'E-NAMED' })]);
    expect(detectReadmission(s, history, LAW_DEFAULTS)).toEqual({
      indexEpisodeId: 'E-NAMED',
      indexDischargeClinic: 'clinic of E-NAMED',
      daysAfterDischarge: 15,
      source: 'reported',
    });
  });

  // Regression (found by these tests): see the fix in services/clock.
  it('a cancelled admission with a readmission event is not a readmission', () => {
    const s = stay('2026-01-20T10:00:00+01:00', {}, [
      ev('E1', 'readmission', '2026-01-20T10:30:00+01:00', { indexEpisodeId: 'E0' }),
      ev('E1', 'admission-cancelled', '2026-01-20T11:00:00+01:00', { reasonCode: 'REGISTERED_IN_ERROR' }),
    ]);
    expect(s.status).toBe('CANCELLED');
    expect(detectReadmission(s, indexHistory(), LAW_DEFAULTS)).toBeNull();
  });
});

describe('relinking when the index stay changes after the readmission was applied', () => {
  const readmitted = () => ({ state: stay('2026-01-20T09:00:00+01:00'), readmission: null });

  it('links a stay admitted before the index discharge arrived, once the discharge is known', () => {
    const open = historyEntry(foldEpisode([ev('E0', 'admission', '2026-01-01T08:00:00+01:00')]))!;
    expect(relinked([readmitted()], [open], LAW_DEFAULTS)).toEqual([]);
    const [changed] = relinked([readmitted()], indexHistory(), LAW_DEFAULTS);
    expect(changed!.readmission).toEqual({ indexEpisodeId: 'E0', indexDischargeClinic: 'Ortopedkliniken', daysAfterDischarge: 10, source: 'detected' });
  });

  it('unlinks it when the index stay is cancelled, and leaves unaffected stays alone', () => {
    const linked = { state: stay('2026-01-20T09:00:00+01:00'), readmission: detectReadmission(stay('2026-01-20T09:00:00+01:00'), indexHistory(), LAW_DEFAULTS) };
    expect(relinked([linked], indexHistory(), LAW_DEFAULTS)).toEqual([]);
    const cancelled = [historyEntry(indexState([ev('E0', 'admission-cancelled', '2026-01-11T08:00:00+01:00')]))!];
    expect(relinked([linked], cancelled, LAW_DEFAULTS).map((c) => c.readmission)).toEqual([null]);
  });
});
