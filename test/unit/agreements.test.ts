import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { thrown } from './support/thrown.ts';
import { loadAgreementFile, loadNationalAmounts } from '../../services/agreements/agreement.ts';
import { loadAgreementSet } from '../../services/agreements/agreement-set.ts';
import { bundledFile } from '../../services/agreements/bundled.ts';
import { parseJsonWithLines } from '../../services/agreements/json-with-lines.ts';
import { LAW_DEFAULTS, OREBRO_RULES } from '../../services/clock/rules.ts';
import { loadConfig } from '../../services/core/config.ts';
import { epochDay } from '../../services/core/stockholm-time.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'utklar-agreements-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: unknown) => {
  const f = path.join(dir, name);
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return f;
};
const day = (year: number, month: number, d: number) => epochDay({ year, month, day: d });

/** A version with the bundled files' clock terms. */
const version = (over: Record<string, unknown> = {}) => ({
  validFrom: '2018-01-01',
  model: { type: 'municipal-average', threshold: 3, period: 'month', includeDayZeroDischarges: false, billable: 'all-days' },
  noon: { hour: 12, inclusive: false },
  conditions: { required: ['admission-notice-in-time', 'ready-notice-sent', 'sip-called-in-time'], admissionNoticeWithinHours: 24, sipCalledWithinDays: 3, fastVardkontaktRequiredFor: ['GREEN', 'YELLOW', 'RED'] },
  ...over,
});

describe('the bundled agreements are what the clock applied when they were compiled in', () => {
  // The constants as they were written in services/clock/rules.ts before they became files:
  // the clock's RegionRules must be the same, key order included.
  const LAW = {
    noon: { hour: 12, inclusive: false },
    payment: { model: 'free-days', freeDays: { SOMATIC: 3, PSYCHIATRIC: 30 } },
    conditions: ['admission-notice-in-time', 'ready-notice-sent', 'sip-called-in-time'],
    admissionNoticeWithinHours: 24,
    sipCalledWithinDays: 3,
    fastVardkontaktRequiredFor: ['GREEN', 'YELLOW', 'RED'],
    amountPerDayByYear: { 2019: 7800, 2022: 9300, 2023: 10500 },
    readmission: { windowDays: 30, minDays: 1, acuteOnly: true, sameRegionOnly: true },
    allowedLatenessMs: 7 * 86_400_000,
    retainClosedEpisodeDays: 31,
  };
  const OREBRO = { ...LAW, payment: { model: 'municipal-average', threshold: 3.0, period: 'month', includeDayZeroDischarges: false, billable: 'all-days' } };

  it('law.json is LAW_DEFAULTS and orebro.json is OREBRO_RULES, byte for byte', () => {
    expect(JSON.stringify(LAW_DEFAULTS)).toBe(JSON.stringify(LAW));
    expect(JSON.stringify(OREBRO_RULES)).toBe(JSON.stringify(OREBRO));
  });

  it('the Stockholm-like example: 2 somatic / 5 psychiatric, day-0 discharges in the average', () => {
    const [s] = loadAgreementFile(bundledFile('stockholm'));
    expect(s).toMatchObject({ id: 'stockholm.json#2018-01-01', region: '01', validFrom: day(2018, 1, 1), validTo: null });
    expect(s!.rules.payment).toEqual({ model: 'municipal-average', threshold: 2, period: 'month', includeDayZeroDischarges: true, billable: 'all-days', thresholdByCareType: { SOMATIC: 2, PSYCHIATRIC: 5 } });
  });

  it('the national amounts are only the sourced years', () => {
    expect(loadNationalAmounts()).toEqual({ 2019: 7800, 2022: 9300, 2023: 10500 });
    const unsourced = file('amounts.json', { amountPerDayByYear: { 2019: 7800, 2024: 11000 }, sources: { 2019: 'x' } });
    expect(thrown(() => loadNationalAmounts(unsourced)).message).toMatch(/amounts\.json:\d+: \$\.amountPerDayByYear\.2024: no source given/);
  });
});

