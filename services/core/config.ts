import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UtklarError } from './errors.ts';
import { countyCodes } from '../reference/municipalities.ts';
import { loadAgreementSet, type AgreementSet } from '../agreements/agreement-set.ts';


export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Everything the services read from the environment, in one place (README's table mirrors it). */
export interface Config {
  kafkaBrokers: string[];
  registryUrl: string;
  redisUrl: string;
  /** Seed nodes (host:port) of a Redis Cluster; when given, the stores use it instead of `redisUrl`. */
  redisCluster: { host: string; port: number }[] | null;
  /** Unset means embedded chDB at `chdbPath`. */
  clickhouseUrl: string | undefined;
  clickhouseUser: string;
  clickhousePassword: string;
  clickhouseDatabase: string;
  chdbPath: string;
  /** Native connections to embedded chDB, each running one statement at a time (UTKLAR_CHDB_CONNECTIONS, chdb-pool.ts). */
  chdbConnections: number;
  /** Prefix for topics, consumer groups and Redis keys, so several pipelines can share a stack. */
  namespace: string;
  /**
   * Whose events topic the clock reads (UTKLAR_EVENTS_NAMESPACE, default `namespace`): a rebuild
   * (services/rebuild/) replays the live namespace's events into a shadow namespace of its own.
   */
  eventsNamespace: string;
  /** Loopback by default; a container sets 0.0.0.0 so its port mapping can reach it. */
  httpHost: string;
  httpPort: number;
  pseudonymKey: string | undefined;
  /**
   * Whose numbering the episode ids this installation's sources send are in, when an event does
   * not name it (`episodeIssuer`): a länskod, or '' (the default) where one region's systems are
   * the only sources. Part of every episode's pseudonym, so it is set once and never changed.
   */
  episodeIssuer: string;
  /** The rules the clocks apply (services/agreements/orebro.json or law.json), and the shortcut to them when UTKLAR_AGREEMENTS is unset. */
  rules: 'orebro' | 'law';
  /**
   * The payment agreements invoices are computed under, per region and year (UTKLAR_AGREEMENTS;
   * unset: the bundled file(s) UTKLAR_RULES names). Read and checked here, so a bad file stops
   * every command at start with `file:line` rather than an invoice later.
   */
  agreements: AgreementSet;
  /**
   * Automatic freezing of the invoice basis (UTKLAR_INVOICE_FREEZE_WORKDAY, default 5: at the end
   * of the fifth Swedish working day of the following month, the seed's "första arbetsveckan";
   * `off`: only `utklar invoice --freeze`). `from` (UTKLAR_INVOICE_FREEZE_FROM, YYYY-MM) also
   * freezes every month since then that a stopped pipeline missed; unset, only the month just passed.
   */
  invoiceFreeze: { workingDay: number; from: string | null } | null;
  /** Which consumer groups this process runs. */
  consumers: Consumer[];
  /** The timer worker runs apart from the clock consumer (UTKLAR_CONSUMERS=timers), e.g. to be killed apart. */
  timersOnly: boolean;
  /** Consumer groups are `<groupPrefix>.<consumer>`; a new prefix replays the topic from the start. */
  groupPrefix: string;
  /** Partitions of the events topic when this process creates it (UTKLAR_EVENT_PARTITIONS). */
  eventPartitions: number;
  /** How often closed episodes are swept out of Redis (0: never). */
  evictEveryMs: number;
  /** How often the timer worker fires due day boundaries (0: never). */
  timersEveryMs: number;
  /** A ceiling on the events the clock consumer applies per second (UTKLAR_MAX_EVENTS_PER_S; 0: none), e.g. a rebuild's replay beside the live pipeline. */
  maxEventsPerSecond: number;
  /** How often the episode snapshot (the indicators' read model) checks whether a new generation is due (0: never). */
  snapshotEveryMs: number;
  /** Versions stored since the snapshot's watermark that make a new generation due (what each query collapses on top). */
  snapshotMaxDelta: number;
  /** Whether the builder answers the common and lately asked pages of a new generation before recording it (UTKLAR_SNAPSHOT_WARM_PAGES, default on). */
  snapshotWarmPages: boolean;
  /** Signs the query API's bearer tokens (HS256); unset disables the API. */
  apiSecret: string | undefined;
  /** The session cookie carries `Secure` (UTKLAR_COOKIE_SECURE=1): the pages are served over TLS, e.g. behind a terminating proxy. */
  cookieSecure: boolean;
  /** Aggregates for municipalities and CSV exports withhold counts below this (UTKLAR_SMALL_CELL_MIN; 0 or 1: off). */
  smallCellMin: number;
  /** Regions whose analysts get read-only SQL of their own (UTKLAR_ANALYTICS_REGIONS; ClickHouse server only). */
  analyticsRegions: string[];
  /** Where the server reads users.d: the regions' analytics users are written there (UTKLAR_CLICKHOUSE_USERS_DIR). */
  clickhouseUsersDir: string | undefined;
  /** Extra population-*.csv files (SCB figures) beyond the bundled reference. */
  populationDir: string | undefined;
  /** capacity-*.csv files (available beds per ward and day), loaded at start. */
  capacityDir: string | undefined;
  /** Alert rules file (services/alerting/rules.ts); unset: no alerting. */
  alertRules: string | undefined;
  /** Webhook for rules without their own. */
  alertWebhook: string | undefined;
  alertsEveryMs: number;
  /** The HL7 ADT mapping file of `utklar hl7` (unset: services/sources/hl7/adt-mapping.json). */
  hl7Mapping: string | undefined;
}

export const CONSUMERS = ['clock'] as const;
/** Groups of earlier versions, refused with a clear word instead of 'unknown'. */
const RETIRED: Record<string, string> = {
  'episode-store': 'retired: the clock keeps the one state per episode (<ns>:clock:ep:<id>)',
  'sink-clickhouse': 'retired: the clock writes the ClickHouse event rows from the events it decoded (one consumer group)',
  'sink-facts': 'retired: the clock writes the episode facts from its own changes, with the changelog (one consumer group)',
};
export type Consumer = (typeof CONSUMERS)[number];

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const kafkaPort = env.UTKLAR_KAFKA_PORT ?? '19092';
  const registryPort = env.UTKLAR_REGISTRY_PORT ?? '18081';
  const redisPort = env.UTKLAR_REDIS_PORT ?? '16379';
  const namespace = env.UTKLAR_NAMESPACE ?? 'utklar';
  if (!/^[a-z0-9][a-z0-9-]*$/.test(namespace)) {
    throw new UtklarError('CONFIG', `UTKLAR_NAMESPACE must be lower-case letters, digits and '-', got '${namespace}'`);
  }
  const rules = parseRules(env.UTKLAR_RULES ?? 'orebro');
  return {
    kafkaBrokers: (env.KAFKA_BROKERS ?? `127.0.0.1:${kafkaPort}`).split(',').map((s) => s.trim()).filter(Boolean),
    registryUrl: env.SCHEMA_REGISTRY_URL ?? `http://127.0.0.1:${registryPort}/apis/ccompat/v7`,
    redisUrl: env.REDIS_URL ?? `redis://127.0.0.1:${redisPort}`,
    redisCluster: env.REDIS_CLUSTER ? env.REDIS_CLUSTER.split(',').map((s) => s.trim()).filter(Boolean).map((node) => {
      const m = /^([^:]+):(\d+)$/.exec(node);
      if (!m) throw new UtklarError('CONFIG', `REDIS_CLUSTER: expected host:port[,host:port…], got '${node}'`);
      return { host: m[1]!, port: Number(m[2]) };
    }) : null,
    clickhouseUrl: env.CLICKHOUSE_URL || undefined,
    clickhouseUser: env.CLICKHOUSE_USER ?? 'default',
    clickhousePassword: env.CLICKHOUSE_PASSWORD ?? '',
    clickhouseDatabase: env.CLICKHOUSE_DATABASE ?? 'utklar',
    chdbPath: env.CHDB_PATH ?? path.join(repoRoot, 'infra/.data/chdb'),
    chdbConnections: parseChdbConnections(env.UTKLAR_CHDB_CONNECTIONS),
    namespace,
    eventsNamespace: parseEventsNamespace(env.UTKLAR_EVENTS_NAMESPACE, namespace),
    httpHost: env.UTKLAR_HTTP_HOST ?? '127.0.0.1',
    httpPort: Number(env.UTKLAR_HTTP_PORT ?? '18080'),
    pseudonymKey: env.UTKLAR_PSEUDONYM_KEY || undefined,
    episodeIssuer: parseEpisodeIssuer(env.UTKLAR_EPISODE_ISSUER),
    rules,
    agreements: loadAgreementSet(env.UTKLAR_AGREEMENTS, rules),
    invoiceFreeze: parseInvoiceFreeze(env.UTKLAR_INVOICE_FREEZE_WORKDAY, env.UTKLAR_INVOICE_FREEZE_FROM),
    consumers: parseConsumers(env.UTKLAR_CONSUMERS ?? CONSUMERS.join(',')).filter((c): c is Consumer => c !== 'timers'),
    timersOnly: parseConsumers(env.UTKLAR_CONSUMERS ?? '').includes('timers'),
    groupPrefix: env.UTKLAR_GROUP_PREFIX || namespace,
    eventPartitions: parsePartitions(env.UTKLAR_EVENT_PARTITIONS),
    evictEveryMs: Number(env.UTKLAR_EVICT_EVERY_MS ?? '30000'),
    timersEveryMs: Number(env.UTKLAR_TIMERS_EVERY_MS ?? '1000'),
    maxEventsPerSecond: parseEventsPerSecond(env.UTKLAR_MAX_EVENTS_PER_S, 'UTKLAR_MAX_EVENTS_PER_S'),
    snapshotEveryMs: Number(env.UTKLAR_SNAPSHOT_EVERY_MS ?? '5000'),
    snapshotMaxDelta: Number(env.UTKLAR_SNAPSHOT_MAX_DELTA ?? '2000'),
    snapshotWarmPages: parseFlag(env.UTKLAR_SNAPSHOT_WARM_PAGES ?? '1', 'UTKLAR_SNAPSHOT_WARM_PAGES'),
    apiSecret: parseSecret(env.UTKLAR_API_SECRET),
    cookieSecure: parseFlag(env.UTKLAR_COOKIE_SECURE, 'UTKLAR_COOKIE_SECURE'),
    smallCellMin: parseSmallCellMin(env.UTKLAR_SMALL_CELL_MIN),
    analyticsRegions: parseAnalyticsRegions(env.UTKLAR_ANALYTICS_REGIONS),
    clickhouseUsersDir: env.UTKLAR_CLICKHOUSE_USERS_DIR || undefined,
    populationDir: env.UTKLAR_POPULATION_DIR || undefined,
    capacityDir: env.UTKLAR_CAPACITY_DIR || undefined,
    alertRules: env.UTKLAR_ALERT_RULES || undefined,
    alertWebhook: env.UTKLAR_ALERT_WEBHOOK || undefined,
    alertsEveryMs: Number(env.UTKLAR_ALERTS_EVERY_MS ?? '5000'),
    hl7Mapping: env.UTKLAR_HL7_MAPPING || undefined,
  };
}

