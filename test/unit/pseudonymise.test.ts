import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { UtklarError } from '../../services/core/errors.ts';
import { Pseudonymiser } from '../../services/contract/pseudonymise.ts';

const KEY = 'sixteen-chars-ok';

describe('Pseudonymiser', () => {
  it('is deterministic and gives 64 lower-case hex characters', () => {
    const a = new Pseudonymiser(KEY).patientKey('194003071232');
    const b = new Pseudonymiser(KEY).patientKey('194003071232');
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).not.toContain('194003071232');
  });

  it('is the HMAC-SHA256 of the normalised number under the key', () => {
    const expected = createHmac('sha256', KEY).update('194003071232').digest('hex');
    expect(new Pseudonymiser(KEY).patientKey('194003071232')).toBe(expected);
  });

  it('gives different outputs for different keys and different numbers', () => {
    const p1 = new Pseudonymiser(KEY);
    const p2 = new Pseudonymiser(`${KEY}x`);
    expect(p1.patientKey('194003071232')).not.toBe(p2.patientKey('194003071232'));
    expect(p1.patientKey('194003071232')).not.toBe(p1.patientKey('193204155679'));
  });

  it('keys a reservnummer as the HMAC of reservnummer|<issuer>|<id upper-cased>', () => {
    const expected = createHmac('sha256', KEY).update('reservnummer|1.2.752.97.3.1.3|SE-2026-00A7').digest('hex');
    const p = new Pseudonymiser(KEY);
    expect(p.reservnummerKey('1.2.752.97.3.1.3', 'SE-2026-00A7')).toBe(expected);
    // One local id, however the EHR spells its letters or pads it.
    expect(p.reservnummerKey('1.2.752.97.3.1.3', ' se-2026-00a7 ')).toBe(expected);
  });

  it('keeps a reservnummer apart from every personnummer and from the same id of another issuer', () => {
    const p = new Pseudonymiser(KEY);
    // The same text as a personnummer's 12 digits is another patient.
    expect(p.reservnummerKey('1.2.752.97.3.1.3', '194003071232')).not.toBe(p.patientKey('194003071232'));
    expect(p.reservnummerKey('1.2.752.97.3.1.3', '991234567')).not.toBe(p.reservnummerKey('1.2.752.97.3.1.4', '991234567'));
    expect(p.reservnummerKey('1.2.752.97.3.1.3', '991234567')).toMatch(/^[0-9a-f]{64}$/);
    // The personnummer's key did not change with the new namespace.
    expect(p.patientKey('194003071232')).toBe(createHmac('sha256', KEY).update('194003071232').digest('hex'));
  });

  it.each([undefined, '', 'short', 'fifteen-chars!!'])('refuses the key %j with a CONFIG error', (secret) => {
    let err: unknown;
    try {
      new Pseudonymiser(secret);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UtklarError);
    expect((err as UtklarError).code).toBe('CONFIG');
    expect((err as UtklarError).retriable).toBe(false);
    if (secret) expect((err as UtklarError).message).not.toContain(secret);
  });

  it('accepts a key of exactly 16 characters', () => {
    expect('sixteen-chars-ok').toHaveLength(16);
    expect(() => new Pseudonymiser('sixteen-chars-ok')).not.toThrow();
  });
});
