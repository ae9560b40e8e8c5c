import { readFileSync, readdirSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import type { Config } from '../core/config.ts';

export type ClickHouseMode = 'server' | 'embedded';

/**
 * A ClickHouse server when CLICKHOUSE_URL is set, otherwise embedded chDB in this process.
 * chDB binds one data directory per process, so in embedded mode everything that reads or
 * writes ClickHouse must live in the one process that called this.
 */
export async function openClickHouse(config: Config): Promise<{ client: ClickHouseClient; mode: ClickHouseMode }> {
  if (config.clickhouseUrl) {
    const client = createClient({
      url: config.clickhouseUrl,
      username: config.clickhouseUser,
      password: config.clickhousePassword,
      request_timeout: 30_000,
    });
    return { client, mode: 'server' };
  }
  mkdirSync(config.chdbPath, { recursive: true });
  const { createChdbConnection } = await import('chdb/connection');
  // The connection hook is typed for @clickhouse/client's internals; chdb implements it verbatim.
  const client = createClient({ connection: createChdbConnection({ path: config.chdbPath }) } as never);
  return { client, mode: 'embedded' };
}

const SQL_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sql');

/** Applies every sql/NNN_*.sql in order; each is written to be re-runnable (IF NOT EXISTS). */
export async function migrate(client: ClickHouseClient, database: string): Promise<void> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) throw new Error(`invalid ClickHouse database name '${database}'`);
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  for (const file of readdirSync(SQL_DIR).filter((f) => f.endsWith('.sql')).sort()) {
    const sql = readFileSync(path.join(SQL_DIR, file), 'utf8').replaceAll('{db}', database);
    for (const statement of sql.split(/;\s*$/m).map(stripComments).filter(Boolean)) {
      await client.command({ query: statement });
    }
  }
}

const stripComments = (s: string) =>
  s
    .split('\n')
    .filter((l) => !l.trim().startsWith('--'))
    .join('\n')
    .trim();
