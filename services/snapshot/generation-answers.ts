import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { int } from '../indicators/sql.ts';
import { QUERY_SETTINGS } from './read-model.ts';

/**
 * Answers of SQL that reads only a generation's own tables, kept in ClickHouse (migration 022):
 * such an answer never changes once the generation is recorded, so one process's answer is every
 * process's, and a process whose in-memory answers are cold (just started, or the entry pushed
 * out) reads the rows instead of summing a nation's five years again. The builder computes the
 * common pages' answers before it records a generation (services/api/warm-pages.ts), so readers
 * switch to a generation whose common answers are there.
 */
export const GENERATION_ANSWERS = 'episode_generation_answers';

/** Beyond this much JSON an answer is not kept (a nation's sums by region and kommun are ≈ 1 MB). */
const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

const keyOf = (sql: string) => createHash('sha256').update(sql).digest('hex');

/** Stores under way: the builder waits for them before it records the generation they answer. */
const storing = new Set<Promise<void>>();

/**
 * The stored answer to `sql` in generation `generation`, or undefined (none stored, or the table
 * not there: a database not migrated yet is answered by computing, as before).
 */
export async function storedAnswer(client: ClickHouseClient, db: string, generation: number, sql: string): Promise<Record<string, unknown>[] | undefined> {
  try {
    const found = await (await client.query({
      query: `SELECT answer FROM ${db}.${GENERATION_ANSWERS} WHERE generation = ${int(generation)} AND sql_key = '${keyOf(sql)}' LIMIT 1`,
      format: 'JSONEachRow', clickhouse_settings: QUERY_SETTINGS,
    })).json<{ answer: string }>();
    return found.length === 0 ? undefined : (JSON.parse(found[0]!.answer) as Record<string, unknown>[]);
  } catch {
    return undefined;
  }
}

/**
 * Stores `rows`, the answer to `sql` in generation `generation`, without making the request wait:
 * a failed store costs a later process the query, nothing else. Another process may store the
 * same answer too; readers take one.
 */
export function storeAnswer(client: ClickHouseClient, db: string, generation: number, sql: string, rows: Record<string, unknown>[]): void {
  const answer = JSON.stringify(rows);
  if (answer.length > MAX_ANSWER_BYTES) return;
  const p = Promise.resolve()
    .then(() => client.insert({ table: `${db}.${GENERATION_ANSWERS}`, values: [{ generation, sql_key: keyOf(sql), answer }], format: 'JSONEachRow' }))
    .then(() => undefined, () => undefined)
    .finally(() => storing.delete(p));
  storing.add(p);
}

/** Resolves when every store begun so far has ended. */
export async function storesEnded(): Promise<void> {
  await Promise.all([...storing]);
}

/**
 * Forgets every stored answer of `db` (once the stores under way have ended): a benchmark or a
 * test that times or counts the queries themselves, not a lookup of what an earlier run computed.
 */
export async function forgetStoredAnswers(client: ClickHouseClient, db: string): Promise<void> {
  await storesEnded();
  const kept = await (await client.query({ query: `SELECT DISTINCT generation FROM ${db}.${GENERATION_ANSWERS}`, format: 'JSONEachRow' })).json<{ generation: string }>();
  for (const { generation } of kept) await client.command({ query: `ALTER TABLE ${db}.${GENERATION_ANSWERS} DROP PARTITION ${int(Number(generation))}` });
}