describe('a bad agreement file is refused at start with file:line and the JSON path', () => {
  it('reports every problem at once, each on its own line', () => {
    const f = file('bad.json', `{
  "region": "18",
  "name": "Region Örebro län",
  "versions": [
    {
      "validFrom": "2026-02-01",
      "model": { "type": "municipal-average", "threshold": -1, "period": "quarter", "includeDayZeroDischarges": false, "billable": "all-days" },
      "noon": { "hour": 12, "inclusive": false },
      "conditions": {
        "required": ["ready-notice-sent", "information-transferred"],
        "admissionNoticeWithinHours": 24, "sipCalledWithinDays": 3, "fastVardkontaktRequiredFor": []
      },
      "amountPerDayByYear": { "2026": 11000.5 }
    }
  ]
}`);
    const e = thrown(() => loadAgreementFile(f));
    expect(e.code).toBe('CONFIG');
    const lines = e.message.split('\n').slice(1).map((l) => l.trim().replace(`${f}:`, 'bad.json:'));
    expect(lines).toEqual([
      'bad.json:6: $.versions[0].validFrom: an agreement is in force whole calendar years: expected 2026-01-01, got "2026-02-01"',
      'bad.json:7: $.versions[0].model.threshold: expected a number ≥ 0, got -1',
      'bad.json:7: $.versions[0].model.period: expected one of "month", "rolling-3-months", got "quarter"',
      'bad.json:10: $.versions[0].conditions.required[1]: expected one of "admission-notice-in-time", "ready-notice-sent", "sip-called-in-time", "fast-vardkontakt-appointed", "information-transferred-by-discharge", "patient-did-not-decline", got "information-transferred"',
      'bad.json:13: $.versions[0].amountPerDayByYear.2026: expected a whole number ≥ 1, got 11000.5',
    ]);
  });

  it('names missing settings and settings of another model', () => {
    const f = file('missing.json', { region: '99', name: 'x', versions: [{ ...version(), model: { type: 'free-days', freeDays: { SOMATIC: 3 }, threshold: 3 }, noon: undefined }] });
    const m = thrown(() => loadAgreementFile(f)).message;
    expect(m).toMatch(/missing\.json:2: \$\.region: expected a länskod such as "18"/);
    expect(m).toMatch(/\$\.versions\[0\]\.model\.threshold: not a setting of model "free-days"/);
    expect(m).toMatch(/\$\.versions\[0\]\.model\.freeDays\.PSYCHIATRIC: required/);
    expect(m).toMatch(/\$\.versions\[0\]\.noon: required/);
  });

  it('JSON syntax errors and duplicate keys name line and column', () => {
    expect(thrown(() => parseJsonWithLines('{\n  "a": 1,\n  "b": [1, 2,]\n}', 'x.json')).message).toBe("x.json:3:14: not valid JSON: unexpected ']'");
    expect(thrown(() => parseJsonWithLines('{\n  "a": 1,\n  "a": 2\n}', 'x.json')).message).toBe('x.json:3:3: not valid JSON: "a" is given twice in this object');
    const j = parseJsonWithLines('\uFEFF{\n  "a": {\n    "b": [\n      1,\n      2\n    ]\n  }\n}', 'x.json');
    expect(j.value).toEqual({ a: { b: [1, 2] } });
    expect([j.lineOf('$.a'), j.lineOf('$.a.b'), j.lineOf('$.a.b[1]'), j.lineOf('$.a.b[1].nope')]).toEqual([2, 3, 5, 5]);
  });

  it('versions of one region follow each other without overlapping', () => {
    const f = file('overlap.json', { region: '18', name: 'x', versions: [version({ validTo: '2026-12-31' }), version({ validFrom: '2026-01-01' })] });
    expect(thrown(() => loadAgreementFile(f)).message).toMatch(/overlap\.json:\d+: \$\.versions\[1\]\.validFrom: overlaps \$\.versions\[0\]/);
  });

  it('UTKLAR_AGREEMENTS names a missing file, and loadConfig stops on a bad one', () => {
    expect(() => loadConfig({ UTKLAR_AGREEMENTS: path.join(dir, 'nope.json') })).toThrow(/UTKLAR_AGREEMENTS: .*nope\.json: ENOENT/);
    expect(() => loadConfig({ UTKLAR_AGREEMENTS: file('empty.json', '') })).toThrow(/empty\.json:1:1: not valid JSON: unexpected end of file/);
  });
});