function parseConsumers(v: string): (Consumer | 'timers')[] {
  const names = v.split(',').map((s) => s.trim()).filter(Boolean);
  const known = [...CONSUMERS, 'timers'];
  const retired = names.filter((n) => Object.hasOwn(RETIRED, n));
  if (retired.length > 0) throw new UtklarError('CONFIG', `UTKLAR_CONSUMERS: ${retired.map((n) => `${n} is ${RETIRED[n]}`).join('; ')}`);
  const bad = names.filter((n) => !known.includes(n));
  if (bad.length > 0) throw new UtklarError('CONFIG', `UTKLAR_CONSUMERS: unknown ${bad.join(', ')} (known: ${known.join(', ')})`);
  return names as (Consumer | 'timers')[];
}

function parsePartitions(v: string | undefined): number {
  if (v === undefined || v === '') return 12;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new UtklarError('CONFIG', `UTKLAR_EVENT_PARTITIONS must be a whole number from 1 to 256, got '${v}'`);
  return n;
}

/**
 * Connections to embedded chDB by default: three, as each statement under way holds one of
 * libuv's four worker threads, and the fourth stays free for the files, DNS and compression the
 * rest of the process does there.
 */
export const DEFAULT_CHDB_CONNECTIONS = 3;

function parseChdbConnections(v: string | undefined): number {
  if (v === undefined || v === '') return DEFAULT_CHDB_CONNECTIONS;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 16) throw new UtklarError('CONFIG', `UTKLAR_CHDB_CONNECTIONS must be a whole number from 1 to 16, got '${v}'`);
  return n;
}

