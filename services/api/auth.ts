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
export type TokenScope = Scope | SourceScope;

const SOURCE_SCOPE = /^source:([A-Za-z0-9][A-Za-z0-9._-]{0,63})$/;

export function parseTokenScope(text: string): TokenScope {
  const m = SOURCE_SCOPE.exec(text);
  if (m) return { kind: 'source', source: m[1]! };
  if (text.startsWith('source:')) throw new UtklarError('INVALID_REQUEST', `scope '${text}': a source name is 1–64 letters, digits, '.', '_' or '-'`);
  return parseScope(text);
}

const tokenScopeText = (s: TokenScope): string => (s.kind === 'source' ? `source:${s.source}` : scopeText(s));

/** A JWT (HS256) carrying one scope; `bin/utklar token` mints them for operators. */
export function mintToken(scope: TokenScope, secret: string, opts: { subject: string; ttlSeconds: number; now?: number }): string {
  const iat = Math.floor((opts.now ?? Date.now()) / 1000);
  const head = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64(JSON.stringify({ sub: opts.subject, scope: tokenScopeText(scope), iat, exp: iat + opts.ttlSeconds }));
  return `${head}.${body}.${b64(sign(`${head}.${body}`, secret))}`;
}

/** The reading scope of a request's `Authorization: Bearer …` header; UNAUTHORIZED otherwise. */
export function scopeOf(authorization: string | undefined, secret: string, now = Date.now()): Scope {
  const scope = tokenScopeOf(authorization, secret, now);
  if (scope.kind === 'source') throw new UtklarError('FORBIDDEN', `a ${tokenScopeText(scope)} token may only send events (POST /api/v1/events)`);
  return scope;
}

/** The source a request may write events as; FORBIDDEN for a reading token. */
export function sourceOf(authorization: string | undefined, secret: string, now = Date.now()): string {
  const scope = tokenScopeOf(authorization, secret, now);
  if (scope.kind !== 'source') throw new UtklarError('FORBIDDEN', `sending events needs a source:<system> token, not ${scopeText(scope)}`);
  return scope.source;
}

function tokenScopeOf(authorization: string | undefined, secret: string, now: number): TokenScope {
  const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
  if (!token) throw new UtklarError('UNAUTHORIZED', 'missing bearer token');
  const [head, body, sig] = token.split('.');
  if (!head || !body || !sig) throw new UtklarError('UNAUTHORIZED', 'malformed token');
  const expected = sign(`${head}.${body}`, secret);
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new UtklarError('UNAUTHORIZED', 'bad token signature');
  let claims: { scope?: string; exp?: number; alg?: string };
  try {
    if (JSON.parse(Buffer.from(head, 'base64url').toString()).alg !== 'HS256') throw new Error('alg');
    claims = JSON.parse(Buffer.from(body, 'base64url').toString());
  } catch {
    throw new UtklarError('UNAUTHORIZED', 'malformed token');
  }
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now) throw new UtklarError('UNAUTHORIZED', 'token expired');
  try {
    return parseTokenScope(String(claims.scope));
  } catch {
    throw new UtklarError('UNAUTHORIZED', 'token has no valid scope');
  }
}
