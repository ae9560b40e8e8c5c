import { describe, expect, it } from 'vitest';
import { loadAgreementSet } from '../../services/agreements/agreement-set.ts';
import { OREBRO_RULES } from '../../services/clock/rules.ts';
import { corrections } from '../../services/invoices/corrections.ts';
import { forMunicipality, invoiceBasis } from '../../services/invoices/invoice-basis.ts';
import { linesCsv, specificationCsv } from '../../services/invoices/invoice-csv.ts';
import { EPISODES, HYPERLINK, NOVEMBER, ep, iso } from '../support/invoice-episodes.ts';

const set = loadAgreementSet(undefined, 'orebro');


describe('the invoice basis and its specification, worked by hand', () => {
  const orebro = invoiceBasis(EPISODES, set, NOVEMBER, '18');
  const line = (kommun: string, careType = 'SOMATIC') => orebro.rows.find((r) => r.kommun === kommun && r.careType === careType);
  const spec = (id: string) => orebro.specification.find((s) => s.episodeId === id)!;

  it('per municipality and care type', () => {
    expect(orebro).toMatchObject({ month: '2023-11', region: '18', period: { from: '2023-11-01', to: '2023-11-30' } });
    expect(line('1880')).toMatchObject({ kommunNamn: 'Örebro', episodes: 3, paymentDays: 10, threshold: 3, exceeded: true, billableDays: 8, amountSek: 84_000, missingAmountYears: [], agreement: 'orebro.json#2018-01-01' });
    expect(Number(line('1880')!.average)).toBeCloseTo(10 / 3, 10);
    expect(line('1880', 'PSYCHIATRIC')).toMatchObject({ episodes: 1, paymentDays: 4, average: 4, exceeded: true, billableDays: 4, amountSek: 42_000 });
    expect(line('1881')).toMatchObject({ kommunNamn: 'Kumla', episodes: 2, paymentDays: 6, average: 3, exceeded: false, billableDays: 0, amountSek: 0 });
    expect(orebro.rows).toHaveLength(3);
  });

  it('one specification line per episode discharged in the month, adding up to the lines', () => {
    expect(orebro.specification.map((s) => s.episodeId)).toEqual(['P1', 'A1', 'A2', 'A3', 'A4', 'K1', HYPERLINK]);
    expect(spec('A1')).toMatchObject({
      kommun: '1880', careType: 'SOMATIC', readyDays: ['2023-10-31'], readyEndDays: ['2023-11-05'], discharged: '2023-11-05', paymentDays: 5,
      paymentDates: ['2023-11-01', '2023-11-02', '2023-11-03', '2023-11-04', '2023-11-05'], inAverage: true, billableDays: 5, billableDates: ['2023-11-01', '2023-11-02', '2023-11-03', '2023-11-04', '2023-11-05'],
      liability: 'liable', conditionsRequired: ['admission-notice-in-time', 'ready-notice-sent', 'sip-called-in-time'], conditionsUnmet: [], amountSek: 52_500,
    });
    expect(spec('A1').reason).toBe('kommunens snitt 3,33 är över gränsvärdet 3: alla betalningsansvarsdagar debiteras');
    expect(spec('A3')).toMatchObject({ billableDays: 0, liability: 'not-liable', amountSek: 0 });
    expect(spec('A3').reason).toMatch(/^ett villkor som avtalet kräver är inte uppfyllt/);
    expect(spec('A4')).toMatchObject({ inAverage: false, paymentDays: 1, billableDays: 0, reason: 'utskriven dag 0: ingår inte i snittet enligt avtalet' });
    expect(spec('K1')).toMatchObject({ billableDays: 0, reason: 'kommunens snitt 3 är inte över gränsvärdet 3' });
    for (const r of orebro.rows) {
      const of = orebro.specification.filter((s) => s.kommun === r.kommun && s.careType === r.careType);
      expect(of.reduce((n, s) => n + s.billableDays, 0)).toBe(r.billableDays);
      expect(of.reduce((n, s) => n + (s.amountSek ?? 0), 0)).toBe(r.amountSek);
    }
  });

  it('names the required conditions the clock found unmet, and only those', () => {
    const late = ep('A3', '18', '1880', '2023-11-15', 2, { liable: false, liability: 'not-liable', conditionsUnmet: ['admission-notice-in-time', 'fast-vardkontakt-appointed'] });
    const b = invoiceBasis(EPISODES.map((e) => (e.episodeId === 'A3' ? late : e)), set, NOVEMBER, '18');
    const a3 = b.specification.find((s) => s.episodeId === 'A3')!;
    // Örebro requires the admission notice, not the fast vårdkontakt (orebro.json's conditions).
    expect(a3).toMatchObject({ liability: 'not-liable', billableDays: 0, conditionsUnmet: ['admission-notice-in-time'] });
    expect(a3.reason).toBe('villkor ej uppfyllt: admission-notice-in-time');
  });

  it('free days (law.json, Uppsala)', () => {
    const uppsala = invoiceBasis(EPISODES, set, NOVEMBER, '03');
    expect(uppsala.rows).toEqual([expect.objectContaining({ kommun: '0380', kommunNamn: 'Uppsala', episodes: 2, paymentDays: 7, freeDays: 3, billableDays: 2, amountSek: 21_000, agreement: 'law.json#2018-01-01' })]);
    expect(uppsala.specification.map((s) => [s.episodeId, s.billableDates, s.reason])).toEqual([
      ['U1', ['2023-11-11', '2023-11-12'], 'dagarna efter 3 fria dagar debiteras'],
      ['U2', [], 'inom 3 fria dagar'],
    ]);
  });

  it('a municipality sees only the lines it is liable for', () => {
    const kumla = forMunicipality(orebro, '1881');
    expect(kumla.rows.map((r) => r.kommun)).toEqual(['1881']);
    expect(kumla.specification.map((s) => s.episodeId)).toEqual(['K1', HYPERLINK]);
  });

  it('a year without an amount per day: null and the year, never another year\'s figure', () => {
    const shifted = EPISODES.map((e) => ({ ...e, dischargedDay: e.dischargedDay + 366, paymentDayList: e.paymentDayList.map((d) => d + 366) }));
    const b = invoiceBasis(shifted, set, { fromDay: iso('2024-11-01'), toDay: iso('2024-11-30') }, '18');
    expect(b.rows.find((r) => r.kommun === '1880' && r.careType === 'SOMATIC')).toMatchObject({ billableDays: 8, amountSek: null, missingAmountYears: [2024] });
    expect(b.specification.find((s) => s.episodeId === 'A1')).toMatchObject({ billableDays: 5, amountSek: null, missingAmountYears: [2024] });
  });
});

