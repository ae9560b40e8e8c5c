import type { Config } from '../../core/config.ts';
import { DEFAULT_MAPPING_FILE, loadAdtMapping } from '../hl7/adt-mapping.ts';

const read = new Map<string, readonly string[]>();

/**
 * The region's reservnummer OIDs for the FHIR edge: the list its HL7 mapping file keeps
 * (`identifiers.reservnummer`, UTKLAR_HL7_MAPPING or the default file), so one region edits one
 * list. Read at the first FHIR request, not at pipeline start: a pipeline that takes no FHIR
 * needs no mapping file. A broken file is a CONFIG error each time, until it is fixed.
 */
export function reservnummerOids(config: Pick<Config, 'hl7Mapping'>): readonly string[] {
  const file = config.hl7Mapping ?? DEFAULT_MAPPING_FILE;
  let oids = read.get(file);
  if (oids === undefined) {
    oids = loadAdtMapping(file).identifiers.reservnummer;
    read.set(file, oids);
  }
  return oids;
}
