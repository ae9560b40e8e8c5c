import { UtklarError } from '../core/errors.ts';

/**
 * Who may read what: the nation (national statistics: every region, aggregates and de-identified
 * rows) ; a region sees every episode treated in it; a municipality only its own residents (home
 * municipality), wherever they are treated; a unit only its ward's episodes.
 */
export type Scope =
  | { kind: 'nation' }
  | { kind: 'region'; region: string }
  | { kind: 'municipality'; municipality: string }
  | { kind: 'unit'; hospital: string; ward: string };

export function parseScope(text: string): Scope {
  const [kind, ...rest] = text.split(':');
  const value = rest.join(':');
  if (kind === 'nation' && value === '') return { kind };
  if (kind === 'region' && /^\d{2}$/.test(value)) return { kind, region: value };
  if (kind === 'municipality' && /^\d{4}$/.test(value)) return { kind, municipality: value };
  if (kind === 'unit' && /^[^/]+\/[^/]+$/.test(value)) {
    const [hospital, ward] = value.split('/') as [string, string];
    return { kind, hospital, ward };
  }
  throw new UtklarError('INVALID_REQUEST', `scope '${text}': expected nation, region:NN, municipality:NNNN or unit:HOSPITAL/WARD`);
}

export const scopeText = (s: Scope): string =>
  s.kind === 'nation' ? 'nation' : s.kind === 'region' ? `region:${s.region}` : s.kind === 'municipality' ? `municipality:${s.municipality}` : `unit:${s.hospital}/${s.ward}`;
