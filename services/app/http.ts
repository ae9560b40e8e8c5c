import { createServer, type IncomingMessage, type Server } from 'node:http';
import { logger } from '../core/log.ts';
import type { Pipeline } from './pipeline.ts';
import { boardRows } from '../clock/board.ts';
import type { OpenIndex } from '../store/clock-reads.ts';
import { answer, type ApiResponse } from '../api/routes.ts';
import { readerOf } from '../api/auth.ts';
import { scopeText, type Scope } from '../model/scope.ts';
import { visibleIndexEpisode } from '../model/readmission-visibility.ts';
import { openApiDocument } from '../api/openapi.ts';
import { buildWeb } from '../web/build.ts';
import { authorizationOf, serveWeb } from './web.ts';
import { postEvents } from '../sources/events-endpoint.ts';
import { postEncounter } from '../sources/fhir/encounter-endpoint.ts';
import { postTransaction } from '../sources/fhir/bundle-endpoint.ts';
import { lazyIngest } from '../sources/pipeline-ingest.ts';
import { createSourceMetrics, type SourceMetrics } from '../sources/metrics.ts';
import { AccessLog } from '../api/access-log.ts';
import { answerAccessLog } from '../api/access-log-endpoint.ts';
import { setSecurityHeaders } from './security-headers.ts';
import { ReadPointer, rulesWith } from '../rebuild/read-pointer.ts';
import { SideClocks, type SideView } from '../rebuild/side-clocks.ts';
import type { Config } from '../core/config.ts';
import { answerChanges } from '../rebuild/changes-route.ts';

const log = logger('http');

/** The edges source systems POST events to (services/sources/), each answered the same way. */
/**
 * What the server answers from: the process's pipeline now, and the deployment's own configuration.
 * A process switches pipelines when a rebuild is promoted or rolled back (services/rebuild/follow.ts):
 * each request takes the pipeline once, at its start.
 */
export interface Serving {
  readonly current: Pipeline;
  readonly base: Config;
}

type SourceRoute = (req: IncomingMessage, secret: string | undefined, ingest: ReturnType<typeof lazyIngest>['get'], metrics: SourceMetrics, config: Pipeline['config']) => Promise<ApiResponse>;
const SOURCE_ROUTES: Record<string, SourceRoute | undefined> = {
  '/api/v1/events': postEvents,
  '/api/v1/fhir/Encounter': postEncounter,
  '/api/v1/fhir': postTransaction,
};

/**
 * Endpoints: /health (200/503), /metrics (Prometheus), /status (JSON), /board (open episodes with
 * live clocks, unauthenticated, loopback), /api/v1/* and /api/openapi.json (the query API), and
 * the browser pages (services/app/web.ts: /, /login, /board.html, /analytics.html, SSE).
 */
