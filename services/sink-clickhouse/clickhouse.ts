import { readFileSync, readdirSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { UtklarError } from '../core/errors.ts';
import type { Config } from '../core/config.ts';
import { openChdbPool } from './chdb-pool.ts';

export type ClickHouseMode = 'server' | 'embedded';

/**
 * A ClickHouse server when CLICKHOUSE_URL is set, otherwise embedded chDB in this process.
 * chDB binds one data directory per process, so in embedded mode everything that reads or
 * writes ClickHouse must live in the one process that called this. `building`: a client for
 * statements that build (serverClient), as a process that only builds (the rebuild CLI) opens it.
 */
export async function openClickHouse(config: Config, o: { building?: boolean } = {}): Promise<{ client: ClickHouseClient; mode: ClickHouseMode }> {
  if (config.clickhouseUrl) return { client: serverClient(config, o.building === true), mode: 'server' };
  mkdirSync(config.chdbPath, { recursive: true });
  // The connection hook is typed for @clickhouse/client's internals; chdb implements it verbatim.
  const client = createClient({ connection: await openChdbPool(config.chdbPath, config.chdbConnections) } as never);
  return { client, mode: 'embedded' };
}

/**
 * How long a statement that builds (a read-model generation, a rebuild's diff) may take on a
 * server: the 30 s of a request is too short for them. A generation's full build at five national
 * years took 166–196 s on a quiet machine; a rebuild's after a million events timed out at 30 s
 * on a loaded one (2026-12-06), and every round's retry started it again.
 */
export const BUILD_TIMEOUT_MS = 30 * 60_000;

function serverClient(config: Config, building: boolean): ClickHouseClient {
  return createClient({
    url: config.clickhouseUrl,
    username: config.clickhouseUser,
    password: config.clickhousePassword,
    request_timeout: building ? BUILD_TIMEOUT_MS : 30_000,
    // Progress headers keep a long statement's connection alive through proxies and the socket's
    // idle timeout (the client warns without them); 18.16 knows both settings.
    ...(building ? { clickhouse_settings: { send_progress_in_http_headers: 1 as const, http_headers_progress_interval_ms: '20000' } } : {}),
  });
}

/**
 * The client for building statements beside the one `opened` serves requests with: a second one
 * with BUILD_TIMEOUT_MS on a server; chDB's own (no timeouts, one per process).
 */
export function buildClient(config: Config, opened: { client: ClickHouseClient; mode: ClickHouseMode }): ClickHouseClient {
  return opened.mode === 'server' ? serverClient(config, true) : opened.client;
}

const SQL_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sql');

/**
 * Applies the versioned migrations sql/NNN_name.sql that this database has not had yet, in
 * order, and records each in `schema_migrations` (version, name, SHA-256 of the file). A file
 * changed after it was applied is refused: a change needs a new migration. Statements are
 * written to be re-runnable (IF NOT EXISTS), so a crash between a migration and its record is
 * harmless: it runs again.
 */
export async function migrate(client: ClickHouseClient, database: string): Promise<string[]> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) throw new Error(`invalid ClickHouse database name '${database}'`);
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${database}.schema_migrations (version UInt32, name String, checksum String, applied_at DateTime('UTC')) ENGINE = ReplacingMergeTree() ORDER BY version`,
  });
  const done = new Map(
    (await (await client.query({ query: `SELECT version, name, checksum FROM ${database}.schema_migrations FINAL`, format: 'JSONEachRow' })).json<{ version: number | string; name: string; checksum: string }>())
      .map((r) => [Number(r.version), r]),
  );
  const applied: string[] = [];
  for (const file of readdirSync(SQL_DIR).filter((f) => /^\d{3}_.*\.sql$/.test(f)).sort()) {
    const version = Number(file.slice(0, 3));
    const text = readFileSync(path.join(SQL_DIR, file), 'utf8');
    const checksum = createHash('sha256').update(text).digest('hex');
    const before = done.get(version);
    if (before) {
      if (before.checksum !== checksum) {
        throw new UtklarError('CONFIG', `ClickHouse migration ${file} changed after it was applied to ${database} (as ${before.name}); add a new migration instead`);
      }
      continue;
    }
    for (const statement of text.replaceAll('{db}', database).split(/;\s*$/m).map(stripComments).filter(Boolean)) {
      await client.command({ query: statement });
    }
    await client.insert({ table: `${database}.schema_migrations`, values: [{ version, name: file, checksum, applied_at: Math.floor(Date.now() / 1000) }], format: 'JSONEachRow' });
    applied.push(file);
  }
  return applied;
}

const stripComments = (s: string) =>
  s
    .split('\n')
    .filter((l) => !l.trim().startsWith('--'))
    .join('\n')
    .trim();
