/**
 * Answers of the read model kept for the instant it stays the same. A key names the generation and
 * how many versions were stored since its watermark (every stored version adds one, and only a new
 * generation drops any), with the SQL itself (scope, filters, period and "today" are literals in
 * it): a stored version or a new generation makes every older key unreachable, so an answer is
 * never staler than its request's start. Bounded in entries and rows, least recently used first out.
 */
export class AnswerCache {
  readonly #entries = new Map<string, Record<string, unknown>[]>();
  #rows = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly maxEntries = 2_000, private readonly maxRows = 500_000, private readonly maxRowsPerAnswer = 50_000) {}

  get(key: string): Record<string, unknown>[] | undefined {
    const v = this.#entries.get(key);
    if (v === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.#entries.delete(key);
    this.#entries.set(key, v);
    return v;
  }

  set(key: string, rows: Record<string, unknown>[]): void {
    if (rows.length > this.maxRowsPerAnswer || this.#entries.has(key)) return;
    this.#entries.set(key, rows);
    this.#rows += rows.length;
    for (const [k, v] of this.#entries) {
      if (this.#entries.size <= this.maxEntries && this.#rows <= this.maxRows) break;
      this.#entries.delete(k);
      this.#rows -= v.length;
    }
  }

  /** Forgets every answer (a benchmark times the queries themselves). */
  clear(): void {
    this.#entries.clear();
    this.#rows = 0;
  }

  get size(): number {
    return this.#entries.size;
  }
}
