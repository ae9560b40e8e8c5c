import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAgreementSet } from '../../services/agreements/agreement-set.ts';
import { agreementVersion } from '../../services/agreements/agreement-version.ts';
import { bundledFile } from '../../services/agreements/bundled.ts';
import { rowsToCells, type Cell } from '../../services/rebuild/cells.ts';
import { cellCounts, diffCells, summarise } from '../../services/rebuild/diff.ts';
import { monthsBetween } from '../../services/rebuild/months.ts';
import { progressLine, progressOf } from '../../services/rebuild/progress.ts';
import { rebuildAgreements } from '../../services/rebuild/shadow.ts';
import { loadConfig } from '../../services/core/config.ts';
import type { RedisLike } from '../../services/core/redis.ts';
import { sideConfig } from '../../services/rebuild/follow.ts';
import { rollbackTarget } from '../../services/rebuild/promotion.ts';
import { rebuildKeys, type ActiveData } from '../../services/rebuild/records.ts';
import { changesCsv } from '../../services/rebuild/report.ts';

const payment = (kommun: string, billableDays: number, exceeded: boolean, average = 2.5) => ({
  region: '18', agreement: 'orebro.json#2018-01-01', kommun, kommunNamn: 'x', careType: 'SOMATIC', episodes: 2, paymentDays: 5,
  average, threshold: exceeded ? 2 : 3, exceeded, billableDays, amountSek: null, missingAmountYears: [2025],
});

