import type { Hl7Message } from '@medplum/core';
import type { AdtMapping, Location } from './adt-mapping.ts';

/** Segments with no patient's personal data in them: kept as they came. */
const KEPT = new Set(['MSH', 'EVN', 'PV1', 'PV2']);
const HIDDEN = '***';
/**
 * Times in the kept segments: a 12-digit HL7 time (YYYYMMDDHHMM) can pass a personnummer's check
 * digit, so these are not scrubbed.
 */
const TIMES = new Set(['MSH-7', 'EVN-2', 'EVN-3', 'EVN-6', 'PV1-44', 'PV1-45', 'PV2-8', 'PV2-9']);

/**
 * The message as a dead letter keeps it: its structure and everything utklar reads (the MSH,
 * EVN and PV1 segments, the locations the mapping names, PID-3's assigning authorities), but no
 * name, address, birth date, phone or next of kin: the dead-letter topic keeps messages forever.
 * A personnummer in PID-3 or anywhere in the kept fields becomes its patientKey (`scrub`, see
 * scrub.ts), which still links the dead letter to the patient; any other PID-3 id is hidden.
 */
export function redactHl7(message: Hl7Message, mapping: AdtMapping | undefined, scrub: (text: string) => string, episode: (sourceId: string) => string = () => HIDDEN): string {
  const c = message.context;
  // The source's episode id (PV1-19, the visit number) links to the patient in the EHR: it is kept
  // as the pseudonym everything downstream knows the episode by, as the events carry it.
  const episodeAt = componentsByField(mapping?.fields.episodeId?.from ?? []);
  const named = componentsByField(Object.values(mapping?.fields ?? {}).flatMap((spec) => spec.from ?? []));
  return message.segments.map((segment) => {
    const fields = segment.fields.map((field, i) => {
      const ids = episodeAt.get(`${segment.name}-${segment.name === 'MSH' ? i + 1 : i}`);
      if (i > 0 && ids && field.toString() !== '') {
        return field.components.map((rep) => rep.map((comp, k) => (comp === '' ? comp : ids.has(String(k + 1)) ? episode(comp) : scrub(comp))).join(c.componentSeparator)).join(c.repetitionSeparator);
      }
      if (KEPT.has(segment.name)) return i === 0 || TIMES.has(`${segment.name}-${segment.name === 'MSH' ? i + 1 : i}`) ? field.toString() : scrub(field.toString());
      const text = field.toString();
      if (i === 0 || text === '' || (segment.name === 'PID' && i === 1)) return text;
      if (segment.name === 'PID' && i === 3) {
        // Each repetition's id, hidden or as its pseudonym; the authority (which kind of id) stays.
        return field.components.map((rep) => rep.map((comp, k) => {
          if (k !== 0 || comp === '') return comp;
          const scrubbed = scrub(comp);
          return scrubbed === comp ? HIDDEN : scrubbed;
        }).join(c.componentSeparator)).join(c.repetitionSeparator);
      }
      const keep = named.get(`${segment.name}-${i}`);
      if (!keep) return HIDDEN;
      return field.components.map((rep) => rep.map((comp, k) => (comp === '' ? comp : keep.has(String(k + 1)) ? scrub(comp) : HIDDEN)).join(c.componentSeparator)).join(c.repetitionSeparator);
    });
    return fields.join(c.fieldSeparator);
  }).join('\r');
}

/** The components the locations name, by `SEG-field`. */
function componentsByField(locations: readonly Location[]): Map<string, Set<string>> {
  const byField = new Map<string, Set<string>>();
  for (const l of locations) {
    const key = `${l.segment}-${l.field}`;
    if (!byField.has(key)) byField.set(key, new Set());
    byField.get(key)!.add(String(l.component));
  }
  return byField;
}
