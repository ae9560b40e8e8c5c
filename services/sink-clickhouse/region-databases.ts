import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { countyCodes } from '../reference/municipalities.ts';

/**
 * Read-only SQL per region (issue #19): a region's analysts get a user of their own that sees
 * a database holding their region's rows only. ClickHouse 18.16 has no row policies, and a view
 * in another database does not help there (it checks the user's access to the view's own source
 * tables), so each region's database holds a copy of the region's episode facts, fed as they
 * are stored by a materialized view on the main table, with the same documented view
 * (v_episode_facts) and the reference tables beside it. One way for every server version; on a
 * server with row policies it would be a policy instead.
 */
export const regionDatabase = (database: string, region: string): string => `${database}_r${region}`;
export const analyticsUser = (region: string): string => `analytics_${region}`;

const REFERENCE = ['municipalities', 'population'] as const;

async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  return (await client.query({ query, format: 'JSONEachRow' })).json<T>();
}

/**
 * Makes (or brings up to date) each region's database. Run after the migrations: the copy takes
 * any column a migration added to the main table before its feed is made again, and what was
 * stored while the feed was away is copied over (ReplacingMergeTree collapses the overlap).
 */
export async function syncRegionDatabases(client: ClickHouseClient, database: string, regions: readonly string[]): Promise<void> {
  const cmd = (query: string) => client.command({ query });
  // DESCRIBE keeps the table's column order (18.16's system.columns has no position).
  const columns = async (db: string, table: string) =>
    (await rows<{ n: string }>(client, `SELECT count() AS n FROM system.tables WHERE database = '${db}' AND name = '${table}'`))[0]?.n === '0'
      ? []
      : (await rows<{ name: string; type: string }>(client, `DESCRIBE TABLE ${db}.${table}`)).map(({ name, type }) => ({ name, type }));
  const main = await columns(database, 'episode_facts');
  const [view] = await rows<{ statement: string }>(client, `SHOW CREATE TABLE ${database}.v_episode_facts`);
  for (const region of regions) {
    if (!countyCodes.has(region)) throw new Error(`not a länskod: ${region}`);
    const rdb = regionDatabase(database, region);
    await cmd(`CREATE DATABASE IF NOT EXISTS ${rdb}`);
    await cmd(`DROP TABLE IF EXISTS ${rdb}.episode_facts_feed`);
    const have = await columns(rdb, 'episode_facts');
    let since: string | null = null;
    if (have.length === 0) {
      await cmd(`CREATE TABLE ${rdb}.episode_facts AS ${database}.episode_facts`);
    } else {
      for (const c of main) if (!have.some((h) => h.name === c.name)) await cmd(`ALTER TABLE ${rdb}.episode_facts ADD COLUMN ${c.name} ${c.type}`);
      const [last] = await rows<{ at: string }>(client, `SELECT toString(max(ingested_at)) AS at FROM ${rdb}.episode_facts`);
      since = last?.at ?? null;
    }
    const names = main.map((c) => c.name).join(', ');
    await cmd(`CREATE MATERIALIZED VIEW ${rdb}.episode_facts_feed TO ${rdb}.episode_facts AS SELECT ${names} FROM ${database}.episode_facts WHERE region = '${region}'`);
    // A minute before the copy's newest row: rows of one insert share its second, and an insert
    // under way when the feed was dropped may have stored some of its rows a moment earlier.
    await cmd(`INSERT INTO ${rdb}.episode_facts (${names}) SELECT ${names} FROM ${database}.episode_facts WHERE region = '${region}'${since ? ` AND ingested_at >= toDateTime('${since}', 'UTC') - 60` : ''}`);
    await cmd(`DROP TABLE IF EXISTS ${rdb}.v_episode_facts`);
    await cmd(view!.statement.split(`${database}.`).join(`${rdb}.`));
    for (const t of REFERENCE) {
      await cmd(`DROP TABLE IF EXISTS ${rdb}.${t}`);
      await cmd(`CREATE TABLE ${rdb}.${t} AS ${database}.${t}`);
      await cmd(`INSERT INTO ${rdb}.${t} SELECT * FROM ${database}.${t}`);
    }
  }
}

/** A region's analytics password: UTKLAR_CLICKHOUSE_ANALYTICS_PASSWORD_<län>, else the local default. */
export const analyticsPassword = (env: Record<string, string | undefined>, region: string): string =>
  env[`UTKLAR_CLICKHOUSE_ANALYTICS_PASSWORD_${region}`] || `${env.UTKLAR_CLICKHOUSE_ANALYTICS_PASSWORD || 'analytics-local'}-${region}`;

/**
 * The users.d file for a server: per region a read-only user (the `readonly` profile of
 * infra/clickhouse/users.xml: SELECT only, 1 GB, 60 s) allowed that region's database alone.
 * Loopback only, as the local stack; a server elsewhere takes the file with its own networks.
 */
export function analyticsUsersXml(database: string, regions: readonly string[], password: (region: string) => string, networks: readonly string[] = ['::1', '127.0.0.1']): string {
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const users = regions.map((r) => `    <${analyticsUser(r)}>
      <password_sha256_hex>${sha(password(r))}</password_sha256_hex>
      <networks>${networks.map((ip) => `<ip>${ip}</ip>`).join('')}</networks>
      <profile>readonly</profile>
      <quota>default</quota>
      <allow_databases><database>${regionDatabase(database, r)}</database></allow_databases>
    </${analyticsUser(r)}>`).join('\n');
  return `<?xml version="1.0"?>
<!-- Written by utklar (services/sink-clickhouse/region-databases.ts) for database ${database}: one
     read-only user per region, allowed only its region's database. -->
<yandex>
  <users>
${users}
  </users>
</yandex>
`;
}

/** Writes the users file where the server reads users.d (it reloads it within seconds); returns its path. */
export function writeAnalyticsUsers(dir: string, database: string, regions: readonly string[], password: (region: string) => string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `utklar-${database}-analytics.xml`);
  writeFileSync(`${file}.tmp`, analyticsUsersXml(database, regions, password), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
  return file;
}
