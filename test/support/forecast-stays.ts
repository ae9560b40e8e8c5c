import { withCheckDigit } from '../../services/contract/personnummer.ts';
import { fromEpochDay, isoDate, stockholmMidnight } from '../../services/core/stockholm-time.ts';

const H = 3_600_000;
type Line = Record<string, unknown>;

/** An instant `hour` hours into a Stockholm day. */
export const atHour = (day: number, hour: number): string => new Date(stockholmMidnight(day) + hour * H).toISOString();

/**
 * The forecast tests' stays of Medicinkliniken: admitted, an admission notice an hour later with
 * an estimated discharge day, then (as given) ready and discharged. Each test file numbers its
 * patients from its own birth year, so two files' personnummer never meet.
 */
export function forecastStays(o: { birthYear: number; firstSerial: number; source: string; primaryCareUnit?: string }) {
  let patients = 0;
  return (id: string, home: string, admittedAt: string, estimate: number, then: { ready?: string; discharged?: string } = {}): Line[] => {
    const personnummer = withCheckDigit(`${o.birthYear}${String(1 + (patients % 12)).padStart(2, '0')}${String(1 + (patients % 28)).padStart(2, '0')}${String(o.firstSerial + patients++).padStart(3, '0')}`);
    const base = (type: string, occurredAt: string) => ({ type, eventId: `${id}-${type}`, occurredAt, source: o.source, personnummer, episodeId: id });
    return [
      { ...base('admission', admittedAt), region: '18', hospital: 'USO', clinic: 'Medicinkliniken', ward: 'Med 1', businessArea: 'Medicin', careType: 'SOMATIC', admissionType: 'ACUTE', homeMunicipality: home, ...(o.primaryCareUnit ? { primaryCareUnit: o.primaryCareUnit } : {}) },
      { ...base('admission-notice', new Date(Date.parse(admittedAt) + H).toISOString()), recipientMunicipality: home, estimatedDischargeDate: isoDate(fromEpochDay(estimate)) },
      ...(then.ready ? [{ ...base('ready-for-discharge', then.ready), recipientMunicipality: home, trackColour: 'GREEN', fastVardkontaktAppointed: true, sipNeeded: false }] : []),
      ...(then.discharged ? [{ ...base('discharge', then.discharged), destination: 'HOME_WITH_MUNICIPAL_CARE', clinic: 'Medicinkliniken', ward: 'Med 1' }] : []),
    ];
  };
}

/** NDJSON of the lines in event-time order, as a source would send them. */
export const inEventOrder = (lines: Line[]): string =>
  `${[...lines].sort((a, b) => Date.parse(String(a.occurredAt)) - Date.parse(String(b.occurredAt))).map((l) => JSON.stringify(l)).join('\n')}\n`;
