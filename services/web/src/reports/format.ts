import { kommun } from '../common.ts';
import { AGE_GROUP, CARE_TYPE, REASON, RESPONSIBLE_PARTY, TRACK_COLOUR, label } from '../codes.ts';
import { date, lang, number, t } from '../i18n.ts';

export const COLOURS: Record<string, string> = { NONE: '#999', BLUE: '#1f6feb', GREEN: '#2e8b57', YELLOW: '#d4a017', RED: '#c0392b' };

export const num = (v: unknown, digits = 0) => (v === null || v === undefined || Number.isNaN(Number(v)) ? '–' : number(Number(v), 0, digits));
export const mean = (v: unknown) => (v === null || v === undefined ? '–' : number(Number(v), 1, 1));
export const pct = (v: unknown) => (v === null || v === undefined ? '–' : t('common.percent', { value: number(Number(v) * 100, 1, 1) }));
export const careLabel = (c: unknown) => label(CARE_TYPE, String(c), lang);
export const reasonLabel = (c: unknown) => label(REASON, String(c), lang);
export const partyLabel = (c: unknown) => label(RESPONSIBLE_PARTY, String(c), lang);
export const colourLabel = (c: unknown) => label(TRACK_COLOUR, String(c), lang);
export const year = (d: string) => Number(d.slice(0, 4));
export const shown = (v: unknown) => v !== null && v !== undefined;
export const groupName = (by: string, g: unknown): string => {
  const s = String(g);
  if (by === 'municipality' || by === 'recipientMunicipality') return kommun(s);
  if (by === 'ageGroup') return label(AGE_GROUP, s, lang);
  return s === '' ? t('reports.unknown') : s;
};
export const day = (v: unknown) => (/^\d{4}-\d{2}-\d{2}$/.test(String(v)) ? date(String(v)) : String(v ?? ''));
