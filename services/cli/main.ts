#!/usr/bin/env node
import { createReadStream, createWriteStream } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { loadConfig, repoRoot } from '../core/config.ts';
import { UtklarError } from '../core/errors.ts';
import { logger } from '../core/log.ts';
import { Pseudonymiser } from '../contract/pseudonymise.ts';
import { createKafka } from '../kafka/client.ts';
import { EventProducer } from '../producer/event-producer.ts';
import { importNdjson } from '../producer/ndjson-import.ts';
import { RegionSimulator } from '../simulator/simulate.ts';
import { LiveSimulation } from '../simulator/live-runner.ts';
import { redisAnchor } from '../simulator/redis-anchor.ts';
import { Pipeline } from '../app/pipeline.ts';
import { startHttp } from '../app/http.ts';
import { num, parse } from './args.ts';
import { adoptPromoted, PromotionFollower } from '../rebuild/follow.ts';
import { mintToken, parseTokenScope } from '../api/auth.ts';
import { invoice, INVOICE_USAGE } from './invoice-command.ts';
import { forecastCommand, FORECAST_USAGE } from './forecast-command.ts';
import { rebuildCommand, REBUILD_USAGE } from './rebuild-command.ts';

const USAGE = `utklar — live discharge-readiness pipeline

  utklar produce [--file events.ndjson] [--rejects rejected.ndjson]
      Validate, pseudonymise and send NDJSON events (stdin when no --file).
      Exit 0: all sent; 2: some lines rejected (listed on stderr); 1: failure.
  utklar simulate [--days 7] [--seed 1] [--rate 150] [--from 2026-01-01T00:00:00Z]
      Write a synthetic Region Örebro län as NDJSON to stdout (nothing is sent).
  utklar run [--simulate] [--seed 1] [--rate 150] [--backfill-days 365] [--speed 1]
      Run the pipeline (Kafka → ClickHouse + Redis) with /health, /metrics, /status; with
      --simulate, a simulated history first (a year: ≈ 160 000 events, /status shows it applied).
  utklar hl7 [--port 2575] [--host 127.0.0.1] [--mapping FILE] [--encoding utf-8] [--metrics-port 18090] [--max-message-bytes 8388608]
             [--tls-cert FILE --tls-key FILE [--tls-ca FILE --tls-require-client-cert]]
      Listen for HL7 v2 ADT messages over MLLP (A01 admission, A02 transfer, A03 discharge, A08
      admission correction, A11/A13 cancellations); ACK AA once Kafka has the event, AE (and a
      dead letter) when it cannot be mapped, AR when malformed, larger than --max-message-bytes
      or Kafka is down. --mapping (or UTKLAR_HL7_MAPPING): where the region's EHR puts each field
      (docs/hl7-sources.md). /metrics and /health on 127.0.0.1:--metrics-port (0: off).
      --tls-cert/--tls-key (PEM): MLLP over TLS, same framing and ACKs; --tls-ca with
      --tls-require-client-cert: only senders with a certificate from that CA. Without: plain TCP.
  utklar token --scope region:18|municipality:1880|unit:USO/Med\ 1|nation|source:lifecare|audit:18 [--subject NAME] [--ttl-hours 12]
      Mint a bearer token for the query API (signed with UTKLAR_API_SECRET); a source:<system>
      token may only send that system's events (POST /api/v1/events), an audit:<region> token
      only read the region's access log (GET /api/v1/access-log). The subject is what the
      access log records of whoever uses the token: name the person or system.
${INVOICE_USAGE}
${FORECAST_USAGE}
${REBUILD_USAGE}
  utklar stack up|down|status|reset [service ...]
      The local service stack (infra/stack.sh).`;

async function produce(argv: string[]) {
  const a = parse(argv, { file: { type: 'string' }, rejects: { type: 'string' } });
  const config = loadConfig();
  const pseudonymiser = new Pseudonymiser(config.pseudonymKey, { episodeIssuer: config.episodeIssuer });
  const input = typeof a.file === 'string' ? createReadStream(a.file) : process.stdin;
  const rejects = typeof a.rejects === 'string' ? createWriteStream(a.rejects) : undefined;
  const producer = new EventProducer(createKafka(config, `${config.namespace}-cli`), config.registryUrl, config.namespace, config.eventPartitions);
  await producer.connect();
  try {
    const summary = await importNdjson(input, pseudonymiser, producer, {
      onProblem: (p) => {
        process.stderr.write(`${p.code} ${p.message}\n`);
        rejects?.write(`${JSON.stringify(p)}\n`);
      },
    });
    process.stdout.write(`${JSON.stringify({ lines: summary.lines, sent: summary.sent, rejected: summary.rejected })}\n`);
    return summary.rejected > 0 ? 2 : 0;
  } finally {
    rejects?.end();
    await producer.disconnect();
  }
}

