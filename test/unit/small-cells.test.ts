import { describe, expect, it } from 'vitest';
import { toCsv } from '../../services/api/csv.ts';
import { exactDatesFor, monthOnly, suppressSmallCells, suppresses } from '../../services/api/small-cells.ts';

describe('small-cell suppression (issue #19)', () => {
  it('counts of 1–4 are withheld, 0 and 5 are shown, and what is computed from a withheld count goes with it', () => {
    const { rows, cells } = suppressSmallCells('indicators/mean-days', [
      { group: '1880', careType: 'SOMATIC', episodes: 4, days: 9, meanDays: 2.25 },
      { group: '1880', careType: 'PSYCHIATRIC', episodes: 5, days: 11, meanDays: 2.2 },
      { group: '1881', careType: 'SOMATIC', episodes: 0, days: 0, meanDays: 0 },
      { group: '1882', careType: 'SOMATIC', episodes: 1, days: 30, meanDays: 30 },
    ], 5);
    expect(rows).toEqual([
      { group: '1880', careType: 'SOMATIC', episodes: null, days: null, meanDays: null, suppressed: ['episodes', 'days', 'meanDays'] },
      { group: '1880', careType: 'PSYCHIATRIC', episodes: 5, days: 11, meanDays: 2.2 },
      { group: '1881', careType: 'SOMATIC', episodes: 0, days: 0, meanDays: 0 },
      { group: '1882', careType: 'SOMATIC', episodes: null, days: null, meanDays: null, suppressed: ['episodes', 'days', 'meanDays'] },
    ]);
    expect(cells).toBe(6);
  });

  it('a small part of a large group: the part and the share computed from it are withheld, the group is not', () => {
    const { rows } = suppressSmallCells('readmissions', [{ group: '2026-01', admissions: 120, readmissions: 3, share: 0.025, previousYearAdmissions: 98, previousYearReadmissions: 7 }], 5);
    expect(rows[0]).toEqual({ group: '2026-01', admissions: 120, readmissions: null, share: null, previousYearAdmissions: 98, previousYearReadmissions: 7, suppressed: ['readmissions', 'share'] });
  });

  it('counts named by pattern: delay bands and track colours', () => {
    const w = suppressSmallCells('waiting', [{ group: '1880', waiting: 12, paymentDays: 40, band_0: 8, band_1: 0, 'band_2-3': 4 }], 5).rows[0];
    expect(w).toMatchObject({ waiting: 12, paymentDays: 40, band_0: 8, band_1: 0, 'band_2-3': null, suppressed: ['band_2-3'] });
    const few = suppressSmallCells('waiting', [{ group: '1881', waiting: 3, paymentDays: 7, band_0: 3 }], 5).rows[0];
    expect(few).toMatchObject({ waiting: null, paymentDays: null, band_0: null });
    const t = suppressSmallCells('track-colours', [{ month: 'period', episodes: 40, fvkRequired: 30, fvkAppointed: 2, colour_RED: 1, colour_GREEN: 39, fastVardkontaktShare: 0.0667 }], 5).rows[0];
    expect(t).toMatchObject({ episodes: 40, fvkRequired: 30, fvkAppointed: null, colour_RED: null, colour_GREEN: 39, fastVardkontaktShare: null });
  });

  it('the limit is a setting; 1 (or 0) withholds nothing', () => {
    expect(suppressSmallCells('overview', [{ group: '1880', admitted: 7, readyNotices: 3, utklarEpisodes: 2, waitingNow: 0 }], 10).rows[0]).toMatchObject({ admitted: null, readyNotices: null, utklarEpisodes: null, waitingNow: 0 });
    expect(suppresses('overview', { kind: 'municipality', municipality: '1880' }, 'json', 1)).toBe(false);
  });

  it('whom it applies to: a municipality\'s aggregates, and every CSV export; not the invoice basis, not a region\'s JSON', () => {
    const m = { kind: 'municipality', municipality: '1880' } as const;
    const r = { kind: 'region', region: '18' } as const;
    expect(suppresses('indicators/mean-days', m, 'json', 5)).toBe(true);
    expect(suppresses('indicators/mean-days', r, 'json', 5)).toBe(false);
    expect(suppresses('indicators/mean-days', r, 'csv', 5)).toBe(true);
    expect(suppresses('indicators/mean-days', { kind: 'nation' }, 'csv', 5)).toBe(true);
    expect(suppresses('payment', m, 'json', 5)).toBe(false);
    expect(suppresses('payment', m, 'csv', 5)).toBe(false);
    expect(suppresses('rows', m, 'json', 5)).toBe(false);
  });

  it('CSV shows a withheld cell as "<5" and drops the list naming them', () => {
    const { rows } = suppressSmallCells('indicators/mean-days', [{ group: '1880', episodes: 2, days: 3, meanDays: 1.5 }, { group: '1881', episodes: 6, days: 6, meanDays: 1 }], 5);
    expect(toCsv(rows, '<5')).toBe('group,episodes,days,meanDays\r\n1880,<5,<5,<5\r\n1881,6,6,1\r\n');
  });

  it('patient-level rows: days for the region and the ward, months for everyone else', () => {
    expect(exactDatesFor({ kind: 'region', region: '18' })).toBe(true);
    expect(exactDatesFor({ kind: 'unit', hospital: 'USO', ward: 'Med 2' })).toBe(true);
    expect(exactDatesFor({ kind: 'municipality', municipality: '1880' })).toBe(false);
    expect(exactDatesFor({ kind: 'nation' })).toBe(false);
    expect(monthOnly([{ episodeId: 'E1', admitted: '2026-11-03', discharged: null, ageGroup: '85+' }])).toEqual([{ episodeId: 'E1', admitted: '2026-11', discharged: null, ageGroup: '85+' }]);
  });
});
