import { createRequire } from 'node:module';
import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { Config } from '../core/config.ts';
import { logger } from '../core/log.ts';

const kafkaLog = logger('kafkajs');

/**
 * Whether kafkajs filters aborted transactions with the fix (kafkajs-aborted-filter.cjs), which
 * must be loaded before kafkajs is (node --require); an entry point that forgets it is said once.
 */
export const readCommittedFixed = (): boolean =>
  (createRequire(import.meta.url)('kafkajs/src/consumer/filterAbortedMessages.js') as { readCommittedFix?: boolean }).readCommittedFix === true;
let fixChecked = false;

// kafkajs logs through its own creator. Its ERROR lines are mostly retried protocol errors
// (e.g. 'coordinator loading' right after a broker starts), so they are warnings here; failures
// that survive its retries reach our code as exceptions and are logged there as errors.
const logCreator = () => (entry: LogEntry) => {
  const { message, ...extra } = entry.log;
  const fields = { namespace: entry.namespace, ...extra };
  if (entry.level <= logLevel.WARN) kafkaLog.warn(fields, message);
  else kafkaLog.debug(fields, message);
};

export function createKafka(config: Config, clientId: string): Kafka {
  if (!fixChecked && !readCommittedFixed()) {
    kafkaLog.error('kafkajs was loaded without its read_committed fix (services/kafka/kafkajs-aborted-filter.cjs, node --require): messages of aborted transactions can reach consumers');
  }
  fixChecked = true;
  return new Kafka({
    clientId,
    brokers: config.kafkaBrokers,
    logLevel: logLevel.WARN,
    logCreator,
    retry: { retries: 8, initialRetryTime: 200 },
  });
}
