import { readFileSync } from 'node:fs';
import { ClientRequest, createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { repoRoot } from '../../services/core/config.ts';
import { UtklarError } from '../../services/core/errors.ts';
import { EventCodec, REGISTRY_TIMEOUT_MS } from '../../services/kafka/codec.ts';

/** A registry on a loopback port answering as `handler` does; closed after each test. */
const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});
async function registryAt(handler: RequestListener): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * A registry that takes a request and never answers (Apicurio did, once, on CI: a CLI's
 * registration made as a pipeline registered the same subject) must not hold a process forever:
 * each request times out, register() asks again, and gives up with a retriable error.
 */
describe('a schema registry that never answers', () => {
  it('times each request out, asks five times, then fails with a retriable DEPENDENCY_UNAVAILABLE', async () => {
    let requests = 0;
    const codec = new EventCodec(await registryAt(() => { requests++; }), { timeoutMs: 200 });
    const t = Date.now();
    const error = await codec.register('t-timeout.patient-events.v1').then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(UtklarError);
    expect((error as UtklarError).code).toBe('DEPENDENCY_UNAVAILABLE');
    expect((error as UtklarError).retriable).toBe(true);
    expect((error as Error).message).toMatch(/Timeout \(200ms\)/);
    expect(requests).toBe(5);
    expect(Date.now() - t).toBeGreaterThanOrEqual(5 * 200);
  });

  // The timeout itself is proven above (a request that is never answered fails after it); here
  // that a codec built without one gives every real request REGISTRY_TIMEOUT_MS, seen where the
  // HTTP gateway arms it, rather than waiting the 15 s out on every date of the date runs.
  it('arms REGISTRY_TIMEOUT_MS on every request by default', async () => {
    const armed = vi.spyOn(ClientRequest.prototype, 'setTimeout');
    try {
      let asked!: (r: ServerResponse) => void;
      const arrived = new Promise<ServerResponse>((resolve) => (asked = resolve));
      let first = true;
      // The first request is held; once its socket is cut, the client's retries are told 404 at once.
      const codec = new EventCodec(await registryAt((_, res) => (first ? ((first = false), asked(res)) : res.writeHead(404, { 'content-type': 'application/json' }).end('{"error_code":40401,"message":"no such subject"}'))));
      const answer = codec.registry.getLatestSchemaId('t-timeout.patient-events.v1-value').then(() => null, (e: unknown) => e);
      const res = await arrived;
      expect(armed.mock.calls.map((c) => c[0])).toEqual([REGISTRY_TIMEOUT_MS]);
      res.socket!.destroy();
      expect(await answer).toBeInstanceOf(Error);
    } finally {
      armed.mockRestore();
    }
  });
});

/**
 * A subject registered by another whose BACKWARD rule never followed (on CI a pipeline found
 * NONE for 2 s and gave up): register() sets the rule itself and registers.
 */
describe('a subject left without its rule', () => {
  it('is given BACKWARD after the registrant had its moment, then registered', async () => {
    const seen: string[] = [];
    let rule: string | null = null;
    const url = await registryAt((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        seen.push(`${req.method} ${req.url}${req.method === 'PUT' ? ` ${body}` : ''}`);
        res.setHeader('content-type', 'application/vnd.schemaregistry.v1+json');
        if (req.method === 'GET' && req.url!.startsWith('/config/')) return res.end(JSON.stringify({ compatibilityLevel: rule ?? 'NONE' }));
        if (req.method === 'PUT' && req.url!.startsWith('/config/')) { rule = JSON.parse(body).compatibility; return res.end(body); }
        if (req.method === 'POST') return res.end(JSON.stringify({ id: 7 }));
        if (req.method === 'GET' && req.url === '/schemas/ids/7') return res.end(JSON.stringify({ schema: readFileSync(path.join(repoRoot, 'schemas/patient-event.avsc'), 'utf8') }));
        res.statusCode = 404;
        res.end('{}');
      });
    });
    const codec = new EventCodec(url, { timeoutMs: 2_000 });
    expect(await codec.register('t-rule.patient-events.v1')).toBe(7);
    const subject = encodeURIComponent('t-rule.patient-events.v1-value');
    // Twice NONE (the other registrant's moment), then the rule set, then the registration.
    expect(seen.filter((s) => s.startsWith('GET /config/'))).toHaveLength(3);
    expect(seen).toContain(`PUT /config/${subject} {"compatibility":"BACKWARD"}`);
    expect(seen.indexOf(`PUT /config/${subject} {"compatibility":"BACKWARD"}`)).toBeLessThan(seen.findIndex((s) => s.startsWith('POST')));
    expect(rule).toBe('BACKWARD');
  });
});
