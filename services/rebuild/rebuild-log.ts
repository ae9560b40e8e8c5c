import type { ClickHouseClient } from '@clickhouse/client';
import { str } from '../indicators/sql.ts';

/** One line of `<db>.rebuild_log` (migration 015): what was done with a rebuild, by whom, under which agreement version. */
export interface RebuildLogEntry {
  at: number;
  rebuildId: string;
  action: 'started' | 'resumed' | 'finished' | 'failed' | 'promoted' | 'rolled-back' | 'discarded' | 'dropped';
  by: string;
  agreementVersion: string;
  database: string;
  namespace: string;
  detail: unknown;
}

/** Appended to the live database's log: the record of which rules published figures were computed under, and since when. */
export async function logRebuild(client: ClickHouseClient, db: string, e: RebuildLogEntry): Promise<void> {
  await client.insert({
    table: `${db}.rebuild_log`, format: 'JSONEachRow',
    values: [{ at: Math.floor(e.at / 1000), rebuild_id: e.rebuildId, action: e.action, by: e.by, agreement_version: e.agreementVersion, database: e.database, namespace: e.namespace, detail: JSON.stringify(e.detail ?? null) }],
  });
}

export async function rebuildLog(client: ClickHouseClient, db: string, id?: string): Promise<Record<string, unknown>[]> {
  const where = id ? `WHERE rebuild_id = ${str(id)}` : '';
  return (await client.query({ query: `SELECT toString(at) AS at, rebuild_id, action, by, agreement_version, database, namespace, detail FROM ${db}.rebuild_log ${where} ORDER BY at, rebuild_id`, format: 'JSONEachRow' })).json<Record<string, unknown>>();
}
