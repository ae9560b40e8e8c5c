import { describe, expect, it } from 'vitest';
import type { DataByType, EventType, PatientEvent } from '../../services/contract/event.ts';
import { BAND_THRESHOLDS, DELAY_BANDS, delayBand } from '../../services/clock/delay-band.ts';
import { episodeClock } from '../../services/clock/episode-clock.ts';
import { foldEpisode } from '../../services/clock/episode-state.ts';
import { LAW_DEFAULTS } from '../../services/clock/rules.ts';

const at = (iso: string) => Date.parse(iso);
const DATA: Pick<{ [T in EventType]: DataByType[T] }, 'admission' | 'admission-notice' | 'ready-for-discharge'> = {
  admission: { region: '18', hospital: 'USO', clinic: 'Medicinkliniken', ward: 'Med 2', businessArea: 'Medicin', careType: 'SOMATIC', admissionType: 'ACUTE', homeMunicipality: '1880', ageYears: 82, primaryCareUnit: null },
  'admission-notice': { recipientMunicipality: '1880', estimatedDischargeDate: null },
  'ready-for-discharge': { judgedAt: null, recipientMunicipality: '1880', trackColour: 'NONE', fastVardkontaktAppointed: false, sipNeeded: false, sipCalledAt: null },
};
let seq = 0;
const ev = <T extends keyof typeof DATA>(type: T, iso: string, data: Partial<DataByType[T]> = {}): PatientEvent =>
  ({ type, eventId: `db-${++seq}`, occurredAt: at(iso), source: 'test', patientKey: 'P1', episodeId: 'E1', data: { ...DATA[type], ...data } }) as PatientEvent;

describe('delayBand: 0, 1, 2–3, 4–6, 7–13, 14–20, 21+', () => {
  const cases: [number, string][] = [
    [0, '0'],
    [1, '1'],
    [2, '2-3'],
    [3, '2-3'],
    [4, '4-6'],
    [6, '4-6'],
    [7, '7-13'],
    [13, '7-13'],
    [14, '14-20'],
    [20, '14-20'],
    [21, '21+'],
    [100, '21+'],
  ];
  for (const [days, band] of cases) {
    it(`${days} days → ${band}`, () => expect(delayBand(days)).toBe(band));
  }

  it('negative day counts fall in band 0', () => expect(delayBand(-1)).toBe('0'));

  it('the thresholds are exactly the day counts where the band changes', () => {
    const changes: number[] = [];
    for (let d = 1; d <= 60; d++) if (delayBand(d) !== delayBand(d - 1)) changes.push(d);
    expect(changes).toEqual([...BAND_THRESHOLDS]);
    expect(new Set(Array.from({ length: 60 }, (_, d) => delayBand(d)))).toEqual(new Set(DELAY_BANDS));
  });

  it('episodeClock puts utklarDays in its band', () => {
    const s = foldEpisode([ev('admission', '2026-02-01T08:00:00+01:00'), ev('admission-notice', '2026-02-01T09:00:00+01:00'), ev('ready-for-discharge', '2026-02-02T14:00:00+01:00')]);
    expect(episodeClock(s, at('2026-02-02T20:00:00+01:00'), LAW_DEFAULTS).band).toBe('0');
    expect(episodeClock(s, at('2026-02-05T20:00:00+01:00'), LAW_DEFAULTS).band).toBe('2-3');
    expect(episodeClock(s, at('2026-02-06T00:00:00+01:00'), LAW_DEFAULTS).band).toBe('4-6');
    expect(episodeClock(s, at('2026-02-23T00:00:00+01:00'), LAW_DEFAULTS).band).toBe('21+');
  });
});

describe('outOfCounty (Utom län)', () => {
  const clockFor = (admission: Partial<DataByType['admission']>) =>
    episodeClock(foldEpisode([ev('admission', '2026-02-01T08:00:00+01:00', admission)]), at('2026-02-02T08:00:00+01:00'), LAW_DEFAULTS);

  it("Kristinehamn (1781, Värmland, county 17) admitted in region '18' is out of county", () => {
    expect(clockFor({ homeMunicipality: '1781', region: '18' }).outOfCounty).toBe(true);
  });

  it('Örebro (1880) and Kumla (1881) in region 18 are not', () => {
    expect(clockFor({ homeMunicipality: '1880' }).outOfCounty).toBe(false);
    expect(clockFor({ homeMunicipality: '1881' }).outOfCounty).toBe(false);
  });

  it('Kristinehamn admitted in region 17 is not; an unknown code or no admission is not', () => {
    expect(clockFor({ homeMunicipality: '1781', region: '17' }).outOfCounty).toBe(false);
    expect(clockFor({ homeMunicipality: '9999' }).outOfCounty).toBe(false);
    const noAdmission = foldEpisode([ev('admission-notice', '2026-02-01T09:00:00+01:00')]);
    expect(episodeClock(noAdmission, at('2026-02-02T08:00:00+01:00'), LAW_DEFAULTS).outOfCounty).toBe(false);
  });
});