export async function startHttp(serving: Serving, host: string, port: number, extraStatus: () => Record<string, unknown> = () => ({})): Promise<Server> {
  await buildWeb();
  const first = serving.current;
  // The metrics object passes from pipeline to pipeline when the process switches sides (follow.ts).
  const sourceMetrics = createSourceMetrics(first.metrics.registry);
  // Events go to the live events topic, also in a process applying a promoted rebuild's side. The
  // Kafka client is only a factory: a switched-away pipeline's stays usable for the producer made here.
  const ingest = lazyIngest(first.kafka, { ...first.config, namespace: first.config.eventsNamespace }, sourceMetrics);
  // The pipeline opens ClickHouse after the server starts: asked for at each insert, as is the
  // database (the side the process runs records in its own).
  const accessLog = new AccessLog(() => serving.current.clickhouse, () => serving.current.config.clickhouseDatabase);
  // Which database (and agreements) the API answers from: the namespace's own or a promoted rebuild's
  // (services/rebuild/), whichever side this process applies.
  const pointer = new ReadPointer(() => serving.current.redis, serving.base, rulesWith(serving.base, serving.base.agreements));
  // The clocks read beside those answers: the same side's, also in the seconds before the process
  // follows a switch (side-clocks.ts).
  const sideClocks = new SideClocks();
  const viewOf = async (p: Pipeline): Promise<SideView> => sideClocks.of(await pointer.current(), p);
  const server = createServer(async (req, res) => {
    setSecurityHeaders(res);
    const pipeline = serving.current;
    try {
      const url = new URL(req.url ?? '/', 'http://local');
      if (await serveWeb(() => serving.current, req, res, url, accessLog, viewOf)) return;
      if (req.url === '/health') {
        const h = await pipeline.health();
        res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(h));
      } else if (req.url === '/metrics') {
        res.writeHead(200, { 'content-type': pipeline.metrics.registry.contentType }).end(await pipeline.metrics.registry.metrics());
      } else if (req.url === '/api/openapi.json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(openApiDocument(), null, 2));
      } else if (SOURCE_ROUTES[url.pathname]) {
        if (req.method !== 'POST') {
          res.writeHead(405, { 'content-type': 'application/json', allow: 'POST' }).end('{"error":"METHOD_NOT_ALLOWED"}');
          return;
        }
        const r = await SOURCE_ROUTES[url.pathname]!(req, pipeline.config.apiSecret, ingest.get, sourceMetrics, pipeline.config);
        pipeline.metrics.apiRequests.inc({ status: String(r.status) });
        res.writeHead(r.status, { 'content-type': r.contentType }).end(r.body);
      } else if (req.url?.startsWith('/api/v1/')) {
        if (req.method !== 'GET') {
          res.writeHead(405, { 'content-type': 'application/json', allow: 'GET' }).end('{"error":"METHOD_NOT_ALLOWED"}');
          return;
        }
        const common = { client: pipeline.clickhouse, population: pipeline.population, secret: pipeline.config.apiSecret, now: Date.now, accessLog, smallCellMin: pipeline.config.smallCellMin, asked: pipeline.asked };
        // The access log is the process's own (where it records); everything else reads the side
        // the read pointer names, read once here: one request never mixes two sides of a promotion.
        const fromSide = async () => {
          const side = await pointer.current();
          return answer({ ...common, ...side, clocks: sideClocks.of(side, pipeline).reads }, url.pathname.slice('/api/v1/'.length), url.searchParams, authorizationOf(req));
        };
        const r = url.pathname === '/api/v1/access-log'
          ? await answerAccessLog({ ...common, db: pipeline.config.clickhouseDatabase }, url.searchParams, authorizationOf(req))
          : url.pathname === '/api/v1/changes'
            ? await answerChanges({ redis: pipeline.redis, namespace: pipeline.config.eventsNamespace, secret: pipeline.config.apiSecret, now: Date.now, smallCellMin: pipeline.config.smallCellMin }, url.searchParams, authorizationOf(req))
            : await fromSide();
        pipeline.metrics.apiRequests.inc({ status: String(r.status) });
        res.writeHead(r.status, { 'content-type': r.contentType }).end(r.body);
      } else if (req.url?.startsWith('/board')) {
        const q = new URL(req.url, 'http://local').searchParams;
        const ward = q.get('ward')?.split('/');
        const index: OpenIndex | undefined = q.get('ward') && ward?.length === 2 ? { ward: [ward[0]!, ward[1]!] }
          : q.get('municipality') ? { municipality: q.get('municipality')! }
          : q.get('region') ? { region: q.get('region')! }
          : undefined;
        // With the API secured, this board obeys the same scopes: a token may only name its own
        // region, municipality or ward.
        let scope: Scope | null = null;
        let subject = '';
        if (pipeline.config.apiSecret) {
          try {
            let s: Scope;
            ({ scope: s, subject } = readerOf(authorizationOf(req), pipeline.config.apiSecret));
            scope = s;
            const allowed = s.kind === 'nation' ? false : s.kind === 'region' ? q.get('region') === s.region && !q.get('municipality') && !q.get('ward')
              : s.kind === 'municipality' ? q.get('municipality') === s.municipality && !q.get('ward') && !q.get('region')
              : q.get('ward') === `${s.hospital}/${s.ward}`;
            if (!allowed) {
              res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'FORBIDDEN', message: `outside the scope ${scopeText(s)}` }));
              return;
            }
          } catch (e) {
            // A valid token that may not read (a source:<system> token) is forbidden, not unknown.
            const forbidden = (e as { code?: string }).code === 'FORBIDDEN';
            res.writeHead(forbidden ? 403 : 401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: forbidden ? 'FORBIDDEN' : 'UNAUTHORIZED', message: (e as Error).message }));
            return;
          }
        }
        if (!index) {
          res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"give region=NN, municipality=NNNN or ward=HOSPITAL/WARD"}');
          return;
        }
        const now = Date.now();
        const view = await viewOf(pipeline);
        const open = await view.reads.openEpisodes(index);
        const rows = boardRows(open, now, view.rules)
          .map((r) => ({ ...r, readmissionOf: visibleIndexEpisode(r.readmissionOf, scope, view.rules) }));
        // Without an API secret the board is open on loopback: no token, nobody to record.
        if (scope) accessLog.record({ at: now, subject, scope, endpoint: '/board', format: 'json', filters: q, episodes: rows.length, episodeRegions: open.map((e) => e.state.admission?.region ?? '').filter(Boolean) });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ asOf: new Date().toISOString(), count: rows.length, episodes: rows }));
      } else if (req.url === '/status/progress') {
        // No ClickHouse or Redis query: it answers at once while a backfill keeps them busy (npm start polls it).
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ consumer: await progressOf(pipeline), ...extraStatus() }, null, 2));
      } else if (req.url === '/status') {
        const body = { ...(await statusOf(pipeline)), ...extraStatus() };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body, null, 2));
      } else {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      }
    } catch (e) {
      log.error({ err: e, url: req.url }, 'request failed');
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"internal"}');
    }
  });
  server.once('close', () => {
    void ingest.close();
    void accessLog.flush().catch(() => undefined);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

async function statusOf(p: Pipeline) {
  const db = p.config.clickhouseDatabase;
  const rows = await (
    await p.clickhouse.query({ query: `SELECT event_type, toString(count()) AS n FROM ${db}.events FINAL GROUP BY event_type ORDER BY event_type`, format: 'JSONEachRow' })
  ).json<{ event_type: string; n: string }>();
  // One state per episode, the clock's (closed ones until evicted): counted by status.
  const byStatus = await p.clocks.read.countByStatus();
  return {
    clickhouse: { mode: p.clickhouseMode, database: db, eventsByType: Object.fromEntries(rows.map((r) => [r.event_type, Number(r.n)])) },
    redis: { episodesByStatus: byStatus },
    consumer: await progressOf(p),
  };
}

/**
 * Since this process started, from its own counters: events read by the clocks, the lag as last
 * measured (every 5 s) and the rows not yet in ClickHouse. A backfill is applied once `consumed`
 * reaches what the simulator produced and no row is pending.
 */
async function progressOf(p: Pipeline) {
  const sum = async (m: { get: () => Promise<{ values: { value: number }[] }> }) => (await m.get()).values.reduce((s, v) => s + v.value, 0);
  return { consumed: await sum(p.metrics.consumed), lag: await sum(p.metrics.lag), rowsPending: p.rows?.pending ?? 0 };
}
