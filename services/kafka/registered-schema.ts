import { readFileSync } from 'node:fs';
import path from 'node:path';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { repoRoot } from '../core/config.ts';
import { UtklarError } from '../core/errors.ts';

/** What the registry client's parsed Avro schema (an avsc Type) offers. */
interface AvroType {
  toBuffer(value: unknown): Buffer;
  isValid(value: unknown, o: { errorHook: (path: string[]) => void }): boolean;
}

/** One Avro schema from schemas/, registered under one subject (BACKWARD) and used to encode. */
export class RegisteredSchema {
  readonly schema: string;
  #id: number | undefined;
  /** The registry's parsed schema (avsc), fetched once at registration. */
  #type: AvroType | undefined;

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
        this.#type = (await this.registry.getSchema(id)) as unknown as AvroType;
        return id;
      } catch (cause) {
        // Two services starting together race on a new subject: one has registered the schema
        // but not yet set the subject's rule when the other reads it. A moment later it is set.
        // And a request the registry never answered times out (codec.ts, REGISTRY_TIMEOUT_MS): asked again.
        const message = (cause as Error).message;
        if (attempt < 5 && /Compatibility does not match|rule named 'COMPATIBILITY' already exists|Timeout \(\d+ms\)/.test(message)) {
          await new Promise((r) => setTimeout(r, 200 * attempt));
          // Still no rule a moment later: the registration that made the subject never set it
          // (on CI the pipeline found NONE for 2 s, as if two registrants' rules had both been
          // refused). The subject is ours and BACKWARD is its rule: set it, then register again.
          if (attempt >= 2 && /Compatibility does not match the configuration \(BACKWARD != NONE\)/.test(message)) await this.#setRule();
          continue;
        }
        throw new UtklarError('DEPENDENCY_UNAVAILABLE', `schema registry: could not register ${this.subject}: ${message}`, { retriable: true, cause });
      }
    }
  }

  /** The subject's BACKWARD rule, through the registry client's own requests (its timeout included); set meanwhile by another is as good. */
  async #setRule(): Promise<void> {
    // The client's registration sets the rule only for a subject it found new; its API does the rest.
    const api = (this.registry as unknown as { api: { Subject: { updateConfig(o: { subject: string; body: { compatibility: string } }): Promise<unknown> } } }).api;
    await api.Subject.updateConfig({ subject: this.subject, body: { compatibility: COMPATIBILITY.BACKWARD } }).catch(() => undefined);
  }

  async encode(value: unknown): Promise<Buffer> {
    return this.encodeNow(value);
  }

  /**
   * The Confluent wire format (magic byte 0, the schema id, the Avro body) without an await: a
   * loop encoding thousands of messages then runs in one go, rather than one microtask per message
   * interleaved with every other async chain in the process (the outbox publisher fell behind the
   * clock that way).
   */
  encodeNow(value: unknown): Buffer {
    if (this.#id === undefined || this.#type === undefined) throw new UtklarError('INTERNAL', `${this.subject}: register() must run before encode()`);
    let body: Buffer;
    try {
      body = this.#type.toBuffer(value);
    } catch (cause) {
      const paths: string[] = [];
      this.#type.isValid(value, { errorHook: (p) => paths.push(p.join('.')) });
      throw new UtklarError('INTERNAL', `${this.subject}: value does not match the schema${paths.length ? ` at ${paths.join(', ')}` : ''}: ${(cause as Error).message}`, { cause });
    }
    const header = Buffer.alloc(5);
    header.writeUInt32BE(this.#id, 1);
    return Buffer.concat([header, body]);
  }
}
