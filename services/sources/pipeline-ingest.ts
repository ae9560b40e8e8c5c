import type { Kafka } from 'kafkajs';
import type { Config } from '../core/config.ts';
import { UtklarError } from '../core/errors.ts';
import { Pseudonymiser } from '../contract/pseudonymise.ts';
import { DeadLetters } from '../kafka/dead-letter.ts';
import { EventProducer } from '../producer/event-producer.ts';
import { SourceIngest } from './ingest.ts';
import type { SourceMetrics } from './metrics.ts';

/**
 * The HTTP edge's ingest, made on the first POST: a pipeline that never receives events over
 * HTTP opens no producer and needs no pseudonym key. A failed connect is tried again next time.
 */
type Channel = 'http' | 'fhir' | 'fhir-bundle';

export function lazyIngest(kafka: Kafka, config: Config, metrics: SourceMetrics): { get: (channel?: Channel) => Promise<SourceIngest>; close: () => Promise<void> } {
  let made: Promise<{ ingest: Record<Channel, SourceIngest>; producer: EventProducer; deadLetters: DeadLetters }> | undefined;
  const make = async () => {
    if (!config.pseudonymKey) throw new UtklarError('DEPENDENCY_UNAVAILABLE', 'receiving events needs UTKLAR_PSEUDONYM_KEY in the pipeline process');
    const pseudonymiser = new Pseudonymiser(config.pseudonymKey, { episodeIssuer: config.episodeIssuer });
    const producer = new EventProducer(kafka, config.registryUrl, config.namespace, config.eventPartitions);
    const deadLetters = new DeadLetters(kafka, config.namespace);
    try {
      await producer.connect();
      await deadLetters.connect();
    } catch (cause) {
      throw new UtklarError('DEPENDENCY_UNAVAILABLE', `kafka: ${(cause as Error).message}`, { retriable: true, cause });
    }
    const ingest = {
      http: new SourceIngest(producer, deadLetters, pseudonymiser, { name: 'http', consumer: 'api-events', sourceTopic: 'http:/api/v1/events' }, metrics),
      fhir: new SourceIngest(producer, deadLetters, pseudonymiser, { name: 'fhir', consumer: 'api-fhir', sourceTopic: 'http:/api/v1/fhir/Encounter' }, metrics),
      'fhir-bundle': new SourceIngest(producer, deadLetters, pseudonymiser, { name: 'fhir', consumer: 'api-fhir', sourceTopic: 'http:/api/v1/fhir' }, metrics),
    };
    return { ingest, producer, deadLetters };
  };
  return {
    get: async (channel = 'http') => {
      made ??= make();
      try {
        return (await made).ingest[channel];
      } catch (e) {
        made = undefined;
        throw e;
      }
    },
    close: async () => {
      const m = await made?.catch(() => undefined);
      await m?.producer.disconnect().catch(() => undefined);
      await m?.deadLetters.disconnect().catch(() => undefined);
    },
  };
}
