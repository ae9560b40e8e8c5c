import type { ClickHouseClient } from '@clickhouse/client';
import { UtklarError } from '../core/errors.ts';
import { epochDay, stockholmMidnight } from '../core/stockholm-time.ts';
import { str } from '../indicators/sql.ts';
import { auditorOf } from './auth.ts';
import type { AccessRecorder } from './access-log.ts';
import { toCsv } from './csv.ts';
import { errorResponse, type ApiResponse } from './routes.ts';

export interface AccessLogDeps {
  client: ClickHouseClient;
  db: string;
  secret: string | undefined;
  now: () => number;
  accessLog: AccessRecorder;
}

const KNOWN = new Set(['from', 'to', 'subject', 'limit', 'offset', 'format']);
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
// An instant must name its zone: a bare local time would be read differently by each reader.
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
const bad = (message: string) => new UtklarError('INVALID_REQUEST', message);

/** `from`/`to` as ms: an instant with its zone, or a Stockholm day (`to` inclusive: up to the next midnight). */
function instant(v: string, name: string, end: boolean): number {
  const d = DAY.exec(v);
  if (d) {
    const [year, month, day] = [Number(d[1]), Number(d[2]), Number(d[3])];
    if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) throw bad(`${name}: no such day '${v}'`);
    return stockholmMidnight(epochDay({ year, month, day }) + (end ? 1 : 0));
  }
  if (INSTANT.test(v) && Number.isFinite(Date.parse(v))) return Date.parse(v) + (end ? 1 : 0);
  throw bad(`${name}: expected YYYY-MM-DD (Stockholm day) or an ISO 8601 instant with its zone, got '${v}'`);
}

function whole(v: string | null, name: string, fallback: number, max: number): number {
  if (v === null) return fallback;
  if (!/^\d+$/.test(v) || Number(v) > max) throw bad(`${name}: expected a whole number ≤ ${max}`);
  return Number(v);
}

/**
 * GET /api/v1/access-log for an `audit:<region>` token: who was shown patient data of the region,
 * newest first, within `from`–`to` (default the last 24 hours) and for one `subject` if given.
 * Entries recorded before the request are flushed to ClickHouse first, so none is missing.
 */
export async function answerAccessLog(deps: AccessLogDeps, q: URLSearchParams, authorization: string | undefined): Promise<ApiResponse> {
  try {
    if (!deps.secret) throw new UtklarError('DEPENDENCY_UNAVAILABLE', 'the query API is disabled: set UTKLAR_API_SECRET');
    const auditor = auditorOf(authorization, deps.secret, deps.now());
    for (const k of q.keys()) if (!KNOWN.has(k)) throw bad(`unknown parameter '${k}'`);
    const format = q.get('format') ?? 'json';
    if (format !== 'json' && format !== 'csv') throw bad(`format: expected json or csv, got '${format}'`);
    const now = deps.now();
    const from = q.get('from') ? instant(q.get('from')!, 'from', false) : now - 86_400_000;
    const to = q.get('to') ? instant(q.get('to')!, 'to', true) : now + 1;
    if (to <= from) throw bad('to: lies before from');
    const subject = q.get('subject');
    if (subject !== null && (subject === '' || subject.length > 500)) throw bad('subject: expected 1–500 characters');
    const limit = whole(q.get('limit'), 'limit', 1000, 10_000);
    const offset = whole(q.get('offset'), 'offset', 0, 10_000_000);
    try {
      await deps.accessLog.flush();
    } catch {
      throw new UtklarError('DEPENDENCY_UNAVAILABLE', 'the access log cannot be written to ClickHouse just now: the answer would miss entries');
    }
    const rows = await (await deps.client.query({
      query: `SELECT at_ms, subject, scope, endpoint, format, filters, episodes, regions FROM ${deps.db}.access_log
        WHERE has(regions, ${str(auditor.region)}) AND at_ms >= ${Math.max(0, Math.floor(from))} AND at_ms < ${Math.floor(to)}${subject === null ? '' : ` AND subject = ${str(subject)}`}
        ORDER BY at_ms DESC, subject LIMIT ${limit} OFFSET ${offset}`,
      format: 'JSONEachRow',
    })).json<{ at_ms: string | number; subject: string; scope: string; endpoint: string; format: string; filters: string; episodes: number | string; regions: string[] }>();
    const entries = rows.map((r) => ({ at: new Date(Number(r.at_ms)).toISOString(), subject: r.subject, scope: r.scope, endpoint: r.endpoint, format: r.format, filters: JSON.parse(r.filters) as Record<string, string>, episodes: Number(r.episodes), regions: r.regions }));
    if (format === 'csv') {
      return { status: 200, contentType: 'text/csv; charset=utf-8', body: toCsv(entries.map((e) => ({ ...e, filters: JSON.stringify(e.filters) }))) };
    }
    return {
      status: 200,
      contentType: 'application/json; charset=utf-8',
      body: JSON.stringify({
        endpoint: 'access-log', scope: `audit:${auditor.region}`, period: { from: new Date(from).toISOString(), to: new Date(to).toISOString() }, asOf: new Date(now).toISOString(), rows: entries,
        notes: [`requests that were shown patient-level data of region ${auditor.region} (the board, its stream, /board, /api/v1/rows): who, scope, endpoint, filters and the number of episodes; no patient data`],
      }),
    };
  } catch (e) {
    return errorResponse(e);
  }
}
