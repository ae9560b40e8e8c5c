import { readFileSync } from 'node:fs';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { repoRoot, subjectFor } from '../core/config.ts';
import { UtklarError } from '../core/errors.ts';
import { fromAvro, toAvro, type AvroPatientEvent, type PatientEvent } from '../contract/event.ts';
import path from 'node:path';

export const PATIENT_EVENT_SCHEMA = readFileSync(path.join(repoRoot, 'schemas/patient-event.avsc'), 'utf8');

/** Confluent wire format: magic byte 0, then the 4-byte big-endian schema id, then Avro. */
export const schemaIdOf = (buf: Buffer): number | undefined =>
  buf.length >= 5 && buf[0] === 0 ? buf.readUInt32BE(1) : undefined;

/**
 * Avro encoding through the registry. The schema is registered at start (BACKWARD rule); decode
 * resolves whatever writer schema id a message carries, so old messages stay readable.
 */
export class EventCodec {
  readonly registry: SchemaRegistry;
  #schemaId: number | undefined;

  constructor(registryUrl: string) {
    this.registry = new SchemaRegistry({ host: registryUrl });
  }

  async register(topic: string): Promise<number> {
    try {
      const { id } = await this.registry.register(
        { type: SchemaType.AVRO, schema: PATIENT_EVENT_SCHEMA },
        { subject: subjectFor(topic), compatibility: COMPATIBILITY.BACKWARD },
      );
      this.#schemaId = id;
      return id;
    } catch (cause) {
      throw new UtklarError('DEPENDENCY_UNAVAILABLE', `schema registry: could not register ${subjectFor(topic)}: ${(cause as Error).message}`, {
        retriable: true,
        cause,
      });
    }
  }

  get schemaId(): number {
    if (this.#schemaId === undefined) throw new UtklarError('INTERNAL', 'EventCodec.register() must run before encode()');
    return this.#schemaId;
  }

  async encode(ev: PatientEvent): Promise<Buffer> {
    try {
      return await this.registry.encode(this.schemaId, toAvro(ev));
    } catch (cause) {
      // avsc's message names the path that does not fit the schema; no values are included.
      throw new UtklarError('SCHEMA_MISMATCH', `event ${ev.eventId} does not fit the Avro schema: ${(cause as Error).message}`, {
        cause,
      });
    }
  }

  async decode(buf: Buffer): Promise<PatientEvent> {
    if (schemaIdOf(buf) === undefined) {
      throw new UtklarError('UNDECODABLE_MESSAGE', 'message does not start with the Confluent magic byte and a schema id');
    }
    let value: AvroPatientEvent;
    try {
      value = (await this.registry.decode(buf)) as AvroPatientEvent;
    } catch (cause) {
      // Registry down or failing: retry later. Unknown schema id or bytes that are not Avro: dead-letter.
      const status = (cause as { status?: number }).status;
      const message = (cause as Error).message;
      const retriable = status ? status >= 500 : /ECONN|ETIMEDOUT|EAI_AGAIN|socket hang up|network/i.test(message);
      throw new UtklarError(retriable ? 'DEPENDENCY_UNAVAILABLE' : 'UNDECODABLE_MESSAGE', `Avro decode failed: ${message}`, { retriable, cause });
    }
    try {
      return fromAvro(value);
    } catch (cause) {
      throw new UtklarError('UNDECODABLE_MESSAGE', (cause as Error).message, { cause });
    }
  }
}
