import type { ApplyPlan, OpenIndexes } from '../clock/apply-plan.ts';
import type { DecodedEvent } from '../model/decoded-event.ts';
import type { PartitionKeys } from './clock-keys.ts';
import type { ScriptCall } from './scripts.ts';

const indexSets = (k: PartitionKeys, ix: OpenIndexes): string[] => [
  ...(ix.region ? [k.openInRegion(ix.region)] : []),
  ...(ix.municipality ? [k.openInMunicipality(ix.municipality)] : []),
  ...(ix.ward ? [k.openInWard(...ix.ward)] : []),
];

/** A planned event as a step of apply-batch.lua's packed argument (see its header). */
export function batchStep(call: ScriptCall, k: PartitionKeys, d: DecodedEvent, plan: ApplyPlan): object {
  const { event } = d;
  if (plan.kind === 'reject') return { kind: 'reject', offset: d.offset, deadLetterKey: event.patientKey, entry: call.value(plan.entryJson) };
  return {
    kind: 'apply',
    offset: d.offset,
    episode: event.episodeId,
    eventId: event.eventId,
    occurredAt: String(event.occurredAt),
    version: plan.version ?? '',
    events: call.key(k.events(event.episodeId)),
    state: call.key(k.state(event.episodeId)),
    patient: call.key(k.patient(event.patientKey)),
    event: call.value(plan.eventJson),
    stored: call.value(plan.storedJson),
    ...(plan.historyJson !== null ? { history: call.value(plan.historyJson) } : {}),
    evictAt: plan.evictAt === null ? '' : String(plan.evictAt),
    timer: plan.timer === null ? '' : String(plan.timer),
    leave: indexSets(k, plan.leave).map((key) => call.key(key)),
    join: indexSets(k, plan.join).map((key) => call.key(key)),
    deadLetterKey: event.patientKey,
    deadLetters: plan.deadLetters.map((json) => call.value(json)),
    related: plan.related.map((r) => ({
      episode: r.episodeId,
      version: r.version,
      state: call.key(k.state(r.episodeId)),
      stored: call.value(r.storedJson),
    })),
  };
}
