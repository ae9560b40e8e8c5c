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
import { acceptedAs, operationOutcome, outcomeIssue } from './encounter.ts';
import type { Bundle, BundleEntry, OperationOutcome } from './fhir-types.ts';
import { entryPath, planTransaction, transactionEntries } from './transaction-bundle.ts';

const log = logger('fhir-endpoint');

const STATUS: Partial<Record<string, number>> = { INVALID_JSON: 400, INVALID_REQUEST: 400, UNAUTHORIZED: 401, FORBIDDEN: 403, DEPENDENCY_UNAVAILABLE: 503, CONFIG: 500 };

/**
 * POST /api/v1/fhir (the FHIR base): a transaction Bundle of Encounters and the Patients they
 * refer to, from a source:<system> token. All or nothing, as FHIR defines a transaction: once
 * Kafka has every Encounter's events (one Kafka transaction), 200 with a `transaction-response`
 * Bundle, an entry per request entry; if any Encounter cannot be mapped or fails the contract,
 * no event is sent, the refused entries are dead-lettered and the answer is 422 with an
 * OperationOutcome naming each by its entry. 400 for a Bundle that is not a transaction or holds
 * what is not taken, 401/403, 503 when Kafka is unavailable (nothing stored: send again).
 */
export async function postTransaction(req: IncomingMessage, secret: string | undefined, ingest: (channel: 'fhir-bundle') => Promise<SourceIngest>, metrics?: SourceMetrics, config: Pick<Config, 'hl7Mapping'> = { hl7Mapping: undefined }): Promise<ApiResponse> {
  const answer = (status: number, body: Bundle | OperationOutcome): ApiResponse => ({ status, contentType: 'application/fhir+json; charset=utf-8', body: JSON.stringify(body) });
  try {
    if (!secret) throw new UtklarError('DEPENDENCY_UNAVAILABLE', 'the API is disabled: set UTKLAR_API_SECRET');
    const source = sourceOf(req.headers.authorization, secret);
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch (e) {
      throw e instanceof UtklarError ? e : new UtklarError('INVALID_JSON', 'body: not valid JSON');
    }
    // A Bundle utklar does not take is refused (400) before the ingest channel, and Kafka, is opened;
    // planning needs the channel (its episode pseudonyms for the dead letters).
    transactionEntries(body);
    const channel = await ingest('fhir-bundle');
    const plan = planTransaction(body, source, reservnummerOids(config), channel.episodeKeyText);
    const outcomes = await channel.ingest(plan.items, { allOrNothing: true });
    const refused = outcomes.filter((o) => !o.ok && !o.withheld);
    metrics?.answered.inc({ channel: 'fhir', code: refused.length === 0 ? 'accepted' : 'rejected' }, outcomes.length);
    if (refused.length > 0) {
      log.info({ source, entries: plan.entries.length, refused: refused.map((o) => ({ entry: o.ref - 1, code: o.ok ? undefined : o.error.code })) }, 'transaction refused');
      return answer(422, {
        resourceType: 'OperationOutcome',
        issue: refused.map((o) => {
          const error = (o as { error: UtklarError }).error;
          const at = entryPath(o.ref);
          // The contract's message names the event's field, a Patient's the Patient entry: the refused entry leads.
          const diagnostics = error.message.startsWith(`${at}.`) ? error.message
            : error.message.startsWith('Bundle.') ? `${at}: ${error.message}`
            : `${at}${error.message.replace(/^line \d+(?: \(([^)]*)\))?: /, (_m, which?: string) => (which ? ` (${which}): ` : ': '))}`;
          return outcomeIssue('error', diagnostics, { code: error.code, expression: plan.expressions.get(o.ref) ?? [`${at}.resource`] });
        }),
      });
    }
    const byEntry = new Map(outcomes.map((o) => [o.ref - 1, o]));
    const entry: BundleEntry[] = plan.entries.map((e) => {
      const o = byEntry.get(e.index);
      const note = e.resourceType === 'Encounter'
        ? acceptedAs(o?.ok ? o.eventIds : [])
        : e.usedBy.length > 0 ? `the patient of ${e.usedBy.map((i) => `Bundle.entry[${i}]`).join(', ')}; not stored (utklar keeps events, not resources)` : 'not referred to by an Encounter of this Bundle: nothing kept';
      return { response: { status: e.method === 'POST' ? '201 Created' : '200 OK', outcome: operationOutcome('information', note) } };
    });
    log.info({ source, entries: plan.entries.length, events: outcomes.reduce((n, o) => n + (o.ok ? o.eventIds.length : 0), 0) }, 'transaction accepted');
    return answer(200, { resourceType: 'Bundle', type: 'transaction-response', entry });
  } catch (e) {
    const error = e instanceof UtklarError ? e : new UtklarError('INTERNAL', (e as Error).message);
    if (error.code === 'DEPENDENCY_UNAVAILABLE' || error.code === 'INTERNAL' || error.code === 'CONFIG') log.warn({ err: e }, 'transaction not taken');
    const status = STATUS[error.code];
    const expression = error.details.expression as string[] | undefined;
    return answer(status ?? 500, operationOutcome('error', status ? error.message : 'internal error', { code: error.code, ...(expression ? { expression } : {}) }));
  }
}
