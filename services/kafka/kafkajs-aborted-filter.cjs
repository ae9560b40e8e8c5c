'use strict'
/*
 * kafkajs 2.2.4 filters a read_committed fetch's aborted transactions wrongly: it expects the
 * broker's list of aborted transactions sorted by first offset and takes at most one per message.
 * The broker lists them by where they ended (their abort marker), so when transactions of several
 * producers interleave in a partition (the changelog: one transactional producer per events
 * partition; the events topic: every source), an aborted transaction that began before one listed
 * ahead of it is not filtered, and its messages reach the handler as if committed. Seen in the
 * crash-equivalence test: a SIGKILLed process's aborted transaction of 814 changelog messages
 * read as committed beside the new owner's. The Java client keeps them in a priority queue by
 * first offset; this does the same, as a drop-in for kafkajs' own module.
 *
 * Loaded before kafkajs (bin/utklar: node --require; the tests: vitest setupFiles), it takes the
 * place of kafkajs/src/consumer/filterAbortedMessages.js in the module cache, so kafkajs' Batch
 * uses it. services/kafka/client.ts checks that it did.
 */
const Module = require('module')
const path = require.resolve('kafkajs/src/consumer/filterAbortedMessages.js')
const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0])

const isAbortMarker = (message) => Boolean(message.key) && Buffer.from(message.key).equals(ABORT_MARKER_KEY)

function filterAbortedMessages({ messages, abortedTransactions }) {
  if (!abortedTransactions || abortedTransactions.length === 0) return messages
  const pending = abortedTransactions
    .map((t) => ({ producerId: String(t.producerId), first: BigInt(t.firstOffset) }))
    .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0))
  const aborted = new Set()
  return messages.filter((message) => {
    // Every aborted transaction that began at or before this message is under way now.
    const offset = BigInt(message.offset)
    while (pending.length > 0 && pending[0].first <= offset) aborted.add(pending.shift().producerId)
    const { producerId, inTransaction } = message.batchContext
    if (isAbortMarker(message)) {
      aborted.delete(String(producerId))
      return true
    }
    return !(inTransaction && aborted.has(String(producerId)))
  })
}
filterAbortedMessages.readCommittedFix = true

if (!require.cache[path]?.exports?.readCommittedFix) {
  const replacement = new Module(path, module)
  replacement.filename = path
  replacement.loaded = true
  replacement.exports = filterAbortedMessages
  require.cache[path] = replacement
}

module.exports = { filterAbortedMessages, kafkajsModule: path }
