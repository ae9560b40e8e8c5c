import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClickHouseClient } from '@clickhouse/client';
import { mintToken } from '../../services/api/auth.ts';
import { answer, type ApiDeps } from '../../services/api/routes.ts';
import type { Scope } from '../../services/model/scope.ts';

export interface LoadResult { requests: number; concurrency: number; seconds: number; perSecond: number; p50: number; p99: number; failed: number }

/**
 * Mixed indicator requests over HTTP on loopback, `concurrency` at a time: the API's own answer()
 * (token check, routing, JSON) behind a plain node server, as the pipeline serves /api/v1/*.
 * Each request a random region (or the nation) and endpoint; bounded in count.
 */
export async function apiLoad(client: ClickHouseClient, db: string, deps: Omit<ApiDeps, 'client' | 'db' | 'secret'>, o: { requests: number; concurrency: number; paths: string[]; scopes: Scope[]; seed: number }): Promise<LoadResult> {
  const secret = 'bench-api-secret-0123456789-0123456789';
  const full: ApiDeps = { ...deps, client, db, secret };
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const r = await answer(full, url.pathname.slice('/api/v1/'.length), url.searchParams, req.headers.authorization);
    res.writeHead(r.status, { 'content-type': r.contentType }).end(r.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency });
  const tokens = o.scopes.map((s) => mintToken(s, secret, { subject: 'bench', ttlSeconds: 3600, now: deps.now() }));
  let seed = o.seed;
  const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const get = (path: string, token: string) => new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: `/api/v1/${path}`, agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
  const times: number[] = [];
  let next = 0;
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: o.concurrency }, async () => {
    while (next < o.requests) {
      next++;
      const path = o.paths[Math.floor(rand() * o.paths.length)]!;
      const token = tokens[Math.floor(rand() * tokens.length)]!;
      const t = performance.now();
      const status = await get(path, token).catch(() => 0);
      times.push(performance.now() - t);
      if (status !== 200) failed++;
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const sorted = times.sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
  return { requests: times.length, concurrency: o.concurrency, seconds, perSecond: times.length / seconds, p50: at(0.5), p99: at(0.99), failed };
}
