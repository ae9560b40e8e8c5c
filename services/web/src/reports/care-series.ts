import { CARE_TYPE, codeOf } from '../codes.ts';
import { lang } from '../i18n.ts';
import type { Row } from './answers.ts';
import { careLabel, shown } from './format.ts';

export const careSeries = (rows: Row[], field: string, labelOf: (r: Row) => string) =>
  rows.filter((r) => shown(r[field])).map((r) => ({ label: labelOf(r), value: Number(r[field]), name: careLabel(r.careType) }));
/** The care types present, somatic first: each keeps its colour from chart to chart. */
export const careGroups = (rows: Row[]) => ['SOMATIC', 'PSYCHIATRIC'].filter((c) => rows.some((r) => r.careType === c)).map(careLabel);
export const careOf = (series: string) => codeOf(CARE_TYPE, series, lang) ?? '';
