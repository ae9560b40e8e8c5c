import { parseArgs } from 'node:util';
import { UtklarError } from '../core/errors.ts';

export function parse(argv: string[], options: Record<string, { type: 'string' | 'boolean'; default?: string | boolean }>) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
  } catch (e) {
    throw new UtklarError('CONFIG', (e as Error).message);
  }
}

export function num(v: string | boolean | undefined, name: string): number {
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n)) throw new UtklarError('CONFIG', `--${name} must be a number`);
  return n;
}
