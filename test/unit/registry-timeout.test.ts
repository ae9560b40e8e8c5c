import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { UtklarError } from '../../services/core/errors.ts';
import { EventCodec, REGISTRY_TIMEOUT_MS } from '../../services/kafka/codec.ts';

/**
 * A registry that takes a request and never answers (Apicurio did, once, on CI: a CLI's
 * registration made as a pipeline registered the same subject) must not hold a process forever:
 * each request times out, register() asks again, and gives up with a retriable error.
 */
describe('a schema registry that never answers', () => {
  let server: Server | undefined;
  afterEach(() => {
    server?.closeAllConnections();
    server?.close();
  });

  it('times each request out, asks five times, then fails with a retriable DEPENDENCY_UNAVAILABLE', async () => {
    let requests = 0;
    server = createServer(() => { requests++; });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const codec = new EventCodec(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { timeoutMs: 200 });
    const t = Date.now();
    const error = await codec.register('t-timeout.patient-events.v1').then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(UtklarError);
    expect((error as UtklarError).code).toBe('DEPENDENCY_UNAVAILABLE');
    expect((error as UtklarError).retriable).toBe(true);
    expect((error as Error).message).toMatch(/Timeout \(200ms\)/);
    expect(requests).toBe(5);
    expect(Date.now() - t).toBeGreaterThanOrEqual(5 * 200);
  });

  it('is bounded by default', () => {
    expect(REGISTRY_TIMEOUT_MS).toBeGreaterThan(0);
    expect(REGISTRY_TIMEOUT_MS).toBeLessThanOrEqual(30_000);
  });
});
