import type { ClickHouseClient } from '@clickhouse/client';
import { rootLogger } from '../core/log.ts';
import { scopeText, type Scope } from '../model/scope.ts';

/** One answer that showed patient-level data: who, how, what was asked and how many episodes — no patient data. */
export interface AccessEntry {
  at: number;
  subject: string;
  scope: Scope;
  /** The path asked, e.g. /api/v1/rows, /api/v1/board/stream, /board. */
  endpoint: string;
  format: 'json' | 'csv' | 'sse';
  /** The request's query parameters (filters, grouping, paging); a repeated one is joined with ','. */
  filters: URLSearchParams;
  episodes: number;
  /** Regions of the episodes shown (where the answer carries them). */
  episodeRegions: Iterable<string>;
}

/** The recorder's surface, so the routes depend on what they call, not on ClickHouse. */
export interface AccessRecorder {
  record(entry: AccessEntry): void;
  flush(): Promise<void>;
}

/**
 * An access-log record must not vanish because LOG_LEVEL is warn: its own child logger stays at
 * info. The line goes out synchronously with the answer, so it holds even when ClickHouse is down.
 */
const auditLog = rootLogger.child({ component: 'access-log' }, { level: 'info' });

/** The asker's own region: a region's, a municipality's county (the kommunkod's first two digits). */
const homeRegion = (s: Scope): string[] => (s.kind === 'region' ? [s.region] : s.kind === 'municipality' ? [s.municipality.slice(0, 2)] : []);

/**
 * The /api/v1 routes whose rows are single episodes (the analytics page's drill-downs read rows
 * too); the others answer aggregates. A route that lists episodes joins here to be logged.
 */
export const PATIENT_LEVEL_ROUTES = new Set(['rows']);

const MAX_PENDING = 100_000;

/**
 * Records each entry as a JSON log line at once, and in `<db>.access_log` (sql/011_access_log.sql)
 * right after: one insert at a time, entries arriving meanwhile go in the next, so a burst of
 * requests makes a few inserts, not one part each. An insert that fails is retried; past
 * MAX_PENDING waiting entries the oldest are dropped with an error (the log lines keep them).
 */
export class AccessLog implements AccessRecorder {
  #pending: Record<string, unknown>[] = [];
  #inFlight: Promise<void> | null = null;
  #retry: NodeJS.Timeout | null = null;

  /**
   * `client` is asked for at each insert: the HTTP server starts before the pipeline opens ClickHouse.
   * So is `db` when a function: a process that switches to a promoted rebuild's side records in its database from then on.
   */
  constructor(private readonly client: () => ClickHouseClient | undefined, private readonly db: string | (() => string)) {}

  record(e: AccessEntry): void {
    const filters = Object.fromEntries([...new Set(e.filters.keys())].sort().map((k) => [k, e.filters.getAll(k).join(',')]));
    const regions = [...new Set([...homeRegion(e.scope), ...e.episodeRegions])].sort();
    const row = { at: Math.floor(e.at / 1000), at_ms: e.at, subject: e.subject, scope: scopeText(e.scope), endpoint: e.endpoint, format: e.format, filters: JSON.stringify(filters), episodes: e.episodes, regions };
    auditLog.info({ access: { at: new Date(e.at).toISOString(), subject: e.subject, scope: row.scope, endpoint: e.endpoint, format: e.format, filters, episodes: e.episodes, regions } }, 'patient-level data shown');
    this.#pending.push(row);
    if (this.#pending.length > MAX_PENDING) {
      const dropped = this.#pending.splice(0, this.#pending.length - MAX_PENDING).length;
      auditLog.error({ dropped }, 'access log: ClickHouse unreachable for long, oldest entries dropped from the table (their log lines remain)');
    }
    void this.flush().catch(() => undefined);
  }

  /** Resolves once every entry recorded before the call is in ClickHouse; rejects if an insert failed. */
  async flush(): Promise<void> {
    while (this.#inFlight) await this.#inFlight.catch(() => undefined);
    if (this.#pending.length === 0) return;
    const client = this.client();
    if (!client) {
      this.#retryLater();
      throw new Error('access log: ClickHouse is not open yet');
    }
    const rows = this.#pending;
    this.#pending = [];
    this.#inFlight = client.insert({ table: `${typeof this.db === 'string' ? this.db : this.db()}.access_log`, values: rows, format: 'JSONEachRow' }).then(
      () => undefined,
      (err: unknown) => {
        this.#pending = [...rows, ...this.#pending];
        auditLog.warn({ err, waiting: this.#pending.length }, 'access log: insert failed, retrying');
        this.#retryLater();
        throw err;
      },
    ).finally(() => {
      this.#inFlight = null;
    });
    await this.#inFlight;
  }

  #retryLater(): void {
    this.#retry ??= setTimeout(() => {
      this.#retry = null;
      void this.flush().catch(() => undefined);
    }, 1000).unref();
  }
}
