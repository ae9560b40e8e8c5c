import type { IncomingMessage } from 'node:http';
import { UtklarError } from '../../core/errors.ts';
import { logger } from '../../core/log.ts';
import { sourceOf } from '../../api/auth.ts';
import type { ApiResponse } from '../../api/routes.ts';
import { readBody } from '../events-endpoint.ts';
import type { SourceIngest } from '../ingest.ts';
import type { SourceMetrics } from '../metrics.ts';
import type { Config } from '../../core/config.ts';
import { reservnummerOids } from './region-identifiers.ts';
import { acceptedAs, mapEncounter, operationOutcome, redactEncounter } from './encounter.ts';

const log = logger('fhir-endpoint');

const STATUS: Partial<Record<string, number>> = { INVALID_JSON: 400, INVALID_REQUEST: 400, UNAUTHORIZED: 401, FORBIDDEN: 403, UNMAPPABLE_MESSAGE: 422, INVALID_EVENT: 422, DEPENDENCY_UNAVAILABLE: 503, CONFIG: 500 };

/**
 * POST /api/v1/fhir/Encounter: one FHIR R4 Encounter from a source:<system> token, through the
 * same path as every other source. Answers in FHIR: an OperationOutcome, `information` with the
 * event ids once Kafka has the events (its admission or discharge and its moves, all or none; 200); `error` otherwise — 422 for an Encounter that cannot
 * be mapped or validated (dead-lettered), 400 for no Encounter at all, 401/403, 503 when Kafka is
 * unavailable (nothing stored: send again).
 */
export async function postEncounter(req: IncomingMessage, secret: string | undefined, ingest: (channel: 'fhir') => Promise<SourceIngest>, metrics?: SourceMetrics, config: Pick<Config, 'hl7Mapping'> = { hl7Mapping: undefined }): Promise<ApiResponse> {
  const answer = (status: number, body: unknown): ApiResponse => ({ status, contentType: 'application/fhir+json; charset=utf-8', body: JSON.stringify(body) });
  const fail = (error: UtklarError, expression?: string[]) => answer(STATUS[error.code] ?? 500, operationOutcome('error', STATUS[error.code] ? error.message : 'internal error', { code: error.code, ...(expression ? { expression } : {}) }));
  try {
    if (!secret) throw new UtklarError('DEPENDENCY_UNAVAILABLE', 'the API is disabled: set UTKLAR_API_SECRET');
    const source = sourceOf(req.headers.authorization, secret);
    const text = await readBody(req);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new UtklarError('INVALID_JSON', 'body: not valid JSON');
    }
    if ((body as { resourceType?: unknown } | null)?.resourceType !== 'Encounter') throw new UtklarError('INVALID_REQUEST', 'body: expected a FHIR R4 Encounter (resourceType "Encounter")');
    const mapped = mapEncounter(body, source, { reservnummerOids: reservnummerOids(config) });
    const channel = await ingest('fhir');
    const raw = redactEncounter(body, channel.episodeKeyText);
    const [outcome] = await channel.ingest([
      mapped.ok ? { ref: 1, values: mapped.events, raw, rawFormat: 'json' } : { ref: 1, error: mapped.error, raw, rawFormat: 'json' },
    ]);
    metrics?.answered.inc({ channel: 'fhir', code: outcome!.ok ? 'accepted' : 'rejected' });
    if (!outcome!.ok) {
      log.info({ source, code: outcome!.error.code, reason: outcome!.error.message }, 'Encounter rejected');
      return fail(new UtklarError(outcome!.error.code, outcome!.error.message.replace(/^line 1: /, '')), mapped.ok ? undefined : mapped.expression);
    }
    log.info({ source, eventId: outcome!.eventId }, 'Encounter accepted');
    return answer(200, operationOutcome('information', acceptedAs(outcome!.eventIds)));
  } catch (e) {
    const error = e instanceof UtklarError ? e : new UtklarError('INTERNAL', (e as Error).message);
    if (error.code === 'DEPENDENCY_UNAVAILABLE' || error.code === 'INTERNAL' || error.code === 'CONFIG') log.warn({ err: e }, 'Encounter not taken');
    return fail(error);
  }
}
