import { CARE_TYPES, TRACK_COLOURS } from '../contract/event.ts';
import { AGE_GROUPS } from '../facts/episode-fact.ts';
import { ROUTES } from './routes.ts';
import { INVOICE_ROUTES } from './invoice-routes.ts';

const FILTERS = [
  ['from', 'Period start, YYYY-MM or YYYY-MM-DD (default: 1 January this year)'],
  ['to', 'Period end, inclusive (default: today)'],
  ['kommun', 'Home municipality codes (SCB kommunkod), comma-separated'],
  ['lan', "Home county codes (länskod), comma-separated; 'utom' = treated outside the home county"],
  ['careType', `Typ av vård: ${CARE_TYPES.join(', ')}`],
  ['hospital', 'Sjukhus'], ['clinic', 'Klinik'], ['ward', 'Vårdenhet'], ['businessArea', 'Område (verksamhetsområde)'],
  ['primaryCareUnit', 'Vårdcentral / öppenvårdsmottagning'],
  ['ageGroup', `Åldersgrupp: ${AGE_GROUPS.join(', ')}, unknown`],
  ['trackColour', `Spårfärg: ${TRACK_COLOURS.join(', ')}`],
  ['status', 'discharged or inpatient'],
  ['dischargedWithinDays', 'Only episodes discharged at most this many days ago'],
  ['format', 'json (default) or csv'],
] as const;