describe('a rebuild\'s diff: the API\'s rows as cells, old against new', () => {
  it('keys each number by region, municipality, month, care type and the row\'s other text; labels are not compared', () => {
    const cells = rowsToCells('payment', '18', '2025-03', [payment('1880', 0, false)]);
    expect(cells.map((c) => c.field).sort()).toEqual(['average', 'billableDays', 'episodes', 'exceeded', 'paymentDays', 'threshold', 'amountSek'].sort());
    expect(cells.every((c) => c.kommun === '1880' && c.careType === 'SOMATIC' && c.month === '2025-03' && c.rest === 'region=18')).toBe(true);
    expect(cells.find((c) => c.field === 'exceeded')!.value).toBe(0);
    expect(cells.find((c) => c.field === 'amountSek')!.value).toBeNull();
    // Grouped indicators name their municipality `group`; a region-wide row has none.
    expect(rowsToCells('indicators/mean-days', '18', '2025-03', [{ group: '1881', careType: 'SOMATIC', episodes: 7, days: 21, meanDays: 3 }])[0]).toMatchObject({ kommun: '1881' });
    expect(rowsToCells('indicators/variation', '18', '2025-03', [{ careType: 'SOMATIC', municipalities: 3, min: 1, max: 2, lowest20: ['1880'] }]).map((c) => c.kommun)).toEqual(['*', '*', '*']);
  });

  it('marks the cells the API would withhold (counts 1–4 and what is computed from them)', () => {
    const cells = rowsToCells('indicators/mean-days', '18', '2025-03', [{ group: '1881', careType: 'SOMATIC', episodes: 3, days: 9, meanDays: 3 }, { group: '1880', careType: 'SOMATIC', episodes: 9, days: 18, meanDays: 2 }]);
    expect(cells.filter((c) => c.small).map((c) => `${c.kommun}.${c.field}`).sort()).toEqual(['1881.days', '1881.episodes', '1881.meanDays']);
    // Payment lines are exact (the invoice basis is never withheld).
    expect(rowsToCells('payment', '18', '2025-03', [payment('1880', 3, true)]).some((c) => c.small)).toBe(false);
  });

  it('an unchanged side gives no change at all, and a summary line per indicator saying so', () => {
    const rows = [payment('1880', 0, false), payment('1881', 12, true, 3.5)];
    const a = rowsToCells('payment', '18', '2025-03', rows);
    const b = rowsToCells('payment', '18', '2025-03', structuredClone(rows).reverse());
    expect(diffCells(a, b)).toEqual([]);
    const s = summarise(cellCounts(a, b), []);
    expect(s).toEqual([expect.objectContaining({ indicator: 'payment', cells: 14, changed: 0, municipalityMonths: 0, line: 'payment: no change (14 values compared)' })]);
  });

  it('a lowered threshold: old, new and the difference for exactly the cells that moved', () => {
    const before = [
      ...rowsToCells('payment', '18', '2025-03', [{ ...payment('1880', 0, false), threshold: 3 }, { ...payment('1881', 12, true, 3.5), threshold: 3 }]),
      ...rowsToCells('payment', '18', '2025-04', [{ ...payment('1880', 0, false, 1.5), threshold: 3 }]),
    ];
    const after = [
      ...rowsToCells('payment', '18', '2025-03', [{ ...payment('1880', 5, true), threshold: 2 }, { ...payment('1881', 12, true, 3.5), threshold: 2 }]),
      ...rowsToCells('payment', '18', '2025-04', [{ ...payment('1880', 0, false, 1.5), threshold: 2 }]),
    ];
    const changes = diffCells(before, after);
    expect(changes.map((c) => [c.kommun, c.month, c.field, c.old, c.new, c.difference])).toEqual([
      ['1880', '2025-03', 'billableDays', 0, 5, 5],
      ['1880', '2025-03', 'exceeded', 0, 1, 1],
      ['1880', '2025-03', 'threshold', 3, 2, -1],
      ['1880', '2025-04', 'threshold', 3, 2, -1],
      ['1881', '2025-03', 'threshold', 3, 2, -1],
    ]);
    const [s] = summarise(cellCounts(before, after), changes);
    expect(s).toMatchObject({ indicator: 'payment', cells: 21, changed: 5, municipalityMonths: 3 });
    expect(s!.fields.find((f) => f.field === 'billableDays')).toEqual({ field: 'billableDays', changed: 1, oldTotal: 0, newTotal: 5, difference: 5, withoutValue: 0 });
    expect(s!.line).toBe('payment: 5 of 21 values changed in 3 municipality-month(s); billableDays 0 → 5 (+5); exceeded 0 → 1 (+1); threshold 9 → 6 (-3)');
  });

  it('a row on one side only is compared against null; floating noise is no change', () => {
    const a: Cell[] = [{ indicator: 'indicators/mean-days', field: 'meanDays', region: '18', kommun: '1880', month: '2025-03', careType: 'SOMATIC', rest: '', value: 0.1 + 0.2 }];
    const b: Cell[] = [{ ...a[0]!, value: 0.3 }, { ...a[0]!, kommun: '1881', value: 2 }];
    expect(diffCells(a, b)).toEqual([{ indicator: 'indicators/mean-days', field: 'meanDays', region: '18', kommun: '1881', month: '2025-03', careType: 'SOMATIC', rest: '', old: null, new: 2, difference: null, small: false }]);
    // Kept out of the totals, counted apart.
    expect(summarise(cellCounts(a, b), diffCells(a, b))[0]!.line).toBe('indicators/mean-days: 1 of 2 values changed in 1 municipality-month(s); meanDays 0 → 2 (+2; 1 without a value on one side)');
  });

  it('a region sees its own summary; small cells read <5 in CSV', () => {
    const before: Cell[] = [{ indicator: 'overview', field: 'admitted', region: '18', kommun: '1880', month: '2025-03', careType: '*', rest: '', value: 3, small: true }, { indicator: 'overview', field: 'admitted', region: '03', kommun: '0380', month: '2025-03', careType: '*', rest: '', value: 30 }];
    const after: Cell[] = [{ ...before[0]!, value: 4 }, { ...before[1]!, value: 31 }];
    const changes = diffCells(before, after);
    expect(summarise(cellCounts(before, after), changes, ['18']).map((s) => s.line)).toEqual(['overview: 1 of 1 values changed in 1 municipality-month(s); admitted 3 → 4 (+1)']);
    const csv = changesCsv(changes).split('\r\n');
    expect(csv[0]).toBe('indicator,field,region,kommun,month,careType,other,old,new,difference');
    expect(csv[1]).toBe('overview,admitted,03,0380,2025-03,*,,30,31,1');
    expect(csv[2]).toBe('overview,admitted,18,1880,2025-03,*,,<5,<5,<5');
  });
});

