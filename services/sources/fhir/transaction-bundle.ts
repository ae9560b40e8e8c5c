import { UtklarError } from '../../core/errors.ts';
import type { SourceItem } from '../ingest.ts';
import { mapEncounter, redactEncounter, redactPatient } from './encounter.ts';
import type { Bundle, BundleEntry, BundleEntryRequest, Encounter, Identifier, Patient, Reference } from './fhir-types.ts';

/**
 * A FHIR R4 transaction Bundle of Encounters (and the Patients they refer to) → one ingest item
 * per Encounter entry, sent all or none. What is wrong with the Bundle itself (not a transaction,
 * an entry that is neither an Encounter nor a Patient, a method other than PUT or POST) is
 * INVALID_REQUEST (400, nothing dead-lettered); what is wrong with an Encounter is its item's
 * error. Pure; docs/hl7-sources.md has the rules.
 */
export const MAX_ENTRIES = 1000;

export interface TransactionPlan {
  /** Every request entry, in order: what its transaction-response entry says on success. */
  entries: { index: number; resourceType: 'Encounter' | 'Patient'; method: 'PUT' | 'POST'; usedBy: number[] }[];
  /** One per Encounter entry; `ref` is the entry's index + 1. */
  items: SourceItem[];
  /** The FHIRPath an item's mapping problem names, by ref. */
  expressions: Map<number, string[]>;
}

const invalid = (message: string, expression: string) => new UtklarError('INVALID_REQUEST', `${expression}: ${message}`, { details: { expression: [expression] } });

/** The entry's position as the OperationOutcome names it: FHIRPath indexes from 0. */
export const entryPath = (ref: number): string => `Bundle.entry[${ref - 1}]`;

/** The Bundle's entries if it is a transaction utklar takes; refused (400) before anything is sent otherwise. */
export function transactionEntries(body: unknown): BundleEntry[] {
  if (typeof body !== 'object' || body === null || (body as { resourceType?: unknown }).resourceType !== 'Bundle') {
    throw invalid('expected a FHIR R4 Bundle of type transaction (resourceType "Bundle")', 'Bundle');
  }
  const bundle = body as Bundle;
  if (bundle.type === 'batch') throw invalid('batch is not taken: send a transaction (all entries or none), or each Encounter to /api/v1/fhir/Encounter', 'Bundle.type');
  if (bundle.type !== 'transaction') throw invalid(`'${String(bundle.type)}' is not taken: send a transaction`, 'Bundle.type');
  const entries: BundleEntry[] = Array.isArray(bundle.entry) ? bundle.entry : [];
  if (entries.length === 0) throw invalid('no entries', 'Bundle.entry');
  if (entries.length > MAX_ENTRIES) throw invalid(`${entries.length} entries, at most ${MAX_ENTRIES} per transaction`, 'Bundle.entry');
  return entries;
}

