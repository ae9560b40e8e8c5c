import type { Admin } from 'kafkajs';
import type { Pipeline } from '../app/pipeline.ts';
import { progressOf, type PartitionProgress, type Progress } from './progress.ts';

/** Where a topic's partitions begin and end now: a new rebuild's start and target. */
export async function topicBounds(admin: Admin, topic: string): Promise<PartitionProgress[]> {
  return (await admin.fetchTopicOffsets(topic))
    .map((p) => ({ partition: p.partition, start: Number(p.low), target: Number(p.high), next: Number(p.low) }))
    .sort((a, b) => a.partition - b.partition);
}

/** The group's next offset per partition (its commit, or the partition's start when it has none). */
async function positions(admin: Admin, groupId: string, topic: string, parts: readonly PartitionProgress[]): Promise<PartitionProgress[]> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return parts.map((p) => {
    const c = Number(committed?.partitions.find((x) => x.partition === p.partition)?.offset ?? '-1');
    return { ...p, next: c >= 0 ? c : p.start };
  });
}

export interface ReplayOptions {
  pipeline: Pipeline;
  admin: Admin;
  topic: string;
  groupId: string;
  parts: readonly PartitionProgress[];
  onProgress: (p: Progress, parts: PartitionProgress[]) => void | Promise<void>;
  pollMs?: number;
  /** How long the group must stand still one offset short of a target (a transaction marker there) to count as arrived. */
  settleMs?: number;
  /** How long looks at the progress may fail in a row before the replay is given up (default 2 minutes). */
  giveUpAfterMs?: number;
  /** Told of a look that failed and will be tried again. */
  onRetry?: (err: unknown) => void;
}

/**
 * Waits until the (running) shadow pipeline has applied every event up to the targets and stored
 * what follows from them: every partition's commit at its target (a commit waits for its events'
 * rows), and every outbox entry written by then published and deleted (an entry is deleted once its
 * derived rows are stored). A transactional producer's last record is its commit marker, which a
 * consumer never commits past: a partition one short of its target counts once its commit stood
 * still there for `settleMs` (a real event there would have been read and committed by then).
 * Both hold while events go on arriving (a live region, a promotion's catch-up under load): each
 * partition settles on its own, and the outboxes are drained up to what they held when the targets
 * were reached, not until empty, which a steady stream of events may never leave them.
 */
export async function replayUntilTargets(o: ReplayOptions): Promise<PartitionProgress[]> {
  const pollMs = o.pollMs ?? 1_000;
  const settleMs = o.settleMs ?? 3_000;
  const samples: { at: number; done: number }[] = [];
  const still = new Map<number, { next: number; since: number }>();
  let marks: (string | null)[] | null = null;
  let failingSince: number | null = null;
  for (;;) {
    let parts: PartitionProgress[];
    try {
      parts = await positions(o.admin, o.groupId, o.topic, o.parts);
      const p = progressOf(parts, samples);
      samples.push({ at: Date.now(), done: p.done });
      if (samples.length > 30) samples.shift();
      const now = Date.now();
      for (const x of parts) if (still.get(x.partition)?.next !== x.next) still.set(x.partition, { next: x.next, since: now });
      const reached = parts.every((x) => x.next >= x.target || (x.next === x.target - 1 && now - still.get(x.partition)!.since >= settleMs));
      // Commits only grow: once reached, the outboxes hold every entry of the events up to the targets.
      if (reached && !marks) marks = await outboxMarks(o.pipeline, parts.length);
      // Every event applied, the derived entries may still be on their way (the outbox publishes behind the clock): said, not hidden behind "100 %".
      const draining = marks ? await toDrain(o.pipeline, marks) : p.done >= p.total ? (await outboxLength(o.pipeline, parts.length)) + o.pipeline.rows.pending : undefined;
      await o.onProgress({ ...progressOf(parts, samples), ...(draining ? { draining } : {}) }, parts);
      failingSince = null;
      if (marks && draining === 0) return parts;
    } catch (e) {
      // A look failed, not the replay (the shadow pipeline applies on by itself): a Redis busy with
      // a long script (BUSY) or restarting, a broker between leaders. The next look tries again;
      // only looks failing for minutes give the replay up. (2026-12-06: a 1 M-event rebuild beside
      // a loaded live pipeline died at 57 % on one BUSY reply to its progress record's write.)
      failingSince ??= Date.now();
      if (Date.now() - failingSince >= (o.giveUpAfterMs ?? 120_000)) throw e;
      o.onRetry?.(e);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

async function outboxLength(pipeline: Pipeline, partitions: number): Promise<number> {
  let n = 0;
  for (let p = 0; p < partitions; p++) n += await pipeline.redis.xlen(pipeline.clocks.keys.of(p).outbox);
  return n;
}

/** Each partition's newest outbox entry (null: empty). */
async function outboxMarks(pipeline: Pipeline, partitions: number): Promise<(string | null)[]> {
  const marks: (string | null)[] = [];
  for (let p = 0; p < partitions; p++) marks.push((await pipeline.redis.xrevrange(pipeline.clocks.keys.of(p).outbox, '+', '-', 'COUNT', 1))[0]?.[0] ?? null);
  return marks;
}

/** Stream ids (`<ms>-<seq>`) in order. */
const notAfter = (a: string, b: string) => {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am < bm || (am === bm && as <= bs);
};

/** Entries still in the outboxes whose oldest is at or before its mark (the whole outbox counted: an upper bound, shown while it drains); 0 when every mark is passed. */
async function toDrain(pipeline: Pipeline, marks: readonly (string | null)[]): Promise<number> {
  let n = 0;
  for (const [p, mark] of marks.entries()) {
    if (mark === null) continue;
    const key = pipeline.clocks.keys.of(p).outbox;
    const oldest = (await pipeline.redis.xrange(key, '-', '+', 'COUNT', 1))[0]?.[0];
    if (oldest !== undefined && notAfter(oldest, mark)) n += await pipeline.redis.xlen(key);
  }
  return n;
}
