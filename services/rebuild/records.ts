import type { RedisLike } from '../core/redis.ts';
import type { ChangedCell, IndicatorSummary } from './diff.ts';
import type { InvoiceChange } from './invoice-changes.ts';
import type { PartitionProgress, Progress } from './progress.ts';

/** What a rebuild is and how far it got, kept in the live namespace's Redis (one JSON per rebuild). */
export interface RebuildRecord {
  id: string;
  /**
   * replaying → diffing → ready (its diff written) → promoted | discarded; `failed` keeps the error;
   * a promoted one is `retired` by the next promotion and `rolled-back` by `--rollback` (promotable again until dropped).
   */
  status: 'replaying' | 'diffing' | 'ready' | 'promoted' | 'discarded' | 'failed' | 'retired' | 'rolled-back';
  /** The agreement files the rebuild counts under (UTKLAR_AGREEMENTS syntax), and their versions. */
  agreements: string;
  agreementVersions: string[];
  /** The first month the diff compares (YYYY-MM). */
  from: string;
  to: string;
  /** The shadow: its namespace (Redis prefix, consumer group, derived topics) and ClickHouse database. */
  namespace: string;
  database: string;
  /** The live namespace whose events are replayed. */
  eventsNamespace: string;
  startedBy: string;
  startedAt: string;
  /** Per partition: start and target offsets of the replay, fixed at the start so a resumed rebuild ends at the same place. */
  partitions: PartitionProgress[];
  /** How far the replay got, saved every few seconds while it runs. */
  progress?: Progress;
  replayedAt?: string;
  replaySeconds?: number;
  /** How many times it was started (1 + resumes). */
  runs: number;
  finishedAt?: string;
  summary?: IndicatorSummary[];
  invoiceChanges?: number;
  error?: string;
  promotedAt?: string;
  promotedBy?: string;
  discardedAt?: string;
  discardedBy?: string;
  rolledBackAt?: string;
  rolledBackBy?: string;
  /** A rolled-back rebuild's data is kept as what a promotion replaces is, then dropped (promotion.ts, dropExpired). */
  keepUntil?: string;
}

/** The rebuild's diff, as the API and the page read it. */
export interface RebuildDiff {
  id: string;
  from: string;
  to: string;
  agreementVersions: { old: string[]; new: string[] };
  computedAt: string;
  summary: IndicatorSummary[];
  /** Values compared per region and indicator: a scoped summary's denominators. */
  counts: Record<string, Record<string, number>>;
  changes: ChangedCell[];
  invoices: InvoiceChange[];
}

/**
 * Which data the API reads: the live namespace's own (no pointer) or a promoted rebuild's. One
 * Redis key written with one SET, read once per request (read-pointer.ts): a request reads one
 * side whole, never a mix. `previous` is what it replaced, kept until `keepUntil` for a way back.
 */
export interface ActiveData {
  id: string;
  namespace: string;
  database: string;
  agreements: string;
  agreementVersions: string[];
  promotedAt: string;
  promotedBy: string;
  previous: { id: string | null; namespace: string; database: string; agreements: string | null; keepUntil: string } | null;
  /** Set when this side is read again because a later promotion was rolled back: which, when, by whom. */
  rolledBack?: { id: string; at: string; by: string };
}

/** Under one hash tag, so a record and the index change in one MULTI on a Redis Cluster too. */
export const rebuildKeys = (ns: string) => ({
  /** Sorted set of rebuild ids by start time. */
  index: `{${ns}:rebuild}:index`,
  record: (id: string) => `{${ns}:rebuild}:${id}`,
  diff: (id: string) => `{${ns}:rebuild}:${id}:diff`,
  active: `{${ns}:rebuild}:active`,
});

export class RebuildRecords {
  readonly keys: ReturnType<typeof rebuildKeys>;

  constructor(private readonly redis: RedisLike, namespace: string) {
    this.keys = rebuildKeys(namespace);
  }

  async get(id: string): Promise<RebuildRecord | null> {
    const v = await this.redis.get(this.keys.record(id));
    return v === null ? null : (JSON.parse(v) as RebuildRecord);
  }

  async put(r: RebuildRecord): Promise<void> {
    await this.redis.multi().set(this.keys.record(r.id), JSON.stringify(r)).zadd(this.keys.index, String(Date.parse(r.startedAt)), r.id).exec();
  }

  async update(id: string, change: Partial<RebuildRecord>): Promise<RebuildRecord> {
    const r = await this.get(id);
    if (!r) throw new Error(`no rebuild ${id}`);
    const next = { ...r, ...change };
    await this.put(next);
    return next;
  }

  async list(): Promise<RebuildRecord[]> {
    const ids = await this.redis.zrange(this.keys.index, '0', '-1');
    return (await Promise.all(ids.map((id) => this.get(id)))).filter((r): r is RebuildRecord => r !== null);
  }

  async putDiff(d: RebuildDiff): Promise<void> {
    await this.redis.set(this.keys.diff(d.id), JSON.stringify(d));
  }

  async diff(id: string): Promise<RebuildDiff | null> {
    const v = await this.redis.get(this.keys.diff(id));
    return v === null ? null : (JSON.parse(v) as RebuildDiff);
  }

  async active(): Promise<ActiveData | null> {
    const v = await this.redis.get(this.keys.active);
    return v === null ? null : (JSON.parse(v) as ActiveData);
  }
}