describe('several regions, each with its agreement(s), the version in force on the discharge day', () => {
  it('UTKLAR_RULES=orebro is orebro.json for region 18 and the law elsewhere; law is the law alone', () => {
    const orebro = loadConfig({}).agreements;
    expect(orebro.agreements.map((a) => a.id)).toEqual(['orebro.json#2018-01-01', 'law.json#2018-01-01']);
    expect(orebro.inForce('18', day(2026, 11, 5))?.rules).toEqual(OREBRO_RULES);
    expect(orebro.inForce('17', day(2026, 11, 5))?.rules).toEqual(LAW_DEFAULTS);
    expect(orebro.inForce('18', day(2017, 12, 31))).toBeUndefined();
    expect(loadConfig({ UTKLAR_RULES: 'law' }).agreements.agreements.map((a) => a.id)).toEqual(['law.json#2018-01-01']);
  });

  it('an agreement changes on 1 January: 31 December is billed under the old version, 1 January under the new', () => {
    const vgr = file('vgr.json', { region: '14', name: 'VGR', versions: [
      version({ validTo: '2025-12-31' }),
      version({ validFrom: '2026-01-01', model: { type: 'municipal-average', threshold: 3, period: 'rolling-3-months', includeDayZeroDischarges: false, billable: 'all-days' }, amountPerDayByYear: { 2026: 11000 } }),
    ] });
    const set = loadAgreementSet(`${vgr},${bundledFile('orebro')}`, 'orebro');
    expect(set.agreements.map((a) => a.id)).toEqual(['vgr.json#2018-01-01', 'vgr.json#2026-01-01', 'orebro.json#2018-01-01', 'law.json#2018-01-01']);
    expect(set.inForce('14', day(2025, 12, 31))?.id).toBe('vgr.json#2018-01-01');
    expect(set.inForce('14', day(2026, 1, 1))?.id).toBe('vgr.json#2026-01-01');
    expect(set.inForce('14', day(2026, 1, 1))?.rules.amountPerDayByYear).toEqual({ 2019: 7800, 2022: 9300, 2023: 10500, 2026: 11000 });
    expect(set.inForce('18', day(2026, 1, 1))?.id).toBe('orebro.json#2018-01-01');
    expect(set.inForce('03', day(2026, 1, 1))?.id).toBe('law.json#2018-01-01');
  });

  it('a directory is every *.json in it; two files for one region and year are refused', () => {
    const sub = mkdtempSync(path.join(dir, 'dir-'));
    writeFileSync(path.join(sub, 'a.json'), JSON.stringify({ region: '18', name: 'a', versions: [version()] }));
    writeFileSync(path.join(sub, 'b.json'), JSON.stringify({ region: '18', name: 'b', versions: [version({ validFrom: '2026-01-01' })] }));
    expect(thrown(() => loadAgreementSet(sub, 'orebro')).message).toMatch(/b\.json:\d+: region 18 from 2026-01-01 is also agreed in .*a\.json:\d+/);
  });

  it("an agreement may have its own noon rule and conditions: the deployment's rules are not imposed on it", () => {
    const f = file('noon.json', { region: '01', name: 'x', versions: [version({ noon: { hour: 12, inclusive: true }, conditions: { required: ['information-transferred-by-discharge'], admissionNoticeWithinHours: 48, sipCalledWithinDays: 5, fastVardkontaktRequiredFor: [] } })] });
    const set = loadAgreementSet(f, 'orebro');
    const a = set.inForce('01', day(2026, 6, 1))!;
    expect(a.rules.noon).toEqual({ hour: 12, inclusive: true });
    expect(a.rules.conditions).toEqual(['information-transferred-by-discharge']);
    expect(a.rules.admissionNoticeWithinHours).toBe(48);
    // How the clock counts under it: test/unit/regional-rules.test.ts.
  });
});
