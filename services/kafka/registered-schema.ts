import { readFileSync } from 'node:fs';
import path from 'node:path';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { repoRoot } from '../core/config.ts';
import { UtklarError } from '../core/errors.ts';

/** One Avro schema from schemas/, registered under one subject (BACKWARD) and used to encode. */
export class RegisteredSchema {
  readonly schema: string;
  #id: number | undefined;

  constructor(
    private readonly registry: SchemaRegistry,
    file: string,
    private readonly subject: string,
  ) {
    this.schema = readFileSync(path.join(repoRoot, 'schemas', file), 'utf8');
  }

  async register(): Promise<number> {
    try {
      const { id } = await this.registry.register(
        { type: SchemaType.AVRO, schema: this.schema },
        { subject: this.subject, compatibility: COMPATIBILITY.BACKWARD },
      );
      this.#id = id;
      return id;
    } catch (cause) {
      throw new UtklarError('DEPENDENCY_UNAVAILABLE', `schema registry: could not register ${this.subject}: ${(cause as Error).message}`, { retriable: true, cause });
    }
  }

  async encode(value: unknown): Promise<Buffer> {
    if (this.#id === undefined) throw new UtklarError('INTERNAL', `${this.subject}: register() must run before encode()`);
    return this.registry.encode(this.#id, value);
  }
}
