import { describe, expect, it } from 'vitest';
import { mintToken, parseTokenScope, scopeOf, sourceOf } from '../../services/api/auth.ts';
import { itemsOf } from '../../services/sources/events-endpoint.ts';
import type { UtklarError } from '../../services/core/errors.ts';

const SECRET = 'unit-test-secret-that-is-long-enough';
const NOW = Date.parse('2026-11-23T12:00:00Z');
const err = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e as UtklarError;
  }
  throw new Error('expected an error');
};
const bearer = (scope: string) => `Bearer ${mintToken(parseTokenScope(scope), SECRET, { subject: 's', ttlSeconds: 60, now: NOW })}`;

describe('source tokens', () => {
  it('a source:<system> token writes as that system and reads nothing', () => {
    expect(sourceOf(bearer('source:lifecare'), SECRET, NOW)).toBe('lifecare');
    expect(err(() => scopeOf(bearer('source:lifecare'), SECRET, NOW))).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/may only send events/) });
  });
  it('a reading token cannot write', () => {
    for (const s of ['region:18', 'municipality:1880', 'unit:USO/Med 1', 'nation']) {
      expect(err(() => sourceOf(bearer(s), SECRET, NOW)).code).toBe('FORBIDDEN');
    }
  });
  it('a source name is a plain identifier', () => {
    expect(err(() => parseTokenScope('source:')).code).toBe('INVALID_REQUEST');
    expect(err(() => parseTokenScope('source:a b')).code).toBe('INVALID_REQUEST');
    expect(parseTokenScope('source:ehr-cosmic.v2')).toEqual({ kind: 'source', source: 'ehr-cosmic.v2' });
  });
  it('an expired or forged source token is UNAUTHORIZED', () => {
    expect(err(() => sourceOf(bearer('source:lifecare'), SECRET, NOW + 61_000)).code).toBe('UNAUTHORIZED');
    expect(err(() => sourceOf(bearer('source:lifecare'), `${SECRET}x`, NOW)).code).toBe('UNAUTHORIZED');
  });
});

describe('POST /api/v1/events bodies', () => {
  it('NDJSON: one item per non-empty line, numbered as in the body; a line that is no JSON is an item with its error', () => {
    const items = itemsOf('{"a":1}\r\n\n{"b":2}\nnot json\n');
    expect(items.map((i) => [i.ref, i.value, i.error?.code])).toEqual([[1, { a: 1 }, undefined], [3, { b: 2 }, undefined], [4, undefined, 'INVALID_JSON']]);
    expect(items[2]!.raw).toBe('not json');
  });
  it('a JSON array: one item per element; a broken array is one bad item', () => {
    expect(itemsOf(' [{"a":1},{"b":2}]').map((i) => [i.ref, i.value, i.raw])).toEqual([[1, { a: 1 }, '{"a":1}'], [2, { b: 2 }, '{"b":2}']]);
    expect(itemsOf('[{"a":1},').map((i) => [i.ref, i.error?.code])).toEqual([[1, 'INVALID_JSON']]);
  });
});
