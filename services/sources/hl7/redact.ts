import type { Hl7Message } from '@medplum/core';
import type { AdtMapping } from './adt-mapping.ts';

/** Segments with no patient's personal data in them: kept as they came. */
const KEPT = new Set(['MSH', 'EVN', 'PV1', 'PV2']);
const HIDDEN = '***';

/**
 * The message as a dead letter keeps it: its structure and everything utklar reads (the MSH,
 * EVN and PV1 segments, the locations the mapping names, PID-3's assigning authorities), but no
 * name, address, birth date, phone or next of kin: the dead-letter topic keeps messages forever.
 * PID-3's ids are blanked here; the personnummer scrub that follows (scrub.ts) turns the ones
 * found elsewhere into patientKeys. The identity is not lost: a rejected event's patientKey is
 * in the scrubbed PID-3 when `keepIdentity` is given.
 */
export function redactHl7(message: Hl7Message, mapping: AdtMapping | undefined, keepIdentity: (id: string) => string | null = () => null): string {
  const c = message.context;
  const named = new Map<string, Set<string>>();
  for (const spec of Object.values(mapping?.fields ?? {})) {
    for (const l of spec.from ?? []) {
      const key = `${l.segment}-${l.field}`;
      if (!named.has(key)) named.set(key, new Set());
      named.get(key)!.add(String(l.component));
    }
  }
  return message.segments.map((segment) => {
    if (KEPT.has(segment.name)) return segment.toString();
    const fields = segment.fields.map((field, i) => {
      const text = field.toString();
      if (i === 0 || text === '' || (segment.name === 'PID' && i === 1)) return text;
      if (segment.name === 'PID' && i === 3) {
        // Each repetition's id, hidden or as its pseudonym; the authority (which kind of id) stays.
        return field.components.map((rep) => rep.map((comp, k) => (k === 0 && comp !== '' ? keepIdentity(comp) ?? HIDDEN : comp)).join(c.componentSeparator)).join(c.repetitionSeparator);
      }
      const keep = named.get(`${segment.name}-${i}`);
      if (!keep) return HIDDEN;
      return field.components.map((rep) => rep.map((comp, k) => (keep.has(String(k + 1)) || comp === '' ? comp : HIDDEN)).join(c.componentSeparator)).join(c.repetitionSeparator);
    });
    return fields.join(c.fieldSeparator);
  }).join('\r');
}
