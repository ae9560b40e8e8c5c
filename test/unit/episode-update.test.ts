import { describe, expect, it } from 'vitest';
import type { PatientEvent } from '../../services/contract/event.ts';
import { parseNdjsonEvent } from '../../services/contract/ndjson-event.ts';
import { episodeUpdate } from '../../services/episode-store/episode-update.ts';
import { NDJSON_BY_TYPE, PNR, line, pseudonymiser } from './sample-events.ts';

const AT = Date.parse('2026-02-03T10:30:00+01:00');
const KEY = pseudonymiser.patientKey(PNR);
const ev = (t: keyof typeof NDJSON_BY_TYPE, extra: Record<string, unknown> = {}): PatientEvent =>
  parseNdjsonEvent(line({ ...NDJSON_BY_TYPE[t], ...extra }), 1, pseudonymiser);

const common = (type: string, eventId: string) => ({
  episodeId: 'E-1',
  patientKey: KEY,
  lastEventId: eventId,
  lastEventType: type,
  lastOccurredAt: String(AT),
});

describe('episodeUpdate', () => {
  it('admission: ADMITTED with every admission fact, all as strings', () => {
    expect(episodeUpdate(ev('admission'))).toEqual({
      set: {
        ...common('admission', 'unit-1'),
        status: 'ADMITTED',
        admittedAt: String(AT),
        region: '18',
        hospital: 'USO',
        clinic: 'Medicinkliniken',
        ward: 'Med 2',
        businessArea: 'Medicin',
        careType: 'SOMATIC',
        admissionType: 'ACUTE',
        homeMunicipality: '1881',
        ageYears: '85',
        primaryCareUnit: 'VC Kumla',
      },
      del: [],
    });
  });

  it('admission without primaryCareUnit does not set it', () => {
    const u = episodeUpdate(ev('admission', { primaryCareUnit: null }));
    expect(u.set).not.toHaveProperty('primaryCareUnit');
  });

  it('admission-notice: records the notice without touching status', () => {
    const u = episodeUpdate(ev('admission-notice'));
    expect(u).toEqual({
      set: { ...common('admission-notice', 'unit-2'), admissionNoticeAt: String(AT), estimatedDischargeDate: '20488' },
      del: [],
    });
    expect(episodeUpdate(ev('admission-notice', { estimatedDischargeDate: null })).set).not.toHaveProperty('estimatedDischargeDate');
  });

  it('ready-for-discharge: READY since occurredAt', () => {
    expect(episodeUpdate(ev('ready-for-discharge'))).toEqual({
      set: {
        ...common('ready-for-discharge', 'unit-3'),
        status: 'READY',
        readySince: String(AT),
        recipientMunicipality: '1881',
        trackColour: 'GREEN',
        fastVardkontaktAppointed: 'true',
        sipNeeded: 'true',
      },
      del: [],
    });
  });

  it('ready-withdrawn: back to ADMITTED and readySince deleted', () => {
    const u = episodeUpdate(ev('ready-withdrawn'));
    expect(u.set.status).toBe('ADMITTED');
    expect(u.set.readyWithdrawnAt).toBe(String(AT));
    expect(u.set).not.toHaveProperty('readySince');
    expect(u.del).toEqual(['readySince']);
  });

  it('discharge: DISCHARGED with destination and the discharging unit', () => {
    const u = episodeUpdate(ev('discharge'));
    expect(u.set).toMatchObject({
      status: 'DISCHARGED',
      dischargedAt: String(AT),
      destination: 'HOME_WITH_MUNICIPAL_CARE',
      dischargeClinic: 'Medicinkliniken',
      dischargeWard: 'Med 2',
    });
    expect(u.set).not.toHaveProperty('clinic');
    expect(u.del).toEqual([]);
  });

  it('discharge-cancelled: back to ADMITTED and every discharge field deleted', () => {
    const u = episodeUpdate(ev('discharge-cancelled'));
    expect(u.set).toEqual({ ...common('discharge-cancelled', 'unit-8'), status: 'ADMITTED' });
    expect([...u.del].sort()).toEqual(['destination', 'dischargeClinic', 'dischargeWard', 'dischargedAt']);
    // Nothing a discharge sets may survive its cancellation.
    const discharged = Object.keys(episodeUpdate(ev('discharge')).set).filter((k) => !(k in common('', '')) && k !== 'status');
    expect([...u.del].sort()).toEqual(discharged.sort());
  });

  it('readmission: flags the episode and links the index episode when given', () => {
    const u = episodeUpdate(ev('readmission'));
    expect(u.set).toMatchObject({ readmission: 'true', readmissionOf: 'E-0' });
    expect(u.set).not.toHaveProperty('status');
    expect(episodeUpdate(ev('readmission', { indexEpisodeId: null })).set).not.toHaveProperty('readmissionOf');
  });

  it('admission-cancelled: CANCELLED with the time', () => {
    const u = episodeUpdate(ev('admission-cancelled'));
    expect(u.set).toMatchObject({ status: 'CANCELLED', cancelledAt: String(AT) });
    expect(u.del).toEqual([]);
  });

  it('only ever sets string values', () => {
    for (const t of Object.keys(NDJSON_BY_TYPE) as (keyof typeof NDJSON_BY_TYPE)[]) {
      for (const v of Object.values(episodeUpdate(ev(t)).set)) expect(typeof v).toBe('string');
    }
  });
});
