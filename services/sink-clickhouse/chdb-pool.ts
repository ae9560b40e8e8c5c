import type { Readable } from 'node:stream';
import type { Connection } from '@clickhouse/client-common';

/**
 * Embedded chDB through several native connections to the one data directory: a chDB connection
 * runs one statement at a time (measured: four copies of a 20 ms query sent at once took 94 ms on
 * one connection, 50 ms spread over four), while connections to the same directory share the
 * process's engine and its data and run side by side. Each statement goes to the connection with
 * the fewest under way. Every connection is opened alike (CHDB_SESSION_SETTINGS), the project
 * makes no temporary table, and the only setting its statements carry (max_query_size, which
 * chDB applies as a SET that stays on the connection) is the same everywhere: any connection
 * answers any statement as another would.
 */
export class ChdbPool implements Connection<Readable> {
  readonly #connections: Connection<Readable>[];
  readonly #busy: number[];
  #next = 0;

  constructor(connections: Connection<Readable>[]) {
    if (connections.length === 0) throw new Error('ChdbPool: at least one connection');
    this.#connections = connections;
    this.#busy = connections.map(() => 0);
  }

  /** The least busy connection (ties taken in turn), `run` on it. */
  async #on<T>(run: (c: Connection<Readable>) => Promise<T>): Promise<T> {
    let pick = this.#next;
    for (let k = 1; k < this.#connections.length; k++) {
      const i = (this.#next + k) % this.#connections.length;
      if (this.#busy[i]! < this.#busy[pick]!) pick = i;
    }
    this.#next = (pick + 1) % this.#connections.length;
    this.#busy[pick]!++;
    try {
      return await run(this.#connections[pick]!);
    } finally {
      this.#busy[pick]!--;
    }
  }

  ping(params: Parameters<Connection<Readable>['ping']>[0]) { return this.#on((c) => c.ping(params)); }
  query(params: Parameters<Connection<Readable>['query']>[0]) { return this.#on((c) => c.query(params)); }
  insert(params: Parameters<Connection<Readable>['insert']>[0]) { return this.#on((c) => c.insert(params)); }
  command(params: Parameters<Connection<Readable>['command']>[0]) { return this.#on((c) => c.command(params)); }
  exec(params: Parameters<Connection<Readable>['exec']>[0]) { return this.#on((c) => c.exec(params)); }

  async close(): Promise<void> {
    await Promise.all(this.#connections.map((c) => c.close()));
  }
}

/**
 * Set on each connection as it opens (a chDB connection keeps what SET sets, a session's
 * settings): no JIT compilation of aggregate functions and sort descriptions. chDB compiles them
 * the third time it sees them, and the run that compiles is slow: a region's overview took 128
 * and 180 ms in it, 38–61 in the others, and with every case's own compiling run among ten, the
 * five-year bench's slowest p95 was 118–159 ms with these on, 82–96 with them off, alternated on
 * one database. Compiled expressions stay (the mixed requests were not slower with them). The
 * 18.16 server compiles nothing by default and knows neither setting.
 */
export const CHDB_SESSION_SETTINGS = 'SET compile_aggregate_expressions = 0, compile_sort_description = 0';

/** A pool of `size` chDB connections to `path` (chDB's own connection class, loaded on demand). */
export async function openChdbPool(path: string, size: number): Promise<ChdbPool> {
  const { createChdbConnection } = await import('chdb/connection');
  const connections = Array.from({ length: size }, () => createChdbConnection({ path }) as unknown as Connection<Readable>);
  await Promise.all(connections.map((c) => c.command({ query: CHDB_SESSION_SETTINGS } as Parameters<Connection<Readable>['command']>[0])));
  return new ChdbPool(connections);
}
