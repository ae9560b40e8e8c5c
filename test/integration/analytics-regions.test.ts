import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regionDatabase } from '../../services/sink-clickhouse/region-databases.ts';
import { episodeKeyOf, isolatedEnv, repoRoot, waitFor } from '../support/env.ts';
import { PipelineProcess, runCli } from '../support/processes.ts';

/**
 * Issue #19: read-only SQL per region on the stack's own ClickHouse server. The pipeline keeps a
 * database per configured region (03 and 18 here) and writes a read-only user for each into the
 * server's users.d; a region-03 analyst reads its region's episodes and nothing of region 18's,
 * nor the main tables. Fixed dates long past: passes on any date.
 */
describe('read-only SQL per region (server)', () => {
  const usersDir = path.join(process.env.UTKLAR_INFRA_HOME ?? path.join(repoRoot, 'infra'), '.run/clickhouse/users.d');
  const env = isolatedEnv('server', {
    LOG_LEVEL: 'warn',
    UTKLAR_ANALYTICS_REGIONS: '18,03',
    UTKLAR_CLICKHOUSE_USERS_DIR: usersDir,
    UTKLAR_CLICKHOUSE_ANALYTICS_PASSWORD_03: 'test-pw-03',
    UTKLAR_CLICKHOUSE_ANALYTICS_PASSWORD_18: 'test-pw-18',
  });
  const db = env.CLICKHOUSE_DATABASE!;
  const [r03, r18] = [regionDatabase(db, '03'), regionDatabase(db, '18')];
  const usersFile = path.join(usersDir, `utklar-${db}-analytics.xml`);
  let pipeline: PipelineProcess;

  /** A query over HTTP as a user: the answer's text, or the server's error (status ≠ 200). */
  const sql = async (query: string, user?: { name: string; password: string }) => {
    const auth = user ? `?user=${user.name}&password=${encodeURIComponent(user.password)}` : '';
    const r = await fetch(`${env.CLICKHOUSE_URL}/${auth}`, { method: 'POST', body: query });
    return { status: r.status, text: (await r.text()).trim() };
  };
  const A03 = { name: 'analytics_03', password: 'test-pw-03' };
  const A18 = { name: 'analytics_18', password: 'test-pw-18' };

  const events = (region: string, personnummer: string, episodeId: string, kommun: string, day: string) => [
    { type: 'admission', eventId: `${episodeId}-1`, occurredAt: `${day}T08:00:00+02:00`, source: 'ehr-test', personnummer, episodeId, region, hospital: 'H1', clinic: 'Medicinkliniken', ward: 'Med 1', businessArea: 'Medicin', careType: 'SOMATIC', admissionType: 'ACUTE', homeMunicipality: kommun },
    { type: 'admission-notice', eventId: `${episodeId}-2`, occurredAt: `${day}T10:00:00+02:00`, source: 'lifecare-test', personnummer, episodeId, recipientMunicipality: kommun },
  ];
  const produce = async (lines: object[]) => {
    const r = await runCli(['produce'], env, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    expect(r.code, r.stderr).toBe(0);
  };
  /** `episode_id\tregion` rows as the views answer them (ordered by episode id) for episodes a source sent as `ids`: keyed by their pseudonyms. */
  const seenRows = (region: string, ...ids: string[]) => ids.map((id) => `${episodeKeyOf(id)}\t${region}`).sort();
  const episodesSeenBy = async (user: typeof A03, database: string) => {
    const r = await sql(`SELECT episode_id, region FROM ${database}.v_episode_facts ORDER BY episode_id FORMAT TSV`, user);
    return r.status === 200 ? r.text.split('\n').filter(Boolean) : undefined;
  };

  beforeAll(async () => {
    pipeline = new PipelineProcess(env);
    await pipeline.healthy();
    await produce([
      ...events('03', '194003071232', 'R03-E1', '0380', '2025-09-01'),
      ...events('03', '193912241217', 'R03-E2', '0381', '2025-09-02'),
      ...events('18', '194501011235', 'R18-E1', '1880', '2025-09-01'),
      ...events('01', '193006151231', 'R01-E1', '0180', '2025-09-01'),
    ]);
    // Both regions' facts: each episode's partition publishes its facts in transactions of its
    // own, so region 03's may be stored before region 18's (a CI run read 18's too early).
    await waitFor('each analyst sees its region\'s episodes (the users file loaded by the server, every partition\'s facts stored)', async () => {
      const [seen03, seen18] = [await episodesSeenBy(A03, r03), await episodesSeenBy(A18, r18)];
      return seen03?.length === 2 && seen18?.length === 1 ? true : undefined;
    }, 90_000);
  }, 180_000);

  afterAll(async () => {
    await pipeline?.stop();
    rmSync(usersFile, { force: true });
    for (const d of [r03, r18, db]) await sql(`DROP DATABASE IF EXISTS ${d}`).catch(() => undefined);
  });

  it('the users file is where the server reads users.d, one read-only user per configured region', () => {
    expect(existsSync(usersFile)).toBe(true);
  });

  it("region 03's analyst reads region 03's episodes, region 18's its own", async () => {
    expect(await episodesSeenBy(A03, r03)).toEqual(seenRows('03', 'R03-E1', 'R03-E2'));
    expect(await episodesSeenBy(A18, r18)).toEqual(seenRows('18', 'R18-E1'));
    // The source's episode ids reach no analyst: the region databases hold the pseudonyms only.
    expect((await sql(`SELECT count() FROM ${r03}.v_episode_facts WHERE episode_id LIKE 'R03-%'`, A03)).text).toBe('0');
  });

  it("region 03's analyst cannot read region 18's database, the main tables or the raw events", async () => {
    for (const q of [`SELECT count() FROM ${r18}.v_episode_facts`, `SELECT count() FROM ${r18}.episode_facts`, `SELECT count() FROM ${db}.episode_facts`, `SELECT count() FROM ${db}.v_episode_facts`, `SELECT count() FROM ${db}.events`]) {
      const r = await sql(q, A03);
      expect(r.status, `${q}: ${r.text}`).not.toBe(200);
      expect(r.text).toMatch(/Access denied to database|ACCESS_DENIED|Not enough privileges/);
    }
  });

  it('read-only: no insert, no table functions reaching past the database', async () => {
    const insert = await sql(`INSERT INTO ${r03}.episode_facts (episode_id, version) VALUES ('x', 1)`, A03);
    expect(insert.status).not.toBe(200);
    expect(insert.text).toMatch(/readonly|read-only|Cannot execute query in readonly mode/i);
    const remote = await sql(`SELECT count() FROM remote('127.0.0.1', ${db}.episode_facts)`, A03);
    expect(remote.status).not.toBe(200);
  });

  it('the reference tables are beside the facts, to name what the codes mean', async () => {
    expect((await sql(`SELECT count() FROM ${r03}.municipalities`, A03)).text).toBe('290');
    expect((await sql(`SELECT kommun FROM ${r03}.municipalities WHERE kommunkod = '0380'`, A03)).text).toBe('Uppsala');
  });

  it('facts stored later reach the region\'s copy as they are stored, and only that region\'s', async () => {
    await produce([{ type: 'ready-for-discharge', eventId: 'R03-E1-3', occurredAt: '2025-09-03T09:00:00+02:00', source: 'lifecare-test', personnummer: '194003071232', episodeId: 'R03-E1', recipientMunicipality: '0380', trackColour: 'NONE', fastVardkontaktAppointed: false, sipNeeded: false }]);
    await waitFor('the new version in region 03\'s copy', async () => {
      const r = await sql(`SELECT status FROM ${r03}.v_episode_facts WHERE episode_id = '${episodeKeyOf('R03-E1')}' FORMAT TSV`, A03);
      return r.text === 'READY' ? true : undefined;
    });
    expect((await sql(`SELECT count() FROM ${r18}.episode_facts WHERE region != '18'`, A18)).text).toBe('0');
  });

  it('a start brings a copy up to date: a column a migration added, rows stored while its feed was away', async () => {
    await pipeline.stop();
    // As a migration would: a new column on the main table. The feed names its columns, so the
    // main table's inserts go on; the copy takes the column at the next start.
    await sql(`ALTER TABLE ${db}.episode_facts ADD COLUMN probe_extra String DEFAULT 'x'`);
    // And a row the feed never saw (a start drops the feed while it aligns the columns).
    await sql(`DROP TABLE ${r03}.episode_facts_feed`);
    await sql(`INSERT INTO ${db}.episode_facts (episode_id, version, status, region) VALUES ('R03-LATE', 1, 'ADMITTED', '03')`);
    pipeline = new PipelineProcess(env);
    await pipeline.healthy();
    await waitFor('the copy after the restart', async () => {
      const seen = await episodesSeenBy(A03, r03);
      return seen?.includes('R03-LATE\t03') ? seen : undefined;
    });
    // R03-LATE was written straight into ClickHouse, past the producer: its id as written.
    expect(await episodesSeenBy(A03, r03)).toEqual([...seenRows('03', 'R03-E1', 'R03-E2'), 'R03-LATE\t03'].sort());
    expect((await sql(`SELECT count() FROM system.columns WHERE database = '${r03}' AND table = 'episode_facts' AND name = 'probe_extra'`)).text).toBe('1');
    // Each episode once in the view however often its versions were copied.
    expect((await sql(`SELECT count() FROM ${r03}.v_episode_facts`, A03)).text).toBe('3');
  }, 180_000);
});