/** Events per second as an operator writes it (`--max-rate`, UTKLAR_MAX_EVENTS_PER_S): a whole number, 0 or empty for no ceiling. */
export function parseEventsPerSecond(v: string | undefined, name: string): number {
  if (v === undefined || v === '') return 0;
  if (!/^\d+$/.test(v) || Number(v) > 10_000_000) throw new UtklarError('CONFIG', `${name}: expected events per second as a whole number (0: no ceiling), got '${v}'`);
  return Number(v);
}

function parseSecret(v: string | undefined): string | undefined {
  if (!v) return undefined;
  if (v.length < 32) throw new UtklarError('CONFIG', 'UTKLAR_API_SECRET must be at least 32 characters');
  return v;
}

function parseInvoiceFreeze(day: string | undefined, from: string | undefined): Config['invoiceFreeze'] {
  if (day === 'off') return null;
  const workingDay = day === undefined || day === '' ? 5 : Number(day);
  if (!Number.isInteger(workingDay) || workingDay < 1 || workingDay > 15) {
    throw new UtklarError('CONFIG', `UTKLAR_INVOICE_FREEZE_WORKDAY must be a working day of the month 1–15 or 'off', got '${day}'`);
  }
  if (from !== undefined && from !== '' && !/^\d{4}-(0[1-9]|1[0-2])$/.test(from)) {
    throw new UtklarError('CONFIG', `UTKLAR_INVOICE_FREEZE_FROM must be a month YYYY-MM, got '${from}'`);
  }
  return { workingDay, from: from || null };
}

