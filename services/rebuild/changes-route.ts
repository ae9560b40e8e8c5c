import { readerOf } from '../api/auth.ts';
import { errorResponse, type ApiResponse } from '../api/routes.ts';
import { UtklarError } from '../core/errors.ts';
import type { RedisLike } from '../core/redis.ts';
import { scopeText, type Scope } from '../model/scope.ts';
import { municipalities } from '../reference/municipalities.ts';
import { summarise } from './diff.ts';
import { RebuildRecords, type RebuildDiff } from './records.ts';
import { changesCsv } from './report.ts';

export interface ChangesDeps {
  redis: RedisLike;
  /** The live namespace, whose Redis holds the rebuilds (records.ts). */
  namespace: string;
  secret: string | undefined;
  now: () => number;
  smallCellMin?: number;
}

const KNOWN = new Set(['rebuild', 'format', 'indicator', 'kommun']);
const ID = /^[a-z0-9]{1,40}$/;

/**
 * The diff as a scope may see it: a region its own regions' values and its frozen invoices; a
 * municipality the values of its own municipality (small cells withheld, as every municipality
 * answer) and the invoice lines it is liable for; the nation every region's values and no
 * invoices. A unit's ward is not a row of the diff: 403.
 */
function scoped(d: RebuildDiff, scope: Scope, min: number): Pick<RebuildDiff, 'summary' | 'changes' | 'invoices'> {
  if (scope.kind === 'unit') throw new UtklarError('FORBIDDEN', `scope ${scopeText(scope)}: the diff is per municipality and month, not per ward`);
  if (scope.kind === 'nation') return { summary: d.summary, changes: d.changes, invoices: [] };
  if (scope.kind === 'region') {
    const changes = d.changes.filter((c) => c.region === scope.region);
    return { summary: summarise(d.counts, changes, [scope.region]), changes, invoices: d.invoices.filter((i) => i.region === scope.region) };
  }
  const own = scope.municipality;
  const withheld = min > 1;
  const changes = d.changes.filter((c) => c.kommun === own).map((c) => (withheld && c.small ? { ...c, old: null, new: null, difference: null, suppressed: ['old', 'new', 'difference'] } : c));
  const invoices = d.invoices
    .map((i) => ({ ...i, lines: i.lines.filter((l) => l.kommun === own), episodes: i.episodes.filter((e) => e.kommun === own) }))
    .filter((i) => i.lines.length > 0 || i.episodes.length > 0)
    .map((i) => ({ ...i, billableDaysDelta: i.lines.reduce((s, l) => s + l.billableDaysDelta, 0), amountSekDelta: i.lines.some((l) => l.amountSekDelta === null) ? null : i.lines.reduce((s, l) => s + (l.amountSekDelta ?? 0), 0) }));
  const regions = [...new Set(changes.map((c) => c.region))];
  return { summary: summarise(d.counts, changes, regions.length > 0 ? regions : Object.keys(d.counts)).map((s) => ({ ...s, line: s.line.replace(/ \(\d+ values compared\)| of \d+ values/, '') })), changes, invoices };
}

/**
 * GET /api/v1/changes: the rebuilds (status, agreements, who started and promoted them, their
 * summary lines) and which data the API reads now; with `rebuild=<id>` that rebuild's diff
 * (JSON, or `format=csv` its changed values), `indicator=` and `kommun=` narrowing it. Read-only.
 */
export async function answerChanges(deps: ChangesDeps, q: URLSearchParams, authorization: string | undefined): Promise<ApiResponse> {
  const json = (v: unknown): ApiResponse => ({ status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify(v) });
  try {
    if (!deps.secret) throw new UtklarError('DEPENDENCY_UNAVAILABLE', 'the query API is disabled: set UTKLAR_API_SECRET');
    const { scope } = readerOf(authorization, deps.secret, deps.now());
    for (const k of q.keys()) if (!KNOWN.has(k)) throw new UtklarError('INVALID_REQUEST', `unknown parameter '${k}'`);
    const format = q.get('format') ?? 'json';
    if (format !== 'json' && format !== 'csv') throw new UtklarError('INVALID_REQUEST', `format: expected json or csv, got '${format}'`);
    const kommun = q.get('kommun');
    if (kommun !== null && !municipalities.has(kommun)) throw new UtklarError('INVALID_REQUEST', `kommun: '${kommun}' is not a kommunkod (SCB)`);
    if (kommun !== null && scope.kind === 'municipality' && kommun !== scope.municipality) throw new UtklarError('FORBIDDEN', `scope ${scopeText(scope)} cannot read other municipalities`);
    if (scope.kind === 'unit') throw new UtklarError('FORBIDDEN', `scope ${scopeText(scope)}: the diff is per municipality and month, not per ward`);
    const records = new RebuildRecords(deps.redis, deps.namespace);
    const id = q.get('rebuild');
    if (id === null) {
      const active = await records.active();
      const list = (await records.list()).reverse().map((r) => ({
        id: r.id, status: r.status, active: active?.id === r.id, agreementVersions: r.agreementVersions, from: r.from, to: r.to,
        startedAt: r.startedAt, startedBy: r.startedBy, finishedAt: r.finishedAt ?? null, replaySeconds: r.replaySeconds ?? null, progress: r.progress ?? null,
        promotedAt: r.promotedAt ?? null, promotedBy: r.promotedBy ?? null, rolledBackAt: r.rolledBackAt ?? null, rolledBackBy: r.rolledBackBy ?? null, discardedAt: r.discardedAt ?? null,
        summary: scope.kind === 'nation' ? (r.summary ?? []).map((s) => s.line) : null, invoiceChanges: scope.kind === 'region' ? r.invoiceChanges ?? null : null,
      }));
      return json({ endpoint: 'changes', scope: scopeText(scope), active: active ? { id: active.id, agreementVersions: active.agreementVersions, promotedAt: active.promotedAt, promotedBy: active.promotedBy, previous: active.previous && { id: active.previous.id, keepUntil: active.previous.keepUntil }, rolledBack: active.rolledBack ?? null } : null, rebuilds: list });
    }
    if (!ID.test(id)) throw new UtklarError('INVALID_REQUEST', `rebuild: '${id}' is not a rebuild id`);
    const d = await records.diff(id);
    if (!d) throw new UtklarError('NOT_FOUND', `no diff for rebuild ${id} (not finished, discarded, or no such rebuild)`);
    const min = deps.smallCellMin ?? 5;
    const seen = scoped(d, scope, min);
    const indicator = q.get('indicator');
    const changes = seen.changes.filter((c) => (indicator === null || c.indicator === indicator) && (kommun === null || c.kommun === kommun));
    if (format === 'csv') return { status: 200, contentType: 'text/csv; charset=utf-8', body: changesCsv(changes, min) };
    return json({
      endpoint: 'changes', scope: scopeText(scope), rebuild: d.id, from: d.from, to: d.to, agreementVersions: d.agreementVersions, computedAt: d.computedAt,
      summary: seen.summary, changes, invoices: seen.invoices,
      notes: scope.kind === 'municipality' && min > 1 ? [`small cells: values from counts of 1–${min - 1} episodes are withheld (null; 'suppressed' names them)`] : [],
    });
  } catch (e) {
    return errorResponse(e);
  }
}
