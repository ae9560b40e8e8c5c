/**
 * One error type for the whole pipeline (after kafkajs's KafkaJSError): a stable `code` that
 * tests, logs and dead-letter headers use, and a `retriable` flag that decides between
 * "try again" and "dead-letter it and move on".
 */
export type ErrorCode =
  | 'INVALID_JSON'
  | 'INVALID_EVENT'
  | 'SCHEMA_MISMATCH'
  | 'UNDECODABLE_MESSAGE'
  /** A source message (e.g. HL7 v2) that is well-formed but cannot be expressed in the event contract. */
  | 'UNMAPPABLE_MESSAGE'
  /** A source message that is not well-formed (e.g. HL7 v2 without MSH-9 or MSH-10). */
  | 'MALFORMED_MESSAGE'
  | 'INVALID_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFIG'
  | 'PREREQUISITE'
  | 'DEPENDENCY_UNAVAILABLE'
  /** This process no longer owns what it tried to write (a partition moved to another process). */
  | 'FENCED'
  /** What was asked was done before and may not be done twice (a month's invoice frozen again). */
  | 'CONFLICT'
  | 'INTERNAL';

export class UtklarError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  /** Extra machine-readable facts. Never put personal data here: errors are logged. */
  readonly details: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { retriable?: boolean; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'UtklarError';
    this.code = code;
    this.retriable = opts.retriable ?? false;
    this.details = opts.details ?? {};
  }
}
