import type { IncomingMessage } from 'node:http';
import { UtklarError } from '../core/errors.ts';
import { logger } from '../core/log.ts';
import { sourceOf } from '../api/auth.ts';
import { errorResponse, type ApiResponse } from '../api/routes.ts';
import type { SourceIngest, SourceItem } from './ingest.ts';
import type { SourceMetrics } from './metrics.ts';

const log = logger('events-endpoint');

/** A Lifecare-style system sends a day's notices at most; more belongs in `utklar produce`. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;
export const MAX_EVENTS = 10_000;

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new UtklarError('INVALID_REQUEST', `body larger than ${MAX_BODY_BYTES} bytes: send fewer events per request`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The body as items: a JSON array (its elements) or NDJSON (its lines), told apart by the first
 * character, so a client need not get the content type right. A body that starts as an array but
 * is no JSON is one bad item (dead-lettered), not a reason to guess at lines.
 */
export function itemsOf(body: string): SourceItem[] {
  if (body.trimStart().startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return [{ ref: 1, raw: body, rawFormat: 'json', error: new UtklarError('INVALID_JSON', 'body: starts with [ but is not a valid JSON array') }];
    }
    return (parsed as unknown[]).map((value, i) => ({ ref: i + 1, value, raw: JSON.stringify(value), rawFormat: 'json' as const }));
  }
  const items: SourceItem[] = [];
  body.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      items.push({ ref: i + 1, value: JSON.parse(line), raw: line, rawFormat: 'json' });
    } catch {
      // Only the position: V8's message quotes the text around the error (a personnummer, maybe).
      items.push({ ref: i + 1, raw: line, rawFormat: 'json', error: new UtklarError('INVALID_JSON', `line ${i + 1}: not valid JSON`) });
    }
  });
  return items;
}

/**
 * POST /api/v1/events: a source system's events (a source:<system> token, events of that source
 * only) through the same path as `utklar produce`. 200 once Kafka has every accepted event and
 * every rejected one's dead letter, with each line's outcome; 503 if Kafka could not be reached
 * (nothing was acknowledged: send again, accepted events are deduplicated by eventId).
 */
export async function postEvents(req: IncomingMessage, secret: string | undefined, ingest: (channel?: 'http') => Promise<SourceIngest>, metrics?: SourceMetrics): Promise<ApiResponse> {
  try {
    if (!secret) throw new UtklarError('DEPENDENCY_UNAVAILABLE', 'the API is disabled: set UTKLAR_API_SECRET');
    const source = sourceOf(req.headers.authorization, secret);
    const items = itemsOf(await readBody(req));
    if (items.length === 0) throw new UtklarError('INVALID_REQUEST', 'body: no events (send NDJSON lines or a JSON array)');
    if (items.length > MAX_EVENTS) throw new UtklarError('INVALID_REQUEST', `body: ${items.length} events, at most ${MAX_EVENTS} per request`);
    const outcomes = await (await ingest()).ingest(items, { onlySource: source });
    const accepted = outcomes.filter((o) => o.ok).length;
    metrics?.answered.inc({ channel: 'http', code: 'accepted' }, accepted);
    metrics?.answered.inc({ channel: 'http', code: 'rejected' }, items.length - accepted);
    log.info({ source, received: items.length, accepted, rejected: items.length - accepted }, 'events received');
    const results = outcomes.map((o) => (o.ok ? { line: o.ref, status: 'accepted', eventId: o.eventId } : { line: o.ref, status: 'rejected', code: o.error.code, message: o.error.message }));
    return {
      status: 200,
      contentType: 'application/json; charset=utf-8',
      body: JSON.stringify({ received: items.length, accepted, rejected: items.length - accepted, results }),
    };
  } catch (e) {
    if (!(e instanceof UtklarError) || e.code === 'DEPENDENCY_UNAVAILABLE') log.warn({ err: e }, 'events not taken');
    return errorResponse(e);
  }
}