/** `episode`: how a dead letter keeps an Encounter's identifier (redactEncounter). */
export function planTransaction(body: unknown, source: string, reservnummerOids: readonly string[] = [], episode?: (sourceId: string) => string): TransactionPlan {
  const entries = transactionEntries(body);

  const plan: TransactionPlan = { entries: [], items: [], expressions: new Map() };
  /** Patient entries by every name a reference may use: fullUrl, Patient/<id>. */
  const patients = new Map<string, number>();
  entries.forEach((entry, index) => {
    const at = `Bundle.entry[${index}]`;
    const resource = entry?.resource as { resourceType?: unknown; id?: unknown } | undefined;
    const request: BundleEntryRequest | undefined = entry?.request;
    if (typeof resource !== 'object' || resource === null) throw invalid('a resource is required', `${at}.resource`);
    if (resource.resourceType !== 'Encounter' && resource.resourceType !== 'Patient') {
      throw invalid(`'${String(resource.resourceType)}' is not taken (Encounter and Patient only)`, `${at}.resource.resourceType`);
    }
    if (request?.method !== 'PUT' && request?.method !== 'POST') throw invalid(`'${String(request?.method)}': PUT or POST only (utklar takes changes, it answers no reads)`, `${at}.request.method`);
    const type = resource.resourceType;
    const url = typeof request.url === 'string' ? request.url.replace(/^\/+/, '') : '';
    if (!new RegExp(`^${type}(?:[/?]|$)`).test(url)) throw invalid(`'${url}' does not address a ${type}`, `${at}.request.url`);
    // A PUT names the resource it updates: its id is the resource's identity.
    const urlId = request.method === 'PUT' ? /^[A-Za-z]+\/([^/?#]+)$/.exec(url)?.[1] : undefined;
    if (urlId !== undefined && typeof resource.id === 'string' && resource.id !== urlId) throw invalid(`names ${type}/${urlId}, the resource's id is '${resource.id}'`, `${at}.request.url`);
    plan.entries.push({ index, resourceType: type, method: request.method, usedBy: [] });
    if (type === 'Patient') {
      for (const name of [entry.fullUrl, typeof resource.id === 'string' ? `Patient/${resource.id}` : undefined, urlId ? `Patient/${urlId}` : undefined, /(?:^|\/)(Patient\/[^/]+)$/.exec(entry.fullUrl ?? '')?.[1]]) {
        if (name) patients.set(name, index);
      }
    }
  });

  for (const { index, resourceType } of plan.entries) {
    if (resourceType !== 'Encounter') continue;
    const entry = entries[index]!;
    const ref = index + 1;
    const enc = entry.resource as Encounter;
    const subject: Reference | undefined = enc.subject;
    // Resolved even beside subject.identifier: a reservnummer admission takes the age from its birthDate.
    const patientAt = typeof subject?.reference === 'string' ? patients.get(subject.reference) : undefined;
    const patient = patientAt === undefined ? undefined : (entries[patientAt]!.resource as Patient);
    if (patientAt !== undefined) plan.entries.find((e) => e.index === patientAt)!.usedBy.push(index);
    const request = entry.request as BundleEntryRequest;
    const urlId = request.method === 'PUT' ? /^\/*Encounter\/([^/?#]+)$/.exec(request.url)?.[1] : undefined;
    const identifier = (enc.identifier as Identifier[] | undefined)?.find((i) => i.value)?.value;
    const raw = JSON.stringify({
      ...(entry.fullUrl ? { fullUrl: entry.fullUrl } : {}), request: { method: request.method },
      resource: JSON.parse(redactEncounter(enc, episode)), ...(patient ? { subject: redactPatient(patient) } : {}),
    });
    if (subject?.identifier === undefined && typeof subject?.reference === 'string' && patient === undefined) {
      const expression = `Bundle.entry[${index}].resource.subject.reference`;
      plan.items.push({ ref, raw, rawFormat: 'json', error: new UtklarError('UNMAPPABLE_MESSAGE', `${expression}: names no Patient entry of this Bundle (utklar keeps no Patients: send it in the same Bundle, or give subject.identifier)`) });
      plan.expressions.set(ref, [expression]);
      continue;
    }
    // A POST creates: the sender need not give an id, and the identifier then names the encounter.
    const mapped = mapEncounter(enc, source, { id: urlId ?? identifier, reservnummerOids, ...(patient ? { patient: { resource: patient, expression: `Bundle.entry[${patientAt}].resource` } } : {}) });
    if (mapped.ok) plan.items.push({ ref, values: mapped.events, raw, rawFormat: 'json' });
    else {
      const inBundle = (e: string) => e.replace(/^Encounter\b/, `Bundle.entry[${index}].resource`);
      plan.items.push({ ref, raw, rawFormat: 'json', error: new UtklarError(mapped.error.code, inBundle(mapped.error.message)) });
      plan.expressions.set(ref, mapped.expression.map(inBundle));
    }
  }
  return plan;
}
