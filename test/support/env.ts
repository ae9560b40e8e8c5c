import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pseudonymiser } from '../../services/contract/pseudonymise.ts';
import { loadConfig, type Config } from '../../services/core/config.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PSEUDONYM_KEY = 'test-pseudonym-key-not-for-production';
export const API_SECRET = 'test-api-secret-not-for-production-0123456789';

/**
 * A port for a test's own listener (the pipeline's HTTP, an MLLP listener), with `span` more after
 * it for processes that count on from it: 10 000–15 999, below the development stack's ports
 * (16 379 and up), CI's (2xxxx) and Linux's ephemeral range (32 768–60 999). A port picked among
 * those was taken now and then before the listener bound it, by a service or by a client
 * connection's local port (CI: a crash-equivalence process exited on EADDRINUSE).
 */
export const testPort = (span = 0): number => 10_000 + Math.floor(Math.random() * (6_000 - span));

/** Environment for one isolated pipeline on the shared stack: own topics, groups, keys, database. */
export function isolatedEnv(mode: 'server' | 'embedded', extra: Record<string, string> = {}): Record<string, string> {
  const id = randomUUID().slice(0, 8);
  if (process.env.UTKLAR_TEST_NAMESPACES) appendFileSync(process.env.UTKLAR_TEST_NAMESPACES, `${id}\n`);
  const env: Record<string, string> = {
    UTKLAR_NAMESPACE: `t-${id}`,
    CLICKHOUSE_DATABASE: `t_${id}`,
    UTKLAR_PSEUDONYM_KEY: PSEUDONYM_KEY,
    UTKLAR_API_SECRET: API_SECRET,
    // Processes of one test count on from it (the crash-equivalence test's: +1, +2, …).
    UTKLAR_HTTP_PORT: String(testPort(32)),
    LOG_LEVEL: 'debug',
    // Fixtures sit in fixed months: freezing them automatically once their deadline passes would
    // make an invoice test's answer depend on today's date. The freezing test turns it on.
    UTKLAR_INVOICE_FREEZE_WORKDAY: 'off',
    ...extra,
  };
  if (mode === 'server') env.CLICKHOUSE_URL = `http://127.0.0.1:${process.env.UTKLAR_CLICKHOUSE_HTTP_PORT ?? '18123'}`;
  else env.CHDB_PATH = mkdtempSync(path.join(os.tmpdir(), 'utklar-chdb-'));
  return env;
}

export function configOf(env: Record<string, string>): Config {
  const merged: Record<string, string | undefined> = { ...process.env, ...env };
  if (!env.CLICKHOUSE_URL) delete merged.CLICKHOUSE_URL;
  return loadConfig(merged);
}

/** Thrown from a waitFor probe to stop waiting at once (e.g. the process under test died). */
export class GiveUp extends Error {}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      if (e instanceof GiveUp) throw e;
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/**
 * The episode id utklar keys an episode by when a source sent `sourceEpisodeId` (the producer
 * edge replaces it, docs/ndjson-contract.md "Episode ids are pseudonymised too"), under the tests' pseudonym key; `issuer` as
 * the event or UTKLAR_EPISODE_ISSUER named it ('' when neither did).
 */
export function episodeKeyOf(sourceEpisodeId: string, issuer = ''): string {
  return new Pseudonymiser(PSEUDONYM_KEY).episodeKey(issuer, sourceEpisodeId);
}
