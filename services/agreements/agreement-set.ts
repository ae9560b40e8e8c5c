import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { RegionRules } from '../clock/rules.ts';
import { UtklarError } from '../core/errors.ts';
import { isoDate, fromEpochDay } from '../core/stockholm-time.ts';
import { loadAgreementFile, shownPath, type Agreement } from './agreement.ts';
import { bundledFile } from './bundled.ts';

/**
 * The agreements of one deployment: each region's versions, and the law's defaults ('*') for a
 * region without one. An episode is billed under the version in force on its discharge day.
 */
export class AgreementSet {
  constructor(readonly agreements: readonly Agreement[]) {}

  /** The region's own agreement on `day`, else the law's defaults; undefined when neither is in force. */
  inForce(region: string, day: number): Agreement | undefined {
    // A loop, not two finds: the invoice basis asks this for each of a nation's ≈ 5 000 cells.
    let law: Agreement | undefined;
    for (const a of this.agreements) {
      if (a.validFrom > day || (a.validTo !== null && day > a.validTo)) continue;
      if (a.region === region) return a;
      if (a.region === '*') law ??= a;
    }
    return law;
  }

  /** Today's behaviour without agreement files: one set of rules for every region and every day. */
  static of(rules: RegionRules, id = 'UTKLAR_RULES'): AgreementSet {
    return new AgreementSet([{ id, file: id, line: 0, region: '*', name: id, validFrom: -Infinity, validTo: null, rules }]);
  }
}

/**
 * UTKLAR_AGREEMENTS: files and directories (every *.json in one), comma-separated. Unset, the
 * UTKLAR_RULES shortcut: `law` is law.json alone, `orebro` is orebro.json for region 18 and
 * law.json elsewhere. The law's defaults are added when no file covers '*'. Each region's noon
 * rule and conditions may differ: the clock counts an episode under its region's agreement
 * (regional-rules.ts).
 */
export function loadAgreementSet(spec: string | undefined, shortcut: 'law' | 'orebro'): AgreementSet {
  const files = spec === undefined || spec.trim() === ''
    ? (shortcut === 'law' ? [bundledFile('law')] : [bundledFile('orebro'), bundledFile('law')])
    : spec.split(',').map((s) => s.trim()).filter(Boolean).flatMap(expand);
  const byFile = files.map((f) => loadAgreementFile(f));
  if (!byFile.some((versions) => versions[0]?.region === '*')) byFile.push(loadAgreementFile(bundledFile('law')));
  const all = byFile.flat();

  const problems: string[] = [];
  const where = (a: Agreement) => `${a.file}:${a.line}`;
  for (const a of all) {
    const clash = all.find((b) => b !== a && b.file !== a.file && b.region === a.region && b.validFrom <= (a.validTo ?? Infinity) && a.validFrom <= (b.validTo ?? Infinity));
    if (clash && all.indexOf(clash) > all.indexOf(a)) {
      problems.push(`${where(clash)}: region ${a.region} from ${isoDate(fromEpochDay(clash.validFrom))} is also agreed in ${where(a)}: one agreement per region and year`);
    }
  }
  if (problems.length > 0) throw new UtklarError('CONFIG', `UTKLAR_AGREEMENTS:\n  ${problems.join('\n  ')}`);
  return new AgreementSet(all);
}

function expand(entry: string): string[] {
  let isDir: boolean;
  try {
    isDir = statSync(entry).isDirectory();
  } catch (e) {
    throw new UtklarError('CONFIG', `UTKLAR_AGREEMENTS: ${shownPath(entry)}: ${(e as Error).message}`);
  }
  if (!isDir) return [entry];
  const found = readdirSync(entry).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(entry, f));
  if (found.length === 0) throw new UtklarError('CONFIG', `UTKLAR_AGREEMENTS: ${shownPath(entry)} holds no *.json agreement file`);
  return found;
}
