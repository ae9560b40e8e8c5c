import type { PatientEvent } from '../contract/event.ts';

/** An event as the consumer decoded it, with where it came from (the replay guard's offset). */
export interface DecodedEvent {
  event: PatientEvent;
  schemaId: number;
  partition: number;
  offset: string;
}
