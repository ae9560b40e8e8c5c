import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { readCommittedFixed } from '../../services/kafka/client.ts';

const require = createRequire(import.meta.url);
type Message = { offset: string; key: Buffer; batchContext: { producerId: string; inTransaction: boolean }; isControlRecord: boolean };
type Filter = (o: { messages: Message[]; abortedTransactions: { producerId: string; firstOffset: string }[] }) => Message[];
// kafkajs' Batch requires this module: after the fix it is ours (services/kafka/kafkajs-aborted-filter.cjs).
const filter = require('kafkajs/src/consumer/filterAbortedMessages.js') as Filter;

const ABORT = Buffer.from([0, 0, 0, 0]);
const COMMIT = Buffer.from([0, 0, 0, 1]);
const record = (offset: number, producer: number, inTransaction = true): Message => ({ offset: String(offset), key: Buffer.from('k'), batchContext: { producerId: String(producer), inTransaction }, isControlRecord: false });
const marker = (offset: number, producer: number, key: Buffer): Message => ({ offset: String(offset), key, batchContext: { producerId: String(producer), inTransaction: true }, isControlRecord: true });
const delivered = (messages: Message[], aborted: { producerId: string; firstOffset: string }[]) =>
  filter({ messages, abortedTransactions: aborted }).filter((m) => !m.isControlRecord).map((m) => Number(m.offset));

describe("kafkajs' read_committed filter, fixed", () => {
  it('is the one kafkajs uses in this process (loaded before kafkajs)', () => {
    expect(readCommittedFixed()).toBe(true);
  });

  it('interleaved transactions of several producers: an aborted one listed after another (by its end) is still dropped', () => {
    // Producer 1's transaction 10–12 aborted at 20, producer 2's 11–13 aborted at 15, producer 3
    // committed 16–17 at 18. The broker lists aborted transactions by their marker: 2 before 1.
    const messages = [record(10, 1), record(11, 2), record(12, 1), record(13, 2), marker(15, 2, ABORT), record(16, 3), record(17, 3), marker(18, 3, COMMIT), marker(20, 1, ABORT)];
    expect(delivered(messages, [{ producerId: '2', firstOffset: '11' }, { producerId: '1', firstOffset: '10' }])).toEqual([16, 17]);
  });

  it('a producer aborts, then commits its next transaction: only the aborted one is dropped', () => {
    const messages = [record(0, 7), record(1, 7), marker(2, 7, ABORT), record(3, 7), marker(4, 7, COMMIT), record(5, 8, false)];
    expect(delivered(messages, [{ producerId: '7', firstOffset: '0' }])).toEqual([3, 5]);
  });

  it("a retired producer's transaction aborted on timeout, its marker after the next producer's committed ones: only its own are dropped", () => {
    // The feeder's pattern across a broker restart: producer 1's send failed after writing 10–11,
    // it was retired unended; producer 2 sent the chunk again and went on (committed at 14, 17);
    // the coordinator aborted producer 1's transaction a minute later (marker at 20).
    const messages = [record(10, 1), record(11, 1), record(12, 2), record(13, 2), marker(14, 2, COMMIT), record(15, 2), record(16, 2), marker(17, 2, COMMIT), record(18, 3, false), marker(20, 1, ABORT)];
    expect(delivered(messages, [{ producerId: '1', firstOffset: '10' }])).toEqual([12, 13, 15, 16, 18]);
  });

  it('an aborted transaction that wrote nothing to the partition (its marker is its first offset), then the same producer commits', () => {
    const messages = [record(0, 4), marker(1, 4, COMMIT), marker(2, 4, ABORT), record(3, 4), record(4, 5), marker(5, 4, COMMIT)];
    expect(delivered(messages, [{ producerId: '4', firstOffset: '2' }])).toEqual([0, 3, 4]);
  });

  it('a fetch that starts inside an aborted transaction (the broker lists it by its first offset, before the fetch)', () => {
    const messages = [record(12, 1), record(13, 2), marker(14, 1, ABORT), record(15, 1), marker(16, 1, COMMIT), marker(17, 2, COMMIT)];
    expect(delivered(messages, [{ producerId: '1', firstOffset: '3' }])).toEqual([13, 15]);
  });

  it('no aborted transaction: everything is delivered', () => {
    expect(delivered([record(0, 1), marker(1, 1, COMMIT), record(2, 2, false)], [])).toEqual([0, 2]);
  });
});
