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
}

/**
 * Waits until the (running) shadow pipeline has applied every event up to the targets and its
 * derived rows are stored: every partition's commit at its target, every outbox empty and the row
 * buffer drained. A transactional producer's last record is its commit marker, which a consumer
 * never commits past: a partition one short of its target counts once the group stood still there
 * for `settleMs` (a real event there would have been read and committed by then).
 */
export async function replayUntilTargets(o: ReplayOptions): Promise<PartitionProgress[]> {
  const pollMs = o.pollMs ?? 1_000;
  const settleMs = o.settleMs ?? 3_000;
  const samples: { at: number; done: number }[] = [];
  let stillSince = Date.now();
  let lastSum = -1;
  for (;;) {
    const parts = await positions(o.admin, o.groupId, o.topic, o.parts);
    const p = progressOf(parts, samples);
    samples.push({ at: Date.now(), done: p.done });
    if (samples.length > 30) samples.shift();
    const sum = parts.reduce((s, x) => s + x.next, 0);
    if (sum !== lastSum) [lastSum, stillSince] = [sum, Date.now()];
    const reached = parts.every((x) => x.next >= x.target || (x.next === x.target - 1 && Date.now() - stillSince >= settleMs));
    // Every event applied, the derived entries may still be on their way (the outbox publishes behind the clock): said, not hidden behind "100 %".
    const draining = reached || p.done >= p.total ? (await outboxLength(o.pipeline, parts.length)) + o.pipeline.rows.pending : undefined;
    await o.onProgress({ ...progressOf(parts, samples), ...(draining ? { draining } : {}) }, parts);
    if (reached && draining === 0) return parts;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

async function outboxLength(pipeline: Pipeline, partitions: number): Promise<number> {
  let n = 0;
  for (let p = 0; p < partitions; p++) n += await pipeline.redis.xlen(pipeline.clocks.keys.of(p).outbox);
  return n;
}
