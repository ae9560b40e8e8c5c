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
  /** A later file wins for the same ward and day. */
  version: number;
}

const HEADER = 'hospital,ward,date,beds';

/** One capacity file: available beds per ward and day (`hospital,ward,date,beds`). Errors name the line. */
export function parseCapacity(text: string, file: string, version: number): CapacityRow[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines[0]?.trim() !== HEADER) throw new UtklarError('CONFIG', `${file}:1: expected the header '${HEADER}'`);
  const rows: CapacityRow[] = [];
  lines.slice(1).forEach((line, i) => {
    if (line.trim() === '') return;
    const at = `${file}:${i + 2}`;
    const [hospital, ward, date, beds] = line.split(',').map((c) => c.trim());
    if (!hospital || !ward) throw new UtklarError('CONFIG', `${at}: hospital and ward are required`);
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date ?? '');
    if (!m) throw new UtklarError('CONFIG', `${at}: date '${date}' is not YYYY-MM-DD`);
    if (!/^\d{1,5}$/.test(beds ?? '')) throw new UtklarError('CONFIG', `${at}: beds '${beds}' is not a whole number`);
    rows.push({ hospital, ward, day: epochDay({ year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) }), beds: Number(beds), version });
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