/** The OpenAPI 3.0 document of the query API, generated from the routes so it cannot drift. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const [route, r] of Object.entries(ROUTES)) {
    const params: { name: string; in: string; required: boolean; description: string; schema: Record<string, unknown> }[] =
      FILTERS.map(([name, description]) => ({ name, in: 'query', required: false, description, schema: { type: 'string' } }));
    if (r.groupBy.length > 0) params.push({ name: 'groupBy', in: 'query', required: false, description: `Grouping (default ${r.groupBy[0]})`, schema: { type: 'string', enum: r.groupBy } });
    if (route === 'payment') params.push({ name: 'month', in: 'query', required: false, description: 'YYYY-MM (default: last month)', schema: { type: 'string' } });
    if (route === 'forecast') params.push({ name: 'days', in: 'query', required: false, description: 'Days ahead from tomorrow, 1–14 (default 7); from, to, trackColour, status=discharged and dischargedWithinDays do not apply (a 400 for the last three)', schema: { type: 'string' } });
    if (route === 'rows') params.push({ name: 'limit', in: 'query', required: false, description: '≤ 10 000 (default 1 000)', schema: { type: 'string' } }, { name: 'offset', in: 'query', required: false, description: 'rows to skip', schema: { type: 'string' } });
    for (const [name, description] of r.params ?? []) params.push({ name, in: 'query', required: false, description, schema: { type: 'string' } });
    paths[`/api/v1/${route}`] = {
      get: {
        summary: r.summary,
        security: [{ bearer: [] }],
        parameters: params,
        responses: {
          200: { description: 'rows and notes (JSON), or CSV', content: { 'application/json': { schema: { $ref: '#/components/schemas/Result' } }, 'text/csv': { schema: { type: 'string' } } } },
          400: { description: 'invalid parameter (the message names it)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
          401: { description: 'missing, invalid or expired token' },
          403: { description: 'outside the token scope' },
          503: { description: 'ClickHouse unavailable or the API disabled' },
        },
      },
    };
  }
  // Invoices take no listbox filters: one region's month, whole (services/api/invoice-routes.ts).
  for (const [route, r] of Object.entries(INVOICE_ROUTES)) {
    paths[`/api/v1/${route}`] = {
      get: {
        summary: r.summary,
        security: [{ bearer: [] }],
        parameters: r.params.map(([name, description]) => ({ name, in: 'query', required: false, description, schema: { type: 'string' } })),
        responses: {
          200: { description: route === 'invoices' ? 'status (frozen or preliminary), frozen (who, when, agreements, content hash), rows per municipality and care type, specification per episode, notes (JSON); or CSV' : 'frozen, episodes (added, removed, changed), rows per municipality and care type, notes (JSON); or CSV', content: { 'application/json': { schema: { type: 'object' } }, 'text/csv': { schema: { type: 'string' } } } },
          400: { description: 'invalid parameter, or a listbox filter (the message names it)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
          401: { description: 'missing, invalid or expired token' },
          403: { description: 'not a region:NN or municipality:NNNN token, or another region' },
          503: { description: 'ClickHouse unavailable or the API disabled' },
        },
      },
    };
  }
  paths['/api/v1/events'] = {
    post: {
      summary: 'A source system\'s events (docs/ndjson-contract.md) as NDJSON lines or a JSON array; a source:<system> token, events of that source only; answered once Kafka has them',
      security: [{ bearer: [] }],
      requestBody: { required: true, content: { 'application/x-ndjson': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'array', items: { type: 'object' } } } } },
      responses: {
        200: { description: 'each line accepted (in Kafka) or rejected (dead-lettered) with the reason', content: { 'application/json': { schema: { $ref: '#/components/schemas/EventsResult' } } } },
        400: { description: 'no events, too many (> 10 000) or a body over 8 MiB', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        401: { description: 'missing, invalid or expired token' },
        403: { description: 'not a source:<system> token' },
        503: { description: 'Kafka or the schema registry unavailable, or the API disabled: nothing was stored, send again' },
      },
    },
  };
  paths['/api/v1/fhir/Encounter'] = {
    post: {
      summary: 'A FHIR R4 Encounter (in-progress → admission, finished → discharge, entered-in-error/cancelled → admission-cancelled) from a source:<system> token; docs/hl7-sources.md',
      security: [{ bearer: [] }],
      requestBody: { required: true, content: { 'application/fhir+json': { schema: { type: 'object' } } } },
      responses: {
        200: { description: 'OperationOutcome (information) naming the event id, once Kafka has it' },
        400: { description: 'OperationOutcome: not JSON or not an Encounter' },
        401: { description: 'OperationOutcome: missing, invalid or expired token' },
        403: { description: 'OperationOutcome: not a source:<system> token' },
        422: { description: 'OperationOutcome naming the element: the Encounter cannot be mapped or fails the contract (dead-lettered)' },
        503: { description: 'OperationOutcome: Kafka or the schema registry unavailable: nothing stored, send again' },
      },
    },
  };
  paths['/api/v1/fhir'] = {
    post: {
      summary: 'A FHIR R4 transaction Bundle of Encounters (location history → transfers) and the Patients they refer to, from a source:<system> token; all entries or none; docs/hl7-sources.md',
      security: [{ bearer: [] }],
      requestBody: { required: true, content: { 'application/fhir+json': { schema: { type: 'object' } } } },
      responses: {
        200: { description: 'a transaction-response Bundle, an entry per request entry, once Kafka has every event' },
        400: { description: 'OperationOutcome: not JSON, not a transaction Bundle (a batch is refused), or an entry that is not an Encounter or Patient by PUT or POST' },
        401: { description: 'OperationOutcome: missing, invalid or expired token' },
        403: { description: 'OperationOutcome: not a source:<system> token' },
        422: { description: 'OperationOutcome naming each refused entry (Bundle.entry[i]) and element: nothing sent, the refused entries dead-lettered' },
        503: { description: 'OperationOutcome: Kafka or the schema registry unavailable: nothing stored, send again' },
      },
    },
  };
  paths['/api/v1/access-log'] = {
    get: {
      summary: 'Who was shown patient-level data of the region (board, its stream, /board, rows as JSON or CSV): when, token subject and scope, endpoint, filters, episodes returned; newest first. An audit:<region> token only',
      security: [{ bearer: [] }],
      parameters: [
        ['from', 'Start: YYYY-MM-DD (Stockholm day) or an ISO 8601 instant with its zone (default: 24 hours ago)'],
        ['to', 'End, inclusive: YYYY-MM-DD or an instant (default: now)'],
        ['subject', 'Only this token subject'],
        ['limit', '≤ 10 000 (default 1 000)'], ['offset', 'entries to skip'], ['format', 'json (default) or csv'],
      ].map(([name, description]) => ({ name, in: 'query', required: false, description, schema: { type: 'string' } })),
      responses: {
        200: { description: 'the entries (JSON), or CSV', content: { 'application/json': { schema: { $ref: '#/components/schemas/Result' } }, 'text/csv': { schema: { type: 'string' } } } },
        400: { description: 'invalid parameter (the message names it)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        401: { description: 'missing, invalid or expired token' },
        403: { description: 'not an audit:<region> token' },
        503: { description: 'ClickHouse unavailable or the API disabled' },
      },
    },
  };
  paths['/api/v1/changes'] = {
    get: {
      summary: 'Rebuilds under changed rules (bin/utklar rebuild, docs/rebuild.md): without `rebuild`, the rebuilds (status replaying, diffing, ready, promoted, discarded, failed, retired or rolled-back; rolledBackAt/rolledBackBy for one taken back with `bin/utklar rebuild --rollback`) and which one the API reads (who promoted it when, the agreement versions); with `rebuild=<id>`, its diff: a summary line per indicator, every changed value (old, new, difference) per region, municipality, month and care type, and the frozen invoice bases it would change. A region its own values and invoices, a municipality its own municipality (small cells withheld) and the invoice lines it is liable for, the nation every value and no invoices; a unit 403',
      security: [{ bearer: [] }],
      parameters: [
        ['rebuild', 'the rebuild id (bin/utklar rebuild --list)'], ['indicator', 'only this indicator (e.g. payment)'], ['kommun', 'only this kommunkod'], ['format', 'json (default) or csv (the changed values; small cells <5)'],
      ].map(([name, description]) => ({ name, in: 'query', required: false, description, schema: { type: 'string' } })),
      responses: {
        200: { description: 'the rebuilds, or the diff (JSON), or its changed values (CSV)', content: { 'application/json': { schema: { type: 'object' } }, 'text/csv': { schema: { type: 'string' } } } },
        400: { description: 'invalid parameter (the message names it)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        401: { description: 'missing, invalid or expired token' },
        403: { description: 'a unit or audit token, or a municipality naming another kommun' },
        404: { description: 'no diff for that rebuild (not finished, discarded, or no such rebuild)' },
      },
    },
  };
  return {
    openapi: '3.0.3',
    info: { title: 'utklar query API', version: '1', description: 'Live indicators on utskrivningsklara patients (Väntetider.se and Region Örebro reports). Scopes: region:NN (every episode treated in the region), municipality:NNNN (its own residents only), unit:HOSPITAL/WARD; source:<system> may only POST /api/v1/events, /api/v1/fhir/Encounter and /api/v1/fhir; audit:NN may only GET /api/v1/access-log.' },
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (HS256) with a scope claim; mint with bin/utklar token' } },
      schemas: {
        Result: { type: 'object', properties: { endpoint: { type: 'string' }, scope: { type: 'string' }, period: { type: 'object' }, asOf: { type: 'string' }, groupBy: { type: 'string' }, rows: { type: 'array', items: { type: 'object' } }, notes: { type: 'array', items: { type: 'string' } }, populations: { type: 'array', description: 'per-1000 only: the population each family divides by (denominator total or 65+, wantedYear, year used, latestAvailable, label for the chart)', items: { type: 'object' } } } },
        Error: { type: 'object', properties: { error: { type: 'string' }, message: { type: 'string' } } },
        EventsResult: {
          type: 'object',
          properties: {
            received: { type: 'integer' }, accepted: { type: 'integer' }, rejected: { type: 'integer' },
            results: { type: 'array', items: { type: 'object', properties: { line: { type: 'integer' }, status: { type: 'string', enum: ['accepted', 'rejected'] }, eventId: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } } } },
          },
        },
      },
    },
  };
}
