import { createHmac, timingSafeEqual } from 'node:crypto';
import { UtklarError } from '../core/errors.ts';

/**
 * Who may read what: a region sees every episode treated in it; a municipality only its own
 * residents (home municipality), wherever they are treated; a unit only its ward's episodes.
 */
export type Scope =
  | { kind: 'region'; region: string }
  | { kind: 'municipality'; municipality: string }
  | { kind: 'unit'; hospital: string; ward: string };

export function parseScope(text: string): Scope {
  const [kind, ...rest] = text.split(':');
  const value = rest.join(':');
  if (kind === 'region' && /^\d{2}$/.test(value)) return { kind, region: value };
  if (kind === 'municipality' && /^\d{4}$/.test(value)) return { kind, municipality: value };
  if (kind === 'unit' && /^[^/]+\/[^/]+$/.test(value)) {
    const [hospital, ward] = value.split('/') as [string, string];
    return { kind, hospital, ward };
  }
  throw new UtklarError('INVALID_REQUEST', `scope '${text}': expected region:NN, municipality:NNNN or unit:HOSPITAL/WARD`);
}

export const scopeText = (s: Scope): string =>
  s.kind === 'region' ? `region:${s.region}` : s.kind === 'municipality' ? `municipality:${s.municipality}` : `unit:${s.hospital}/${s.ward}`;

const b64 = (x: Buffer | string) => Buffer.from(x).toString('base64url');
const sign = (data: string, secret: string) => createHmac('sha256', secret).update(data).digest();

/** A JWT (HS256) carrying one scope; `bin/utklar token` mints them for operators. */
export function mintToken(scope: Scope, secret: string, opts: { subject: string; ttlSeconds: number; now?: number }): string {
  const iat = Math.floor((opts.now ?? Date.now()) / 1000);
  const head = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64(JSON.stringify({ sub: opts.subject, scope: scopeText(scope), iat, exp: iat + opts.ttlSeconds }));
  return `${head}.${body}.${b64(sign(`${head}.${body}`, secret))}`;
}

/** The scope of a request's `Authorization: Bearer …` header; UNAUTHORIZED otherwise. */
export function scopeOf(authorization: string | undefined, secret: string, now = Date.now()): Scope {
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
    return parseScope(String(claims.scope));
  } catch {
    throw new UtklarError('UNAUTHORIZED', 'token has no valid scope');
  }
}
