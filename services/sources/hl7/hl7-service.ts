import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import tls from 'node:tls';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Config } from '../../core/config.ts';
import { UtklarError } from '../../core/errors.ts';
import { Pseudonymiser } from '../../contract/pseudonymise.ts';
import { createKafka } from '../../kafka/client.ts';
import { DeadLetters } from '../../kafka/dead-letter.ts';
import { EventProducer } from '../../producer/event-producer.ts';
import { SourceIngest } from '../ingest.ts';
import { createSourceMetrics } from '../metrics.ts';
import { DEFAULT_MAPPING_FILE, loadAdtMapping } from './adt-mapping.ts';
import { MllpListener } from './mllp-listener.ts';

export interface Hl7ServiceOptions {
  host: string;
  port: number;
  mappingFile: string | undefined;
  encoding: string;
  /** /metrics and /health on loopback; 0: none. */
  metricsPort: number;
  /** The largest MLLP frame taken (default DEFAULT_MAX_MESSAGE_BYTES). */
  maxMessageBytes?: number;
  /** PEM files for MLLP over TLS; none: plain TCP. */
  tls?: Hl7TlsFiles;
}

export interface Hl7TlsFiles {
  cert?: string;
  key?: string;
  /** The CA client certificates are checked against. */
  ca?: string;
  requireClientCert?: boolean;
}

/**
 * The TLS options from the flags, checked whole before anything connects: a listener that came up
 * plain when TLS was asked for would send patient data unencrypted.
 */
export function loadTlsOptions(files: Hl7TlsFiles | undefined): tls.TlsOptions | undefined {
  if (!files || (files.cert === undefined && files.key === undefined && files.ca === undefined && !files.requireClientCert)) return undefined;
  if (files.cert === undefined || files.key === undefined) {
    throw new UtklarError('CONFIG', `MLLP over TLS needs both --tls-cert and --tls-key (given: ${[files.cert !== undefined && '--tls-cert', files.key !== undefined && '--tls-key', files.ca !== undefined && '--tls-ca', files.requireClientCert && '--tls-require-client-cert'].filter(Boolean).join(', ')})`);
  }
  // Checked against the system's public CAs, any certificate bought anywhere would be let in.
  if (files.requireClientCert && files.ca === undefined) throw new UtklarError('CONFIG', '--tls-require-client-cert needs --tls-ca: the CA that issues the senders\' certificates');
  if (files.ca !== undefined && !files.requireClientCert) throw new UtklarError('CONFIG', '--tls-ca is only used with --tls-require-client-cert');
  const read = (flag: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new UtklarError('CONFIG', `${flag} ${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  };
  const options: tls.TlsOptions = {
    cert: read('--tls-cert', files.cert),
    key: read('--tls-key', files.key),
    ...(files.ca !== undefined ? { ca: read('--tls-ca', files.ca), requestCert: true, rejectUnauthorized: true } : {}),
  };
  try {
    // Not PEM, or a key that does not belong to the certificate, fails here rather than at the first handshake.
    tls.createSecureContext(options);
  } catch (e) {
    throw new UtklarError('CONFIG', `--tls-cert ${files.cert} / --tls-key ${files.key}${files.ca !== undefined ? ` / --tls-ca ${files.ca}` : ''}: ${(e as Error).message}`);
  }
  return options;
}

/** `utklar hl7` as a process: the mapping checked, Kafka reached, then the listener and its /metrics. */
export async function startHl7Service(config: Config, opts: Hl7ServiceOptions) {
  const mapping = loadAdtMapping(opts.mappingFile ?? config.hl7Mapping ?? DEFAULT_MAPPING_FILE);
  try {
    new TextDecoder(opts.encoding);
  } catch {
    throw new UtklarError('CONFIG', `--encoding: '${opts.encoding}' is not a character set (e.g. utf-8, iso-8859-1)`);
  }
  const tlsOptions = loadTlsOptions(opts.tls);
  const pseudonymiser = new Pseudonymiser(config.pseudonymKey, { episodeIssuer: config.episodeIssuer });
  const kafka = createKafka(config, `${config.namespace}-hl7`);
  const producer = new EventProducer(kafka, config.registryUrl, config.namespace, config.eventPartitions);
  const deadLetters = new DeadLetters(kafka, config.namespace);
  await producer.connect();
  await deadLetters.connect();
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'utklar_' });
  const metrics = createSourceMetrics(registry);
  const ingest = new SourceIngest(producer, deadLetters, pseudonymiser, { name: 'hl7', consumer: 'hl7-listener', sourceTopic: `mllp:${opts.port}` }, metrics);
  const listener = new MllpListener(ingest, mapping, pseudonymiser, metrics, { host: opts.host, port: opts.port, encoding: opts.encoding, maxMessageBytes: opts.maxMessageBytes, tls: tlsOptions });
  const port = await listener.start();
  let http: Server | undefined;
  if (opts.metricsPort !== 0) {
    http = createServer(async (req, res) => {
      if (req.url === '/metrics') res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
      else if (req.url === '/health') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, mllp: port }));
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve, reject) => {
      http!.once('error', (e) => reject(new UtklarError('CONFIG', `--metrics-port ${opts.metricsPort}: ${e.message}`)));
      http!.listen(opts.metricsPort, '127.0.0.1', resolve);
    });
  }
  return {
    port,
    tls: tlsOptions !== undefined,
    async stop() {
      http?.close();
      await listener.stop();
      await producer.disconnect().catch(() => undefined);
      await deadLetters.disconnect().catch(() => undefined);
    },
  };
}
