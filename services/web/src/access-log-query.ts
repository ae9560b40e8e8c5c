/**
 * The access-log page's view (period, subject, page) as its URL holds it, and the API queries it
 * makes (GET /api/v1/access-log, services/api/access-log-endpoint.ts). Pure, tested in Node.
 */
export interface AccessLogView {
  /** Stockholm days, YYYY-MM-DD, `to` inclusive (as the API reads them). */
  from: string;
  to: string;
  /** Exactly as the token's `sub`; '' for everyone. */
  subject: string;
  limit: number;
  offset: number;
}

export const PAGE_SIZE = 50;
/** The API's own maximum: the CSV holds the whole selection, not one page of it. */
export const CSV_LIMIT = 10_000;

const whole = (v: string | null, fallback: number, min: number, max: number): number =>
  v !== null && /^\d+$/.test(v) ? Math.min(max, Math.max(min, Number(v))) : fallback;

/** The view a page URL's query names; `today` (Stockholm) and `weekAgo` fill a missing period. */
export function viewOf(search: string, today: string, weekAgo: string): AccessLogView {
  const q = new URLSearchParams(search);
  return {
    from: q.get('from') || weekAgo,
    to: q.get('to') || today,
    subject: q.get('subject') ?? '',
    limit: whole(q.get('limit'), PAGE_SIZE, 1, 1000),
    offset: whole(q.get('offset'), 0, 0, 10_000_000),
  };
}

/** The page's own query for a view: what a shared link needs, defaults left out. */
export function pageQuery(v: AccessLogView): URLSearchParams {
  const q = new URLSearchParams({ from: v.from, to: v.to });
  if (v.subject) q.set('subject', v.subject);
  if (v.limit !== PAGE_SIZE) q.set('limit', String(v.limit));
  if (v.offset > 0) q.set('offset', String(v.offset));
  return q;
}

const period = (v: AccessLogView) => {
  const q = new URLSearchParams({ from: v.from, to: v.to });
  if (v.subject) q.set('subject', v.subject);
  return q;
};

/** One page, and one entry more: whether it is there says if an older page exists (the API gives no total). */
export function apiQuery(v: AccessLogView): URLSearchParams {
  const q = period(v);
  q.set('limit', String(v.limit + 1));
  if (v.offset > 0) q.set('offset', String(v.offset));
  return q;
}

export function csvQuery(v: AccessLogView): URLSearchParams {
  const q = period(v);
  q.set('limit', String(CSV_LIMIT));
  q.set('format', 'csv');
  return q;
}

/** The newer (previous) and older (next) page; null where there is none. */
export function pages(v: AccessLogView, more: boolean): { newer: AccessLogView | null; older: AccessLogView | null } {
  return {
    newer: v.offset > 0 ? { ...v, offset: Math.max(0, v.offset - v.limit) } : null,
    older: more ? { ...v, offset: v.offset + v.limit } : null,
  };
}

/** A request's query parameters as recorded: "format=csv, ward=Med 2"; '–' for none. */
export function filtersText(filters: Record<string, string>): string {
  const keys = Object.keys(filters).sort();
  return keys.length === 0 ? '–' : keys.map((k) => `${k}=${filters[k]}`).join(', ');
}