describe('a rebuild\'s progress, months and agreements', () => {
  it('events done of those to replay, the rate over the samples and the time left', () => {
    const parts = [{ partition: 0, start: 0, target: 1000, next: 400 }, { partition: 1, start: 100, target: 1100, next: 600 }];
    const p = progressOf(parts, [{ at: 0, done: 100 }, { at: 2_000, done: 900 }]);
    expect(p).toEqual({ done: 900, total: 2000, eventsPerSecond: 400, etaSeconds: 3 });
    expect(progressLine(p, 10)).toBe('[#####.....]  45 % 900 / 2\u00a0000 events, 400 events/s, ETA 0:03');
    // Every event applied, the derived entries still on their way: said after the ETA.
    expect(progressLine({ done: 10, total: 10, eventsPerSecond: null, etaSeconds: 0, draining: 1234 }, 10)).toBe('[##########] 100 % 10 / 10 events, – events/s, ETA 0:00; 1\u00a0234 derived entries still to store');
    // Past the target (events produced after the rebuild began) counts as done, not more.
    expect(progressOf([{ partition: 0, start: 0, target: 10, next: 12 }], [])).toEqual({ done: 10, total: 10, eventsPerSecond: null, etaSeconds: 0 });
  });

  it('the months compared, across a new year', () => {
    expect(monthsBetween('2024-11', '2025-02').map((m) => m.label)).toEqual(['2024-11', '2024-12', '2025-01', '2025-02']);
    expect(() => monthsBetween('2025-02', '2024-11')).toThrow(/before/);
    expect(() => monthsBetween('2025-13', '2025-14')).toThrow(/YYYY-MM/);
  });

  it('replaces the agreement of the new file\'s region and keeps every other; the version tells changed terms apart', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'utklar-rebuild-unit-'));
    const orebro = JSON.parse(readFileSync(bundledFile('orebro'), 'utf8')) as { versions: { model: { threshold: number } }[] };
    orebro.versions[0]!.model.threshold = 2.0;
    const file = path.join(dir, 'orebro.json');
    writeFileSync(file, JSON.stringify(orebro, null, 2));
    const live = loadAgreementSet(undefined, 'orebro');
    const spec = rebuildAgreements(live, file);
    expect(spec.split(',').map((f) => path.basename(f))).toEqual(['law.json', 'orebro.json']);
    const set = loadAgreementSet(spec, 'orebro');
    const [before, after] = [live, set].map((s) => s.agreements.find((a) => a.region === '18')!);
    expect(before!.id).toBe(after!.id);
    expect(agreementVersion(before!)).not.toBe(agreementVersion(after!));
    expect(agreementVersion(after!)).toMatch(/^orebro\.json#\d{4}-\d{2}-\d{2}@[0-9a-f]{10}$/);
    expect(agreementVersion(set.agreements.find((a) => a.region === '*')!)).toBe(agreementVersion(live.agreements.find((a) => a.region === '*')!));
  });

  describe('rollback: what it goes back to, or why not', () => {
    const config = loadConfig({ UTKLAR_NAMESPACE: 'unit', CLICKHOUSE_DATABASE: 'unit' });
    const NOW = Date.parse('2026-12-06T12:00:00Z');
    const pointer = (active: ActiveData | null) => ({ get: async (k: string) => (k === rebuildKeys('unit').active && active ? JSON.stringify(active) : null) }) as unknown as RedisLike;
    const promoted = (previous: ActiveData['previous']): ActiveData => ({
      id: 'r2', namespace: 'unit-rb-r2', database: 'unit_rb_r2', agreements: bundledFile('orebro'), agreementVersions: [], promotedAt: '2026-12-06T11:00:00Z', promotedBy: 'chef', previous,
    });
    const original = (keepUntil: string) => ({ id: null, namespace: 'unit', database: 'unit', agreements: null, keepUntil });

    it('the side the last promotion replaced, within its keeping time', async () => {
      const active = promoted(original('2026-12-06T12:00:01Z'));
      expect(await rollbackTarget({ config, redis: pointer(active), now: () => NOW })).toEqual({ active, previous: active.previous });
    });

    it('refused with no promotion in force, with nothing kept, and once the keeping time has passed', async () => {
      await expect(rollbackTarget({ config, redis: pointer(null), now: () => NOW })).rejects.toThrow(/^nothing to roll back: no promotion is in force/);
      await expect(rollbackTarget({ config, redis: pointer(promoted(null)), now: () => NOW })).rejects.toThrow(/^nothing to roll back to: what the promotion of r2 replaced is no longer kept/);
      await expect(rollbackTarget({ config, redis: pointer(promoted(original('2026-12-06T12:00:00Z'))), now: () => NOW })).rejects.toThrow('the promotion of r2 can no longer be rolled back: what it replaced was kept until 2026-12-06T12:00:00Z');
    });

    it('the running process applies the side the pointer names: a rebuild\'s namespace, group and database, or its own', () => {
      const side = sideConfig(config, promoted(null));
      expect(side).toMatchObject({ namespace: 'unit-rb-r2', groupPrefix: 'unit-rb-r2', clickhouseDatabase: 'unit_rb_r2', eventsNamespace: 'unit' });
      expect(sideConfig(config, null)).toBe(config);
    });
  });
});
