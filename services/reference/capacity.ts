import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { epochDay } from '../core/stockholm-time.ts';
import { UtklarError } from '../core/errors.ts';

export interface CapacityRow {
  hospital: string;
  ward: string;
  /** Stockholm epoch day. */
  day: number;
  beds: number;
  /** Överbeläggningar and utlokaliserade patients that day (0 when the feed has no such column). */
  overcrowded: number;
  outlying: number;
  /** A later file wins for the same ward and day. */
  version: number;
}

const HEADERS = ['hospital,ward,date,beds', 'hospital,ward,date,beds,overcrowded,outlying'];

/**
 * One capacity file: available beds per ward and day, optionally with the day's
 * överbeläggningar and utlokaliserade (`hospital,ward,date,beds[,overcrowded,outlying]`).
 * Errors name the line.
 */
export function parseCapacity(text: string, file: string, version: number): CapacityRow[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = lines[0]?.trim() ?? '';
  if (!HEADERS.includes(header)) throw new UtklarError('CONFIG', `${file}:1: expected the header '${HEADERS[0]}' or '${HEADERS[1]}'`);
  const rows: CapacityRow[] = [];
  lines.slice(1).forEach((line, i) => {
    if (line.trim() === '') return;
    const at = `${file}:${i + 2}`;
    const [hospital, ward, date, beds, overcrowded = '0', outlying = '0'] = line.split(',').map((c) => c.trim());
    if (!hospital || !ward) throw new UtklarError('CONFIG', `${at}: hospital and ward are required`);
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date ?? '');
    if (!m) throw new UtklarError('CONFIG', `${at}: date '${date}' is not YYYY-MM-DD`);
    for (const [name, v] of [['beds', beds], ['overcrowded', overcrowded], ['outlying', outlying]] as const) {
      if (!/^\d{1,5}$/.test(v ?? '')) throw new UtklarError('CONFIG', `${at}: ${name} '${v}' is not a whole number`);
    }
    rows.push({ hospital, ward, day: epochDay({ year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) }), beds: Number(beds), overcrowded: Number(overcrowded), outlying: Number(outlying), version });
  });
  return rows;
}

/** Every `capacity-*.csv` in `dir` (UTKLAR_CAPACITY_DIR), each versioned by its modification time. */
export function loadCapacity(dir: string | undefined): CapacityRow[] {
  if (!dir) return [];
  return readdirSync(dir)
    .filter((n) => /^capacity-.*\.csv$/.test(n))
    .sort()
    .flatMap((f) => parseCapacity(readFileSync(path.join(dir, f), 'utf8'), f, Math.floor(statSync(path.join(dir, f)).mtimeMs)));
}
