import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import { UtklarError } from '../core/errors.ts';

export interface RowBufferOptions {
  /** Rows (all tables together) that make a flush due at once. */
  maxRows?: number;
  /** How long the first buffered row waits at most. */
  maxWaitMs?: number;
  /** A flush is due once no rows came for this long (a live rate's rows are not held back). */
  lingerMs?: number;
  /**
   * Fewer rows than this in the `lingerMs` after the first one is a live rate, not a replay: the
   * flush is due then, since waiting the full `maxWaitMs` would only delay a small insert.
   */
  trickleRows?: number;
  /** Rows buffered, unflushed, beyond which `add` waits: ClickHouse away must not fill memory. */
  maxPending?: number;
  /** Runs before the first insert (the migrations); retried like an insert until it succeeds. */
  ready?: () => Promise<void>;
  onRows?: (table: string, n: number) => void;
}

interface Pending {
  rows: Map<string, object[]>;
  count: number;
  done: Promise<void>;
  resolve: () => void;
}

/**
 * ClickHouse inserts of many producers (the partitions' batches, the outbox drain) gathered into
 * few large ones: one INSERT per table once 10 000 rows are waiting, the oldest has waited a
 * second, no rows came for 100 ms, or fewer than 100 came in the 100 ms after the first (a
 * replay fills large inserts; a live rate's few rows are not held back for a second). `add` returns a promise that settles when its rows are stored; a caller commits its
 * source (a Kafka offset, an outbox entry) only then. A failed insert is retried, with the same
 * rows, until it succeeds: the tables' ReplacingMergeTree keys make a retried or replayed row
 * harmless, so the effect is exactly once.
 */
export class RowBuffer {
  readonly #maxRows: number;
  readonly #maxWaitMs: number;
  readonly #maxPending: number;
  readonly #lingerMs: number;
  readonly #trickleRows: number;
  #current: Pending;
  #timer: NodeJS.Timeout | undefined;
  #idle: NodeJS.Timeout | undefined;
  #trickle: NodeJS.Timeout | undefined;
  /** Flushes run one at a time, in order. */
  #flushing: Promise<void> = Promise.resolve();
  #unflushed = 0;
  #ready: Promise<void> | undefined;
  #stopped = false;
  /** When an insert last succeeded (a heartbeat for /health and alerts). */
  lastFlushAt = 0;
  failures = 0;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
    private readonly log: Logger,
    private readonly o: RowBufferOptions = {},
  ) {
    this.#maxRows = o.maxRows ?? 10_000;
    this.#maxWaitMs = o.maxWaitMs ?? 1_000;
    this.#maxPending = o.maxPending ?? 50_000;
    this.#lingerMs = o.lingerMs ?? 100;
    this.#trickleRows = o.trickleRows ?? 100;
    this.#current = this.#fresh();
  }

  /** Rows buffered and not yet stored. */
  get pending(): number {
    return this.#unflushed;
  }

  /** More rows wait than it takes: `room` holds its callers. */
  get blocked(): boolean {
    return this.#unflushed > this.#maxPending;
  }

  /** Waits while too many rows are pending (ClickHouse away or slow): the callers slow down. */
  async room(): Promise<void> {
    while (this.#unflushed > this.#maxPending && !this.#stopped) await new Promise((r) => setTimeout(r, 50));
  }

  /** Buffers rows for `table`; the promise settles once they are stored (see `room` for backpressure). */
  offer(table: string, rows: readonly object[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    const p = this.#current;
    const list = p.rows.get(table);
    if (list) for (const r of rows) list.push(r);
    else p.rows.set(table, rows.slice());
    p.count += rows.length;
    this.#unflushed += rows.length;
    if (p.count >= this.#maxRows) this.#flush();
    else {
      this.#timer ??= setTimeout(() => this.#flush(), this.#maxWaitMs);
      this.#trickle ??= setTimeout(() => {
        this.#trickle = undefined;
        if (this.#current === p && p.count < this.#trickleRows) this.#flush();
      }, this.#lingerMs);
      clearTimeout(this.#idle);
      this.#idle = setTimeout(() => this.#flush(), this.#lingerMs);
    }
    return p.done;
  }

  /** Stores whatever is buffered now; resolves when it is stored. */
  flushNow(): Promise<void> {
    const { done } = this.#current;
    this.#flush();
    return done;
  }

  #fresh(): Pending {
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    return { rows: new Map(), count: 0, done, resolve };
  }

  #flush(): void {
    clearTimeout(this.#timer);
    clearTimeout(this.#idle);
    clearTimeout(this.#trickle);
    this.#timer = undefined;
    this.#idle = undefined;
    this.#trickle = undefined;
    const p = this.#current;
    if (p.count === 0) return;
    this.#current = this.#fresh();
    this.#flushing = this.#flushing.then(() => this.#store(p));
  }

  async #store(p: Pending): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        this.#ready ??= this.o.ready?.() ?? Promise.resolve();
        await this.#ready;
        for (const [table, rows] of p.rows) {
          await this.#insert(table, rows);
          this.o.onRows?.(table, rows.length);
        }
        this.#unflushed -= p.count;
        this.lastFlushAt = Date.now();
        p.resolve();
        return;
      } catch (e) {
        this.#ready = undefined;
        this.failures++;
        if (this.#stopped) return; // shutting down: the rows' sources are not committed, so they come again
        if (attempt % 10 === 0) this.log.warn({ err: e, rows: p.count, attempt }, 'ClickHouse insert failed; retrying with the same rows');
        await new Promise((r) => setTimeout(r, Math.min(5_000, 250 * 2 ** Math.min(attempt, 5))));
        // A table already stored is stored again on the retry: harmless (ReplacingMergeTree).
      }
    }
  }

  async #insert(table: string, rows: object[]): Promise<void> {
    // A row that carries `ingested_at` (the event rows) is stamped at each attempt. The episode
    // facts carry none: the server stamps them (the column's DEFAULT now()) while the insert runs,
    // which the episode snapshot's watermark relies on (snapshot-sql.ts, watermarkAt).
    const stamp = Math.floor(Date.now() / 1000);
    for (const r of rows) if ('ingested_at' in r) (r as { ingested_at: number }).ingested_at = stamp;
    try {
      // The columns named: a column left out takes its DEFAULT (18.16 fills an omitted JSON field with the type's zero).
      const columns = Object.keys(rows[0]!) as [string, ...string[]];
      await this.client.insert({ table: `${this.database}.${table}`, values: rows, format: 'JSONEachRow', columns });
    } catch (cause) {
      throw new UtklarError('DEPENDENCY_UNAVAILABLE', `clickhouse: insert of ${rows.length} ${table} rows failed: ${(cause as Error).message}`, { retriable: true, cause });
    }
  }

  /** Stops taking rows' waits; stores what is buffered if ClickHouse answers within `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    this.#stopped = true;
    this.#flush();
    await Promise.race([this.#flushing, new Promise((r) => setTimeout(r, graceMs))]);
  }
}