async function simulate(argv: string[]) {
  const a = parse(argv, { days: { type: 'string', default: '7' }, seed: { type: 'string', default: '1' }, rate: { type: 'string', default: '150' }, from: { type: 'string' } });
  const from = typeof a.from === 'string' ? Date.parse(a.from) : Date.now() - num(a.days, 'days') * 86_400_000;
  if (Number.isNaN(from)) throw new UtklarError('CONFIG', '--from must be an ISO 8601 time');
  const sim = new RegionSimulator({ seed: num(a.seed, 'seed'), admissionsPerDay: num(a.rate, 'rate') }, from);
  let chunk = '';
  for (const e of sim.eventsUntil(from + num(a.days, 'days') * 86_400_000)) {
    chunk += `${JSON.stringify(e)}\n`;
    if (chunk.length > 1 << 16) {
      // Respect back-pressure: a piped stdout would otherwise buffer the whole simulation.
      if (!process.stdout.write(chunk)) await new Promise((r) => process.stdout.once('drain', r));
      chunk = '';
    }
  }
  process.stdout.write(chunk);
  return 0;
}

async function run(argv: string[]) {
  const a = parse(argv, {
    simulate: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    rate: { type: 'string', default: '150' },
    // A year, so that a newcomer's charts have history (this year against last, every month).
    'backfill-days': { type: 'string', default: '365' },
    speed: { type: 'string', default: '1' },
  });
  const log = logger('run');
  // After `utklar rebuild --promote`, the promoted side is what this process applies (services/rebuild/follow.ts).
  const base = loadConfig();
  const config = await adoptPromoted(base, log);
  // Switches this process to the side a later promotion (or rollback) names, in place of a restart.
  const follower = new PromotionFollower(new Pipeline(config), base, log);
  const pipeline = follower.current;
  let simulation: LiveSimulation | undefined;
  let producer: EventProducer | undefined;
  // What npm start watches (infra/watch-backfill.mjs): the history produced at start, then live.
  let backfill: { days: number; events: number | null; startedAt: string; producedInSeconds: number | null } | undefined;
  const server = await startHttp(follower, config.httpHost, config.httpPort, () => ({
    simulator: simulation ? {
      produced: simulation.produced, simulatedUntil: new Date(simulation.simTime).toISOString(),
      // Continued from an earlier run: only the time since it stopped is produced at start.
      backfill: backfill && { ...backfill, resumedFrom: simulation.resumedFrom === null ? null : new Date(simulation.resumedFrom).toISOString() },
    } : 'off',
  }));
  await pipeline.start();
  follower.start();
  if (a.simulate) {
    const anchorKey = `${config.eventsNamespace}:simulator:anchor`;
    producer = new EventProducer(pipeline.kafka, config.registryUrl, config.eventsNamespace, config.eventPartitions);
    await producer.connect();
    simulation = new LiveSimulation(producer, new Pseudonymiser(config.pseudonymKey, { episodeIssuer: config.episodeIssuer }), {
      seed: num(a.seed, 'seed'),
      admissionsPerDay: num(a.rate, 'rate'),
      backfillDays: num(a['backfill-days'], 'backfill-days'),
      speed: num(a.speed, 'speed'),
      onProduced: (n) => pipeline.metrics.produced.inc(n),
      // The connection of the pipeline running when it is used: a switch of sides closes the old one's.
      anchor: { load: () => redisAnchor(follower.current.redis, anchorKey).load(), save: (x) => redisAnchor(follower.current.redis, anchorKey).save(x) },
    });
    const started = Date.now();
    backfill = { days: num(a['backfill-days'], 'backfill-days'), events: null, startedAt: new Date(started).toISOString(), producedInSeconds: null };
    await simulation.start();
    backfill.events = simulation.produced;
    backfill.producedInSeconds = Math.round((Date.now() - started) / 1000);
  }
  log.info({ url: `http://127.0.0.1:${config.httpPort}/status` }, 'utklar running');
  await new Promise<void>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
  });
  simulation?.stop();
  await producer?.disconnect().catch(() => undefined);
  server.close();
  await follower.stop();
  await follower.current.stop();
  return 0;
}

