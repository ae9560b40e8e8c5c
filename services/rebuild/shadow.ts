import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AgreementSet } from '../agreements/agreement-set.ts';
import { loadAgreementFile } from '../agreements/agreement.ts';
import { repoRoot, type Config } from '../core/config.ts';

/** `20261206t084030k3`: when it was started (UTC, to the second), and two random characters against two started at once. */
export function newRebuildId(now: number): string {
  const t = new Date(now).toISOString().replace(/[-:]/g, '').slice(0, 15).toLowerCase();
  return `${t}${randomBytes(2).readUInt16BE(0).toString(36).padStart(2, '0').slice(-2)}`;
}

/** The shadow's namespace and database: apart from the live ones, named after them so an operator sees whose they are. */
export const shadowNamespace = (live: Config, id: string) => `${live.namespace}-rb-${id}`;
export const shadowDatabase = (live: Config, id: string) => `${live.clickhouseDatabase}_rb_${id}`;

/** An agreement's file as a path to read again (agreements keep the path as shown, relative to the repository). */
const absolute = (file: string) => (path.isAbsolute(file) ? file : path.join(repoRoot, file));

/**
 * The agreements a rebuild counts under: the deployment's, with the regions the new file covers
 * taken from it instead. `--rules orebro-2.json` changes Region Örebro's terms and leaves every
 * other region's (and the law's defaults) as the live pipeline has them. As UTKLAR_AGREEMENTS
 * takes them: files, comma-separated.
 */
export function rebuildAgreements(live: AgreementSet, file: string): string {
  const regions = new Set(loadAgreementFile(file).map((a) => a.region));
  const kept = [...new Set(live.agreements.filter((a) => !regions.has(a.region) && a.line > 0).map((a) => absolute(a.file)))];
  return [...kept, path.resolve(file)].join(',');
}

/**
 * The shadow pipeline's configuration: the live one with its own namespace (Redis prefix, consumer
 * group, changelog and outbox topics), its own ClickHouse database and the new agreements, reading
 * the live namespace's events topic from its start. Nothing that acts on the world: no invoice
 * freezing, no alerts, no analytics users.
 */
export function shadowConfig(live: Config, id: string, agreements: AgreementSet, partitions: number): Config {
  const namespace = shadowNamespace(live, id);
  return {
    ...live,
    namespace,
    groupPrefix: namespace,
    eventsNamespace: live.eventsNamespace,
    clickhouseDatabase: shadowDatabase(live, id),
    agreements,
    eventPartitions: partitions,
    invoiceFreeze: null,
    // The read model's generations are built by the rebuild itself once the replay is done (one
    // build of the whole, rather than a copy every few thousand versions while it replays; and never
    // two at once, which 18.16 refuses: "Cancelled merging parts").
    snapshotEveryMs: 0,
    consumers: ['clock'],
    timersOnly: false,
    alertRules: undefined,
    analyticsRegions: [],
  };
}
