import { describe, expect, it } from 'vitest';
import { apiQuery, csvQuery, filtersText, PAGE_SIZE, pageQuery, pages, viewOf } from '../../services/web/src/access-log-query.ts';

const TODAY = '2026-12-06';
const WEEK_AGO = '2026-11-30';

describe('the access-log page\'s view and queries (services/web/src/access-log-query.ts)', () => {
  it('reads period, subject and page from the URL, the last seven days and the first page by default', () => {
    expect(viewOf('', TODAY, WEEK_AGO)).toEqual({ from: WEEK_AGO, to: TODAY, subject: '', limit: PAGE_SIZE, offset: 0 });
    expect(viewOf('?from=2026-12-01&to=2026-12-02&subject=Samordnare%20US%C3%96&limit=2&offset=4&lang=en', TODAY, WEEK_AGO))
      .toEqual({ from: '2026-12-01', to: '2026-12-02', subject: 'Samordnare USÖ', limit: 2, offset: 4 });
    // What is no whole number falls back; the API's own limits hold.
    expect(viewOf('?from=&limit=x&offset=-3', TODAY, WEEK_AGO)).toMatchObject({ from: WEEK_AGO, limit: PAGE_SIZE, offset: 0 });
    expect(viewOf('?limit=0', TODAY, WEEK_AGO).limit).toBe(1);
    expect(viewOf('?limit=99999', TODAY, WEEK_AGO).limit).toBe(1000);
  });

  it('round-trips a view through the page\'s URL, defaults left out', () => {
    const v = { from: '2026-12-01', to: '2026-12-02', subject: 'Samordnare USÖ & co', limit: 2, offset: 4 };
    expect(viewOf(`?${pageQuery(v)}`, TODAY, WEEK_AGO)).toEqual(v);
    expect(pageQuery({ ...v, subject: '', limit: PAGE_SIZE, offset: 0 }).toString()).toBe('from=2026-12-01&to=2026-12-02');
  });

  it('asks the API for one entry more than a page (is there an older one?), and the CSV for the whole selection', () => {
    const v = { from: '2026-12-01', to: '2026-12-02', subject: 'e2e', limit: 50, offset: 100 };
    expect(apiQuery(v).toString()).toBe('from=2026-12-01&to=2026-12-02&subject=e2e&limit=51&offset=100');
    expect(apiQuery({ ...v, subject: '', offset: 0 }).toString()).toBe('from=2026-12-01&to=2026-12-02&limit=51');
    expect(csvQuery(v).toString()).toBe('from=2026-12-01&to=2026-12-02&subject=e2e&limit=10000&format=csv');
  });

  it('pages newest first: newer back to the first page, older only when there is more', () => {
    const v = { from: '2026-12-01', to: '2026-12-02', subject: '', limit: 2, offset: 0 };
    expect(pages(v, true)).toEqual({ newer: null, older: { ...v, offset: 2 } });
    expect(pages({ ...v, offset: 2 }, false)).toEqual({ newer: { ...v, offset: 0 }, older: null });
    expect(pages({ ...v, offset: 1 }, true)).toEqual({ newer: { ...v, offset: 0 }, older: { ...v, offset: 3 } });
  });

  it('writes a request\'s recorded filters as key=value, sorted', () => {
    expect(filtersText({ ward: 'Med 2', format: 'csv' })).toBe('format=csv, ward=Med 2');
    expect(filtersText({})).toBe('–');
  });
});
