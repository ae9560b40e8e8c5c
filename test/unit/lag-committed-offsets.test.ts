import { describe, expect, it } from 'vitest';
import { committedOffsets } from '../../services/kafka/lag.ts';

// kafkajs's protocol errors carry `retriable` (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS: true).
const kafkaError = (message: string, retriable: boolean) => Object.assign(new Error(message), { retriable });
const answer = [{ topic: 't', partitions: [{ partition: 0, offset: '7' }] }];

describe('committedOffsets: a moving group coordinator is asked again', () => {
  it('retries a retriable error with growing pauses, then answers', async () => {
    const errors = [kafkaError('This is not the correct coordinator for this group', true), kafkaError('The coordinator is loading', true)];
    const pauses: number[] = [];
    const admin = { fetchOffsets: async () => { const e = errors.shift(); if (e) throw e; return answer; } };
    expect(await committedOffsets(admin as never, 'g', 't', async (ms) => { pauses.push(ms); })).toEqual(answer);
    expect(pauses).toEqual([100, 200]);
  });

  it('gives up after five attempts, and never retries an error that is not retriable', async () => {
    let calls = 0;
    const always = { fetchOffsets: async () => { calls++; throw kafkaError('not the correct coordinator', true); } };
    await expect(committedOffsets(always as never, 'g', 't', async () => undefined)).rejects.toThrow('not the correct coordinator');
    expect(calls).toBe(5);
    calls = 0;
    const denied = { fetchOffsets: async () => { calls++; throw kafkaError('Not authorized to access group', false); } };
    await expect(committedOffsets(denied as never, 'g', 't', async () => undefined)).rejects.toThrow('Not authorized');
    expect(calls).toBe(1);
  });
});
