/**
 * The chaos suite (npm run chaos): runs test/chaos/run.ts `--runs` times in a row (default 3)
 * with different seeds and prints each run's summary; exits 1 if any run had a mismatch, a
 * lost event or personal data where none may be. Brings up the stack itself (infra/stack.sh).
 * A passed run's topics, Redis keys and ClickHouse database are removed (unless --keep).
 *
 *   npm run chaos [-- --runs 3] [--days 120] [--rate 60] [--malformed 1000] [--kills 2] [--clickhouse-outage 60] [--seed N] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../support/env.ts';
import { runChaos, type ChaosSummary } from './run.ts';

const a = parseArgs({ options: {
  runs: { type: 'string', default: '3' }, days: { type: 'string', default: '120' }, rate: { type: 'string', default: '60' },
  malformed: { type: 'string', default: '1000' }, kills: { type: 'string', default: '2' }, 'clickhouse-outage': { type: 'string', default: '60' },
  seed: { type: 'string', default: String(Date.now() % 100_000) }, keep: { type: 'boolean', default: false },
} }).values;

const up = spawnSync('bash', [path.join(repoRoot, 'infra/stack.sh'), 'up', 'kafka', 'registry', 'redis', 'clickhouse'], { stdio: 'inherit' });
if (up.status !== 0) process.exit(1);

const summaries: ChaosSummary[] = [];
for (let run = 1; run <= Number(a.runs); run++) {
  const seed = Number(a.seed) + run - 1;
  process.stderr.write(`\n::: chaos run ${run}/${a.runs} (seed ${seed})\n`);
  const s = await runChaos({
    seed, days: Number(a.days), rate: Number(a.rate), duplicateShare: 0.1, malformed: Number(a.malformed),
    killsPerService: Number(a.kills), kafkaRestart: true, keep: a.keep, clickhouseOutageMs: Number(a['clickhouse-outage']) * 1000, log: (l) => process.stderr.write(`  ${l}\n`),
  });
  summaries.push(s);
  console.log(`run ${run}: ${s.events} events (${s.messages} messages: ${s.duplicates} duplicates, ${s.reordered} reordered, ${Object.values(s.malformed).reduce((x, y) => x + y, 0)} malformed ${JSON.stringify(s.malformed)})`);
  console.log(`  faults injected (${s.faults.length}): ${s.faults.join('; ')}; producer chunks resent: ${s.producerResends}; unplanned exits: ${JSON.stringify(s.crashes)}`);
  console.log(`  caught up ${s.seconds.catchUp} s after the last fault; run took ${s.seconds.total} s`);
  console.log(`  mismatches: ${s.mismatches.length}${s.mismatches.slice(0, 20).map((m) => `\n    ${m.check}: ${m.detail}`).join('')}`);
  console.log(`  personal data found: ${s.personalData.length}${s.personalData.slice(0, 10).map((p) => `\n    ${p}`).join('')}`);
  if (s.kept) console.log(`  kept: namespace ${s.namespace} (topics, Redis keys), ClickHouse database ${s.database}`);
}
const dir = path.join(repoRoot, 'test/chaos/results');
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `chaos-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30) }, summaries }, null, 2));
const failed = summaries.filter((s) => s.mismatches.length > 0 || s.personalData.length > 0);
console.log(`\n${summaries.length - failed.length}/${summaries.length} runs with 0 mismatches and 0 lost events (${path.relative(repoRoot, file)})`);
process.exit(failed.length > 0 ? 1 : 0);