function parseEpisodeIssuer(v: string | undefined): string {
  const s = (v ?? '').trim();
  if (s !== '' && !countyCodes.has(s)) throw new UtklarError('CONFIG', `UTKLAR_EPISODE_ISSUER must be the länskod of the region whose systems number the episodes (e.g. 18), or empty, got '${v}'`);
  return s;
}

/** UTKLAR_ANALYTICS_REGIONS: länskoder, comma-separated, or `*` for all 21; empty: none. */
function parseAnalyticsRegions(v: string | undefined): string[] {
  const s = (v ?? '').trim();
  if (s === '') return [];
  if (s === '*') return [...countyCodes].sort();
  const list = [...new Set(s.split(',').map((x) => x.trim()).filter(Boolean))].sort();
  const bad = list.filter((r) => !countyCodes.has(r));
  if (bad.length > 0) throw new UtklarError('CONFIG', `UTKLAR_ANALYTICS_REGIONS: ${bad.join(', ')}: expected länskoder such as 03,18 (or *)`);
  return list;
}

function parseSmallCellMin(v: string | undefined): number {
  if (v === undefined || v === '') return 5;
  if (!/^\d+$/.test(v) || Number(v) > 100) throw new UtklarError('CONFIG', `UTKLAR_SMALL_CELL_MIN: expected a whole number 0–100 (0 or 1: no suppression), got '${v}'`);
  return Number(v);
}

function parseFlag(v: string | undefined, name: string): boolean {
  if (v === undefined || v === '' || v === '0' || v === 'false') return false;
  if (v === '1' || v === 'true') return true;
  throw new UtklarError('CONFIG', `${name} must be 1/true or 0/false, got '${v}'`);
}

function parseEventsNamespace(v: string | undefined, namespace: string): string {
  if (v === undefined || v === '') return namespace;
  if (!/^[a-z0-9][a-z0-9-]*$/.test(v)) throw new UtklarError('CONFIG', `UTKLAR_EVENTS_NAMESPACE must be lower-case letters, digits and '-', got '${v}'`);
  return v;
}

function parseRules(v: string): Config['rules'] {
  if (v === 'orebro' || v === 'law') return v;
  throw new UtklarError('CONFIG', `UTKLAR_RULES must be 'orebro' or 'law', got '${v}'`);
}

export const topics = (ns: string) => ({
  patientEvents: `${ns}.patient-events.v1`,
  deadLetter: `${ns}.patient-events.dlq`,
  /** The clock service's changelog (compacted, key = episodeId). */
  episodeState: `${ns}.episode-state.v1`,
  /** Facts time made true: ready day accrued, threshold crossed, payment responsibility started. */
  clockEvents: `${ns}.clock-events.v1`,
  /** How far each partition's clock outbox is published (compacted, key = `<group>:p<N>`). */
  clockOutboxProgress: `${ns}.clock-outbox-progress`,
  /** Alert announcements (firing / resolved) for subscribers, key = fingerprint. */
  alerts: `${ns}.alerts.v1`,
});

export const subjectFor = (topic: string) => `${topic}-value`;
