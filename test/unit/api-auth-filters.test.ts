import { describe, expect, it } from 'vitest';
import { auditorOf, mintToken, parseTokenScope, readerOf, scopeOf, sourceOf } from '../../services/api/auth.ts';
import { parseScope } from '../../services/model/scope.ts';
import { parseFilters } from '../../services/model/filters.ts';
import { toCsv } from '../../services/api/csv.ts';
import { conditions, str } from '../../services/indicators/sql.ts';
import { epochDay } from '../../services/core/stockholm-time.ts';
import { thrown } from './support/thrown.ts';

const SECRET = 'unit-test-secret-that-is-long-enough';
const NOW = Date.parse('2026-11-23T12:00:00Z');
const err = thrown;

describe('bearer tokens (HS256) and scopes', () => {
  it('round-trips each scope kind', () => {
    for (const text of ['region:18', 'municipality:1880', 'unit:USO/Med 1']) {
      const token = mintToken(parseScope(text), SECRET, { subject: 's', ttlSeconds: 60, now: NOW });
      expect(scopeOf(`Bearer ${token}`, SECRET, NOW)).toEqual(parseScope(text));
    }
  });

  it('refuses missing, forged, tampered and expired tokens as UNAUTHORIZED', () => {
    const token = mintToken({ kind: 'municipality', municipality: '1880' }, SECRET, { subject: 's', ttlSeconds: 60, now: NOW });
    expect(err(() => scopeOf(undefined, SECRET, NOW)).code).toBe('UNAUTHORIZED');
    expect(err(() => scopeOf(`Bearer ${token}`, 'another-secret-that-is-long-enough!', NOW)).message).toBe('bad token signature');
    const [h, , s] = token.split('.');
    const widened = Buffer.from(JSON.stringify({ sub: 's', scope: 'region:18', iat: 0, exp: 9e9 })).toString('base64url');
    expect(err(() => scopeOf(`Bearer ${h}.${widened}.${s}`, SECRET, NOW)).message).toBe('bad token signature');
    expect(err(() => scopeOf(`Bearer ${token}`, SECRET, NOW + 61_000)).message).toBe('token expired');
  });

  // Issue #19: an auditor follows up who looked at the region's patients, and reads nothing else.
  it('an audit:<region> token reads only the access log, and a reading token carries its subject', () => {
    const audit = mintToken(parseTokenScope('audit:18'), SECRET, { subject: 'Revisor Region Örebro', ttlSeconds: 60, now: NOW });
    expect(auditorOf(`Bearer ${audit}`, SECRET, NOW)).toEqual({ region: '18', subject: 'Revisor Region Örebro' });
    expect(err(() => scopeOf(`Bearer ${audit}`, SECRET, NOW)).code).toBe('FORBIDDEN');
    expect(err(() => sourceOf(`Bearer ${audit}`, SECRET, NOW)).code).toBe('FORBIDDEN');
    const region = mintToken(parseScope('region:18'), SECRET, { subject: 'Samordnare USÖ', ttlSeconds: 60, now: NOW });
    expect(readerOf(`Bearer ${region}`, SECRET, NOW)).toEqual({ scope: { kind: 'region', region: '18' }, subject: 'Samordnare USÖ' });
    expect(err(() => auditorOf(`Bearer ${region}`, SECRET, NOW)).code).toBe('FORBIDDEN');
    expect(err(() => parseTokenScope('audit:*')).message).toMatch(/expected audit:NN/);
    expect(err(() => parseTokenScope('audit:180')).code).toBe('INVALID_REQUEST');
  });

  it('scope texts are validated', () => {
    expect(err(() => parseScope('municipality:18')).code).toBe('INVALID_REQUEST');
    expect(err(() => parseScope('admin:*')).code).toBe('INVALID_REQUEST');
  });
});

describe('query filters (the Örebro listboxes)', () => {
  const defaults = { fromDay: 0, toDay: 1 };
  const q = (s: string) => parseFilters(new URLSearchParams(s), defaults);

  it('reads months and days as Stockholm calendar days, `to` inclusive', () => {
    expect(q('from=2023-02&to=2023-02')).toMatchObject({ fromDay: epochDay({ year: 2023, month: 2, day: 1 }), toDay: epochDay({ year: 2023, month: 2, day: 28 }) });
    expect(q('from=2024-02-29&to=2024-03-01').toDay).toBe(epochDay({ year: 2024, month: 3, day: 1 }));
  });

  it('names the parameter in every error, and refuses unknown parameters', () => {
    expect(err(() => q('from=2023-02-30')).message).toBe('from: 2023-02-30 does not exist');
    expect(err(() => q('kommun=1880,9999')).message).toBe("kommun: '9999' is not a kommunkod (SCB)");
    expect(err(() => q('lan=99')).message).toBe("lan: '99' is not a länskod (or 'utom')");
    expect(err(() => q('careType=DENTAL')).message).toMatch(/^careType: expected one of SOMATIC, PSYCHIATRIC/);
    expect(err(() => q('from=2023-05&to=2023-04')).message).toBe('to: lies before from');
    expect(err(() => q('kommune=1880')).message).toBe("unknown parameter 'kommune'");
  });

  it('becomes SQL conditions with the scope first and every string quoted', () => {
    const f = q("lan=18,utom&clinic=O'Brien\\x");
    const c = conditions(f, { kind: 'municipality', municipality: '1880' }, 20_000);
    expect(c).toContain("home_municipality = '1880'");
    expect(c).toContain("(home_county IN ('18') OR out_of_county = 1)");
    expect(c).toContain(`clinic = ${str("O'Brien\\x")}`);
    expect(str("O'Brien\\x")).toBe("'O\\'Brien\\\\x'");
  });
});

describe('CSV', () => {
  it('quotes what needs quoting and joins arrays', () => {
    expect(toCsv([{ a: 'x,y', b: ['1', '2'], c: null }, { a: 'he said "hi"', d: 3 }])).toBe('a,b,c,d\r\n"x,y",1;2,,\r\n"he said ""hi""",,,3\r\n');
  });

  // Issue #19: a source system's clinic, ward or business area must not become a live formula.
  it('neutralises every cell a spreadsheet would evaluate, and leaves negative numbers numbers', () => {
    const csv = toCsv([{ clinic: '=HYPERLINK("http://x","klick")', ward: '+SUM(1+1)', businessArea: '@cmd', tab: '\t=1', cr: '\r=1', minus: '-1+2', n: -3, s: '-0.5', e: -1e-7, ok: 'Med 1' }]);
    expect(csv.split('\r\n')[1]).toBe(`"'=HYPERLINK(""http://x"",""klick"")",'+SUM(1+1),'@cmd,'\t=1,"'\r=1",'-1+2,-3,-0.5,-1e-7,Med 1`);
    expect(toCsv([{ '=x': 1 }]).split('\r\n')[0], 'headers too').toBe("'=x");
    expect(toCsv([{ a: ['=1', 'b'] }]).split('\r\n')[1], 'an array is one cell: its first element decides').toBe("'=1;b");
  });
});
