import { describe, expect, it } from 'vitest';
import { AskedPages, COMMON_PAGES, pagesToWarm } from '../../services/api/warm-pages.ts';

const q = (s: string) => new URLSearchParams(s);

describe('the pages a process was asked for (answered ahead of a new generation)', () => {
  it('keeps one entry per route, query and scope, every region as one (its latest), the query normalised', () => {
    const asked = new AskedPages();
    asked.record('indicators/mean-days', { kind: 'region', region: '18' }, q('groupBy=month&careType=SOMATIC'));
    asked.record('indicators/mean-days', { kind: 'region', region: '03' }, q('careType=SOMATIC&groupBy=month&format=csv'));
    asked.record('indicators/mean-days', { kind: 'municipality', municipality: '1880' }, q('groupBy=month&careType=SOMATIC'));
    asked.record('indicators/mean-days', { kind: 'municipality', municipality: '1881' }, q('groupBy=month&careType=SOMATIC'));
    expect(asked.recent()).toEqual([
      { route: 'indicators/mean-days', query: 'careType=SOMATIC&groupBy=month', scope: { kind: 'municipality', municipality: '1881' } },
      { route: 'indicators/mean-days', query: 'careType=SOMATIC&groupBy=month', scope: { kind: 'municipality', municipality: '1880' } },
      { route: 'indicators/mean-days', query: 'careType=SOMATIC&groupBy=month', scope: { kind: 'region', region: '03' } },
    ]);
  });

  it('leaves out patient-level rows, the forecast (Redis) and unknown routes', () => {
    const asked = new AskedPages();
    for (const route of ['rows', 'forecast', 'no-such-route', 'invoices']) asked.record(route, { kind: 'nation' }, q(''));
    expect(asked.recent()).toEqual([]);
  });

  it('is bounded, the least recently asked out first', () => {
    const asked = new AskedPages(3);
    for (const m of ['01', '02', '03', '04']) asked.record('waiting', { kind: 'nation' }, q(`from=2026-${m}`));
    asked.record('waiting', { kind: 'nation' }, q('from=2026-02'));
    expect(asked.recent().map((a) => a.query)).toEqual(['from=2026-02', 'from=2026-04', 'from=2026-03']);
  });

  it('warms the common pages first, then the asked ones not among them', () => {
    const asked = new AskedPages();
    asked.record('overview', { kind: 'region', region: '01' }, q(''));
    asked.record('overview', { kind: 'region', region: '01' }, q('groupBy=ward'));
    const pages = pagesToWarm(asked);
    expect(pages.slice(0, COMMON_PAGES.length)).toEqual(COMMON_PAGES);
    expect(pages.slice(COMMON_PAGES.length)).toEqual([{ route: 'overview', query: 'groupBy=ward', scope: { kind: 'region', region: '01' } }]);
    expect(pagesToWarm(undefined)).toEqual(COMMON_PAGES);
  });
});
