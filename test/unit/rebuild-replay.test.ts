import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { Pipeline } from '../../services/app/pipeline.ts';
import { replayUntilTargets } from '../../services/rebuild/replay.ts';

/**
 * The rebuild's wait for its replay, with a broker and a Redis that fail some looks: a look that
 * fails is tried again, the replay is not given up (a 1 M-event rebuild died at 57 % on one Redis
 * BUSY reply to its progress write); looks failing for longer than the bound give it up.
 */
const busy = () => Object.assign(new Error('BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.'), { name: 'ReplyError' });

/** A shadow pipeline whose outboxes are empty (every entry published). */
const pipeline = {
  redis: { xrevrange: async () => [], xrange: async () => [], xlen: async () => 0 },
  clocks: { keys: { of: (p: number) => ({ outbox: `outbox:${p}` }) } },
  rows: { pending: 0 },
} as unknown as Pipeline;

/** A group committed at `committed` on two partitions whose targets are 100; `failures` looks fail first. */
function admin(failures: number, committed = '100'): { admin: Admin; looks: () => number } {
  let looks = 0;
  return {
    looks: () => looks,
    admin: {
      fetchOffsets: async () => {
        looks++;
        if (looks <= failures) throw busy();
        return [{ topic: 't', partitions: [{ partition: 0, offset: committed }, { partition: 1, offset: committed }] }];
      },
    } as unknown as Admin,
  };
}

const parts = [0, 1].map((partition) => ({ partition, start: 0, target: 100, next: 0 }));

describe('replayUntilTargets', () => {
  it('a look that fails (Redis BUSY, a broker between leaders) is tried again; the replay goes on to its end', async () => {
    const a = admin(3);
    const retried: unknown[] = [];
    const progress: number[] = [];
    let failProgress = 1;
    const done = await replayUntilTargets({
      pipeline, admin: a.admin, topic: 't', groupId: 'g', parts, pollMs: 1, settleMs: 0,
      onProgress: (p) => {
        // The progress record's write fails once too.
        if (failProgress-- > 0) throw busy();
        progress.push(p.done);
      },
      onRetry: (e) => retried.push(e),
    });
    expect(done.map((p) => p.next)).toEqual([100, 100]);
    expect(retried).toHaveLength(4);
    expect(retried.every((e) => (e as Error).message.startsWith('BUSY'))).toBe(true);
    expect(progress.at(-1)).toBe(200);
  });

  it('looks failing for longer than the bound give the replay up with the last error', async () => {
    const a = admin(Infinity);
    await expect(replayUntilTargets({ pipeline, admin: a.admin, topic: 't', groupId: 'g', parts, pollMs: 5, giveUpAfterMs: 50, onProgress: () => undefined })).rejects.toThrow(/^BUSY/);
    expect(a.looks()).toBeGreaterThan(3);
  });
});
