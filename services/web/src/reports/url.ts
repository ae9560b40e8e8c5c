import { withLang } from '../i18n.ts';

export const REPORTS = ['oversikt', 'analys', 'bubblor', 'inneliggande', 'sparfarg', 'aterinlaggningar', 'vantetider', 'orsaker'] as const;
export type Report = (typeof REPORTS)[number];
/** The API's filters, as the page's listboxes name them. */
export const FILTERS = ['from', 'to', 'kommun', 'lan', 'careType', 'hospital', 'clinic', 'ward', 'businessArea', 'primaryCareUnit', 'ageGroup', 'trackColour', 'status', 'dischargedWithinDays'] as const;
export const form = () => document.querySelector<HTMLFormElement>('#filters')!;
export const url = new URLSearchParams(location.search);
/** Rows per page of a drill-down (`rows=` in the URL, 1–500; default 50). */
export const PAGE = Math.min(500, Math.max(1, Math.floor(Number(url.get('rows'))) || 50));
export const report = (): Report => ((REPORTS as readonly string[]).includes(url.get('report') ?? '') ? (url.get('report') as Report) : 'oversikt');

/** The filters chosen (the form's listboxes; several kommuner comma-separated), `extra` on top ('' removes one). */
export function filters(extra: Record<string, string> = {}): URLSearchParams {
  const q = new URLSearchParams();
  const f = form();
  for (const name of FILTERS) {
    const e = f.elements.namedItem(name) as HTMLSelectElement | HTMLInputElement | null;
    if (!e) continue;
    const v = e instanceof HTMLSelectElement && e.multiple ? [...e.selectedOptions].map((o) => o.value).filter(Boolean).sort().join(',') : e.value;
    if (v) q.set(name, v);
  }
  for (const [k, v] of Object.entries(extra)) if (v === '') q.delete(k); else q.set(k, v);
  return q;
}

/** This page's URL with the report, the filters and `extra` ('' removes a parameter). */
export function pageUrl(extra: Record<string, string> = {}): string {
  const q = filters();
  q.set('report', report());
  for (const keep of ['measure', 'rows']) if (url.get(keep)) q.set(keep, url.get(keep)!);
  for (const [k, v] of Object.entries(extra)) if (v === '') q.delete(k); else q.set(k, v);
  return withLang(`/reports.html?${q}`);
}
