import path from 'node:path';
import type { RegionRules } from '../clock/rules.ts';
import { AGREEMENTS_DIR, loadAgreementFile } from './agreement.ts';

export const BUNDLED = ['law', 'orebro', 'stockholm'] as const;
export const bundledFile = (name: (typeof BUNDLED)[number]) => path.join(AGREEMENTS_DIR, `${name}.json`);

/** The rules of a bundled file's only version: what the clock applies under UTKLAR_RULES. */
export function bundledRules(name: 'law' | 'orebro'): RegionRules {
  const versions = loadAgreementFile(bundledFile(name));
  if (versions.length !== 1) throw new Error(`${bundledFile(name)}: the UTKLAR_RULES shortcut needs exactly one version`);
  return versions[0]!.rules;
}
