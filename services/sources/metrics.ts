import { Counter, type Registry } from 'prom-client';

/** What the source edges (HTTP, MLLP) received and how they answered, by channel and code. */
export function createSourceMetrics(registry: Registry) {
  const registers = [registry];
  return {
    received: new Counter({ name: 'utklar_source_messages_received_total', help: 'Messages (HL7 v2 messages, HTTP event lines) received at a source edge', labelNames: ['channel'] as const, registers }),
    answered: new Counter({
      name: 'utklar_source_messages_answered_total',
      help: 'Source messages answered, by code: HL7 AA / AE / AR, HTTP accepted / rejected',
      labelNames: ['channel', 'code'] as const, registers,
    }),
    deadLettered: new Counter({ name: 'utklar_source_messages_dead_lettered_total', help: 'Source messages sent to the dead-letter topic, by error code', labelNames: ['channel', 'code'] as const, registers }),
  };
}
export type SourceMetrics = ReturnType<typeof createSourceMetrics>;