const positive = (n: number, name: string) => {
  if (!Number.isInteger(n) || n < 1) throw new UtklarError('CONFIG', `--${name} must be a whole number above 0`);
  return n;
};

async function hl7(argv: string[]) {
  const a = parse(argv, {
    port: { type: 'string', default: '2575' },
    host: { type: 'string', default: '127.0.0.1' },
    mapping: { type: 'string' },
    encoding: { type: 'string', default: 'utf-8' },
    'metrics-port': { type: 'string', default: '18090' },
    'max-message-bytes': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'tls-ca': { type: 'string' },
    'tls-require-client-cert': { type: 'boolean', default: false },
  });
  // Imported here: @medplum's modules are large and only this command needs them.
  const { startHl7Service } = await import('../sources/hl7/hl7-service.ts');
  const service = await startHl7Service(loadConfig(), {
    host: String(a.host),
    port: num(a.port, 'port'),
    mappingFile: typeof a.mapping === 'string' ? a.mapping : undefined,
    encoding: String(a.encoding),
    metricsPort: num(a['metrics-port'], 'metrics-port'),
    maxMessageBytes: a['max-message-bytes'] === undefined ? undefined : positive(num(a['max-message-bytes'], 'max-message-bytes'), 'max-message-bytes'),
    tls: {
      cert: typeof a['tls-cert'] === 'string' ? a['tls-cert'] : undefined,
      key: typeof a['tls-key'] === 'string' ? a['tls-key'] : undefined,
      ca: typeof a['tls-ca'] === 'string' ? a['tls-ca'] : undefined,
      requireClientCert: a['tls-require-client-cert'] === true,
    },
  });
  process.stdout.write(`${JSON.stringify({ mllp: `${a.host}:${service.port}`, ...(service.tls ? { tls: true } : {}) })}\n`);
  await new Promise<void>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
  });
  await service.stop();
  return 0;
}

function token(argv: string[]) {
  const a = parse(argv, { scope: { type: 'string' }, subject: { type: 'string', default: 'operator' }, 'ttl-hours': { type: 'string', default: '12' } });
  const { apiSecret } = loadConfig();
  if (!apiSecret) throw new UtklarError('CONFIG', 'UTKLAR_API_SECRET is not set');
  if (typeof a.scope !== 'string') throw new UtklarError('CONFIG', '--scope is required');
  process.stdout.write(`${mintToken(parseTokenScope(a.scope), apiSecret, { subject: String(a.subject), ttlSeconds: num(a['ttl-hours'], 'ttl-hours') * 3600 })}\n`);
  return 0;
}

function stack(argv: string[]) {
  const r = spawnSync('bash', [path.join(repoRoot, 'infra/stack.sh'), ...argv], { stdio: 'inherit' });
  return r.status ?? 1;
}

async function main(): Promise<number> {
  const [cmd, ...rest] = process.argv.slice(2);
  switch (cmd) {
    case 'produce':
      return produce(rest);
    case 'simulate':
      return simulate(rest);
    case 'run':
      return run(rest);
    case 'stack':
      return stack(rest);
    case 'token':
      return token(rest);
    case 'hl7':
      return hl7(rest);
    case 'invoice':
      return invoice(rest);
    case 'forecast':
      return forecastCommand(rest);
    case 'rebuild':
      return rebuildCommand(rest);
    default:
      process.stderr.write(`${USAGE}\n`);
      return cmd === undefined || cmd === '--help' || cmd === 'help' ? 0 : 1;
  }
}

// exitCode, not exit(): exit() would cut off a piped stdout that is still being written.
// The unref'd timer only fires if some client library keeps a handle open after we are done.
const finish = (code: number) => {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 5_000).unref();
};
main().then(finish, (e) => {
  const code = e instanceof UtklarError ? e.code : 'INTERNAL';
  process.stderr.write(`utklar: ${code}: ${(e as Error).message}\n`);
  // An error nothing expected: where it came from is what its reader needs (library errors carry no personal data).
  if (!(e instanceof UtklarError) && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  finish(1);
});
