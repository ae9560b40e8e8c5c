import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { subjectFor } from '../core/config.ts';
import { UtklarError } from '../core/errors.ts';
import { fromAvro, toAvro, type AvroPatientEvent, type PatientEvent } from '../contract/event.ts';
import { RegisteredSchema } from './registered-schema.ts';

/**
 * A registry request unanswered after this long fails (register() then asks again): once, on CI,
 * Apicurio never answered a CLI's registration made the moment a pipeline registered the same
 * subject, and the CLI waited on its open connection until the test gave up (4 minutes).
 */
export const REGISTRY_TIMEOUT_MS = 15_000;
type Middleware = NonNullable<ConstructorParameters<typeof SchemaRegistry>[0]['middlewares']>[number];
const timeoutAfter = (ms: number): Middleware => () => ({
  prepareRequest: (next) => next().then((request) => request.enhance({ timeout: ms })),
});

/** Confluent wire format: magic byte 0, then the 4-byte big-endian schema id, then Avro. */
export const schemaIdOf = (buf: Buffer): number | undefined =>
  buf.length >= 5 && buf[0] === 0 ? buf.readUInt32BE(1) : undefined;

/**
 * Avro encoding of patient events through the registry. The schema is registered at start
 * (BACKWARD rule); decode resolves whatever writer schema id a message carries, so old messages
 * stay readable.
 */
export class EventCodec {
  readonly registry: SchemaRegistry;
  #schema: RegisteredSchema | undefined;

  constructor(registryUrl: string, o: { timeoutMs?: number } = {}) {
    this.registry = new SchemaRegistry({ host: registryUrl, middlewares: [timeoutAfter(o.timeoutMs ?? REGISTRY_TIMEOUT_MS)] });
  }

  async register(topic: string): Promise<number> {
    this.#schema = new RegisteredSchema(this.registry, 'patient-event.avsc', subjectFor(topic));
    return this.#schema.register();
  }

  async encode(ev: PatientEvent): Promise<Buffer> {
    if (!this.#schema) throw new UtklarError('INTERNAL', 'EventCodec.register() must run before encode()');
    try {
      return await this.#schema.encode(toAvro(ev));
    } catch (cause) {
      // avsc may quote the offending value; events are pseudonymised by now, so no personnummer.
      throw new UtklarError('SCHEMA_MISMATCH', `event ${ev.eventId} does not fit the Avro schema: ${(cause as Error).message}`, {
        cause,
      });
    }
  }

  /** Synchronous once the message's schema id has been seen (see decodeRegistered). */
  decode(buf: Buffer): PatientEvent | Promise<PatientEvent> {
    const value = decodeRegistered(this.registry, buf);
    return value instanceof Promise ? value.then((v) => this.#event(v)) : this.#event(value);
  }

  #event(value: unknown): PatientEvent {
    try {
      return fromAvro(value as AvroPatientEvent);
    } catch (cause) {
      throw new UtklarError('UNDECODABLE_MESSAGE', (cause as Error).message, { cause });
    }
  }
}

/** What the registry client's parsed Avro schema (an avsc Type) offers for reading. */
interface AvroReader {
  fromBuffer(buf: Buffer): unknown;
}

/** Writer schemas by id, per registry client: ids never change their schema, so never expire. */
const readers = new WeakMap<SchemaRegistry, Map<number, AvroReader>>();

/**
 * Decodes any registry-framed Avro message. A schema id seen before decodes synchronously (no
 * await, no microtask per message: a batch of thousands decodes in one go); the first message of
 * an id asks the registry (network): anything but a definite "no such schema" is retriable, or a
 * slow registry under load would dead-letter good messages. Then the bytes (local): an error
 * there is the message's own fault.
 */
export function decodeRegistered(registry: SchemaRegistry, buf: Buffer): unknown {
  const id = schemaIdOf(buf);
  if (id === undefined) throw new UtklarError('UNDECODABLE_MESSAGE', 'message does not start with the Confluent magic byte and a schema id');
  const reader = readers.get(registry)?.get(id);
  return reader ? readBody(reader, buf) : fetchAndDecode(registry, id, buf);
}

async function fetchAndDecode(registry: SchemaRegistry, id: number, buf: Buffer): Promise<unknown> {
  let reader: AvroReader;
  try {
    reader = (await registry.getSchema(id)) as unknown as AvroReader;
  } catch (cause) {
    if ((cause as { status?: number }).status === 404) {
      throw new UtklarError('UNDECODABLE_MESSAGE', `Avro decode failed: schema id ${id} is unknown to the registry`, { cause });
    }
    throw new UtklarError('DEPENDENCY_UNAVAILABLE', `schema registry: ${(cause as Error).message}`, { retriable: true, cause });
  }
  let byId = readers.get(registry);
  if (!byId) readers.set(registry, (byId = new Map()));
  byId.set(id, reader);
  return readBody(reader, buf);
}

function readBody(reader: AvroReader, buf: Buffer): unknown {
  try {
    return reader.fromBuffer(buf.subarray(5));
  } catch (cause) {
    throw new UtklarError('UNDECODABLE_MESSAGE', `Avro decode failed: ${(cause as Error).message}`, { cause });
  }
}
