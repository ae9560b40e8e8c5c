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
    for (let attempt = 1; ; attempt++) {
      try {
        const { id } = await this.registry.register(
          { type: SchemaType.AVRO, schema: this.schema },
          { subject: this.subject, compatibility: COMPATIBILITY.BACKWARD },
        );
        this.#id = id;
        return id;
      } catch (cause) {
        // Two services starting together race on a new subject: one has registered the schema
        // but not yet set the subject's rule when the other reads it. A moment later it is set.
        if (attempt < 5 && /Compatibility does not match|rule named 'COMPATIBILITY' already exists/.test((cause as Error).message)) {
          await new Promise((r) => setTimeout(r, 200 * attempt));
          continue;
        }
        throw new UtklarError('DEPENDENCY_UNAVAILABLE', `schema registry: could not register ${this.subject}: ${(cause as Error).message}`, { retriable: true, cause });
      }
    }
  }

  async encode(value: unknown): Promise<Buffer> {
    if (this.#id === undefined) throw new UtklarError('INTERNAL', `${this.subject}: register() must run before encode()`);
    return this.registry.encode(this.#id, value);
  }
}
