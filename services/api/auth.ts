import { createHmac, timingSafeEqual } from 'node:crypto';
import { UtklarError } from '../core/errors.ts';
import { parseScope, scopeText, type Scope } from '../model/scope.ts';

const b64 = (x: Buffer | string) => Buffer.from(x).toString('base64url');
const sign = (data: string, secret: string) => createHmac('sha256', secret).update(data).digest();

/**
 * A source system's token (`source:<name>`) may only write events, as that source: it is no
 * reading scope, so every read endpoint refuses it, and a reading token cannot write.
 */
export interface SourceScope {
  kind: 'source';
  source: string;
}
/**
 * An auditor's token (`audit:<region>`) reads the access log of that region's patient data and
 * nothing else: following up who looked at whom needs no patient data of its own.
 */
export interface AuditScope {
  kind: 'audit';
  region: string;
}
export type TokenScope = Scope | SourceScope | AuditScope;

const SOURCE_SCOPE = /^source:([A-Za-z0-9][A-Za-z0-9._-]{0,63})$/;
const AUDIT_SCOPE = /^audit:(\d{2})$/;

export function parseTokenScope(text: string): TokenScope {
  const m = SOURCE_SCOPE.exec(text);
  if (m) return { kind: 'source', source: m[1]! };
  if (text.startsWith('source:')) throw new UtklarError('INVALID_REQUEST', `scope '${text}': a source name is 1–64 letters, digits, '.', '_' or '-'`);
  const a = AUDIT_SCOPE.exec(text);
  if (a) return { kind: 'audit', region: a[1]! };
  if (text.startsWith('audit:')) throw new UtklarError('INVALID_REQUEST', `scope '${text}': expected audit:NN (a region code)`);
  return parseScope(text);
}

export const tokenScopeText = (s: TokenScope): string => (s.kind === 'source' ? `source:${s.source}` : s.kind === 'audit' ? `audit:${s.region}` : scopeText(s));

/** Who asks: the token's subject (`sub`, for the access log) and what it may read. */
export interface Reader {
  scope: Scope;
  subject: string;
}

/** A JWT (HS256) carrying one scope; `bin/utklar token` mints them for operators. */
export function mintToken(scope: TokenScope, secret: string, opts: { subject: string; ttlSeconds: number; now?: number }): string {
  const iat = Math.floor((opts.now ?? Date.now()) / 1000);
  const head = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64(JSON.stringify({ sub: opts.subject, scope: tokenScopeText(scope), iat, exp: iat + opts.ttlSeconds }));
  return `${head}.${body}.${b64(sign(`${head}.${body}`, secret))}`;
}

/** The reading scope of a request's `Authorization: Bearer …` header; UNAUTHORIZED otherwise. */
export function scopeOf(authorization: string | undefined, secret: string, now = Date.now()): Scope {
  return readerOf(authorization, secret, now).scope;
}

/** The reading scope and subject of a request; UNAUTHORIZED, or FORBIDDEN for a token that may not read. */
export function readerOf(authorization: string | undefined, secret: string, now = Date.now()): Reader {
  const { scope, subject } = claimsOf(authorization, secret, now);
  if (scope.kind === 'source') throw new UtklarError('FORBIDDEN', `a ${tokenScopeText(scope)} token may only send events (POST /api/v1/events)`);
  if (scope.kind === 'audit') throw new UtklarError('FORBIDDEN', `a ${tokenScopeText(scope)} token may only read the access log (GET /api/v1/access-log)`);
  return { scope, subject };
}

/** The region whose access log an `audit:<region>` token may read, and its subject; FORBIDDEN for any other token. */
export function auditorOf(authorization: string | undefined, secret: string, now = Date.now()): { region: string; subject: string } {
  const { scope, subject } = claimsOf(authorization, secret, now);
  if (scope.kind !== 'audit') throw new UtklarError('FORBIDDEN', `the access log needs an audit:<region> token, not ${tokenScopeText(scope)}`);
  return { region: scope.region, subject };
}

/** The source a request may write events as; FORBIDDEN for a reading token. */
export function sourceOf(authorization: string | undefined, secret: string, now = Date.now()): string {
  const { scope } = claimsOf(authorization, secret, now);
  if (scope.kind !== 'source') throw new UtklarError('FORBIDDEN', `sending events needs a source:<system> token, not ${tokenScopeText(scope)}`);
  return scope.source;
}

function claimsOf(authorization: string | undefined, secret: string, now: number): { scope: TokenScope; subject: string } {
  const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
  if (!token) throw new UtklarError('UNAUTHORIZED', 'missing bearer token');
  const [head, body, sig] = token.split('.');
  if (!head || !body || !sig) throw new UtklarError('UNAUTHORIZED', 'malformed token');
  const expected = sign(`${head}.${body}`, secret);
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new UtklarError('UNAUTHORIZED', 'bad token signature');
  let claims: { scope?: string; exp?: number; sub?: unknown };
  try {
    if (JSON.parse(Buffer.from(head, 'base64url').toString()).alg !== 'HS256') throw new Error('alg');
    claims = JSON.parse(Buffer.from(body, 'base64url').toString());
  } catch {
    throw new UtklarError('UNAUTHORIZED', 'malformed token');
  }
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now) throw new UtklarError('UNAUTHORIZED', 'token expired');
  try {
    return { scope: parseTokenScope(String(claims.scope)), subject: typeof claims.sub === 'string' ? claims.sub : '' };
  } catch {
    throw new UtklarError('UNAUTHORIZED', 'token has no valid scope');
  }
}
