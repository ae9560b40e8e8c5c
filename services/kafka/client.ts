import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { Config } from '../core/config.ts';
import { logger } from '../core/log.ts';

const kafkaLog = logger('kafkajs');

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
  return new Kafka({
    clientId,
    brokers: config.kafkaBrokers,
    logLevel: logLevel.WARN,
    logCreator,
    retry: { retries: 8, initialRetryTime: 200 },
  });
}