describe('the invoice CSV', () => {
  const orebro = invoiceBasis(EPISODES, set, NOVEMBER, '18');

  it('UTF-8 with BOM, Swedish headers, semicolons, a decimal comma on request', () => {
    const text = linesCsv(orebro, { decimal: 'comma' });
    expect(text.startsWith('\uFEFFMånad;Region;Avtal;Kommunkod;Kommun;Vårdtyp;Vårdtillfällen;Betalningsansvarsdagar;Snitt;Gränsvärde;Över gränsvärdet;')).toBe(true);
    const rows = text.slice(1).trimEnd().split('\r\n').map((l) => l.split(';'));
    const header = rows[0]!;
    const örebro = rows.find((r) => r[3] === '1880' && r[5] === 'Somatisk vård')!;
    expect(örebro[header.indexOf('Snitt')]).toBe(String(10 / 3).replace('.', ','));
    expect(örebro[header.indexOf('Över gränsvärdet')]).toBe('ja');
    expect(örebro[header.indexOf('Belopp (kr)')]).toBe('84000');
    expect(örebro[header.indexOf('Kommun')]).toBe('Örebro');
    expect(linesCsv(orebro, { decimal: 'point' })).toContain(String(10 / 3));
  });

  it('a cell a spreadsheet would run as a formula is neutralised', () => {
    const text = specificationCsv(orebro, { decimal: 'point' });
    const lines = text.slice(1).trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^Månad;Vårdtillfälle \(pseudonym\);Region;Avtal;Betalningsansvarig kommun;Vårdtyp;/);
    expect(lines).toHaveLength(1 + orebro.specification.length);
    const injected = lines.find((l) => l.includes('HYPERLINK'))!;
    expect(injected.split(';')[1]).toBe(`"'=HYPERLINK(""http://example.invalid/x"",""klicka"")"`);
    expect(lines.some((l) => /(^|;)[=+@\t\r]/.test(l) || /(^|;)"[=+\-@]/.test(l))).toBe(false);
  });
});

describe('corrections against a frozen basis', () => {
  it('episodes added, removed and with other days; lines with their totals on both sides', () => {
    const frozen = invoiceBasis(EPISODES, set, NOVEMBER, '18');
    // Late: K1 had 5 payment days, not 3 (Kumla's average 4,0 now exceeds 3,0: both its episodes
    // become billable), A2 is cancelled, N1 arrives.
    const late = EPISODES.filter((e) => e.episodeId !== 'A2').map((e) => (e.episodeId === 'K1' ? ep('K1', '18', '1881', '2023-11-12', 5) : e));
    const live = invoiceBasis([...late, ep('N1', '18', '1880', '2023-11-28', 6)], set, NOVEMBER, '18');
    const c = corrections(frozen, live);
    expect(c.episodes.map((e) => [e.change, e.episodeId, e.billableDaysDelta, e.amountSekDelta])).toEqual([
      ['changed', HYPERLINK, 3, 31_500],
      ['removed', 'A2', -3, -31_500],
      ['changed', 'K1', 5, 52_500],
      ['added', 'N1', 6, 63_000],
    ]);
    expect(c.episodes.find((e) => e.episodeId === 'K1')!.fields).toEqual(['readyDays', 'paymentDates', 'billableDates', 'amountSek']);
    // Örebro: (5 + 2 + 6) / 3 = 4,33, A1 5 + N1 6 = 11 billable, was 8.
    expect(c.rows).toEqual([
      { kommun: '1880', careType: 'SOMATIC', billableDaysFrozen: 8, billableDaysLive: 11, billableDaysDelta: 3, amountSekDelta: 31_500 },
      { kommun: '1881', careType: 'SOMATIC', billableDaysFrozen: 0, billableDaysLive: 8, billableDaysDelta: 8, amountSekDelta: 84_000 },
    ]);
    expect(corrections(frozen, frozen)).toEqual({ month: '2023-11', region: '18', episodes: [], rows: [] });
  });
});
