import { api, el } from '../common.ts';
import { t } from '../i18n.ts';
import { filters } from './url.ts';

export type Row = Record<string, unknown>;
export type Answer = { rows: Row[]; notes: string[]; populations?: { denominator: string; wantedYear: number; year: number | null; latestAvailable: boolean }[] };

export const get = (path: string, extra: Record<string, string> = {}) => api<Answer>(`/api/v1/${path}?${filters(extra)}`);
export const csv = (path: string, extra: Record<string, string> = {}) => `/api/v1/${path}?${filters({ ...extra, format: 'csv' })}`;
export const withheldNote = (answers: Answer[]) => answers.some((a) => a.rows.some((r) => Array.isArray(r.suppressed))) ? [el('p', { class: 'note', id: 'withheld' }, t('analytics.withheld'))] : [];

export function populationText(a: Answer, denominator = 'total'): string {
  const p = a.populations?.find((x) => x.denominator === denominator);
  if (!p) return t('analytics.populationUnknown');
  if (p.year === null) return t('analytics.populationMissing', { year: p.wantedYear });
  return t(p.latestAvailable ? 'analytics.populationLatest' : 'analytics.population', { year: p.year });
}

export const apiNote = (a: Answer) => (a.notes.length === 0 ? '' : el('span', {}, t('common.apiNotes'), el('span', { lang: 'en', translate: 'no' }, a.notes.join('; '))));
