import { readFileSync } from 'node:fs';
import { stockholmTimeOfDayMs } from '../../services/core/stockholm-time.ts';
import { DEFAULT_MAPPING_FILE } from '../../services/sources/hl7/adt-mapping.ts';
import { CLINICS } from '../../services/simulator/orebro-region.ts';
import type { NdjsonEvent } from '../../services/simulator/simulate.ts';
import { PNR_OID } from './hl7-messages.ts';

/**
 * A simulated day as an EHR and a coordination system would send it: the EHR's part
 * (admissions, transfers, discharges, cancellations, corrections) as HL7 v2.5 ADT messages, the
 * rest (notices, ready, withdrawals, delay reasons, the readmission report) as NDJSON. Pure: the
 * same events give the same messages, so a test knows every expected clock in advance.
 *
 * What has no ADT form stays NDJSON on both sides:
 * - admission-notice, ready-for-discharge, ready-withdrawn, delay-reason: the coordination
 *   system's (Lifecare's) messages, not the EHR's;
 * - readmission (the EHR's report that a stay is a readmission of a named earlier stay): ADT
 *   has PV1-13 (re-admission indicator), a yes/no with no reference to the index stay, and no
 *   trigger for the report.
 */
export const ADT_EVENT_TYPES = new Set(['admission', 'transfer', 'discharge', 'admission-cancelled', 'discharge-cancelled']);

/** PV1-10 (hospital service) as the simulated region's EHR codes its clinics. */
export const SERVICE_CODES: Record<string, string> = {
  Medicinkliniken: 'MED',
  'Geriatriska kliniken': 'GER',
  Ortopedkliniken: 'ORT',
  'Kirurgiska kliniken': 'KIR',
  'Psykiatriska kliniken': 'PSY',
};

/** HL7 table 0112 (discharge disposition) as the default mapping reads it; OTHER is sent empty. */
const DISPOSITION: Record<string, string> = {
  HOME: '01', OTHER_HOSPITAL: '02', SHORT_TERM_CARE: '03', NURSING_HOME: '04', HOME_WITH_MUNICIPAL_CARE: '06', DECEASED: '20', OTHER: '',
};

/**
 * The simulated region's mapping file, as a region writes its own: the default one, except that
 * PV1-10 holds a service code the file translates to the clinic, its verksamhetsområde and the
 * care type (the default reads the clinic's name into all three, which the simulator's
 * "Medicinkliniken" / "Medicin" would not survive).
 */
export function simulatedRegionMapping(): Record<string, unknown> {
  const base = JSON.parse(readFileSync(DEFAULT_MAPPING_FILE, 'utf8')) as { fields: Record<string, unknown> };
  const byCode = (pick: (c: (typeof CLINICS)[number]) => string) => Object.fromEntries(CLINICS.map((c) => [SERVICE_CODES[c.clinic]!, pick(c)]));
  return {
    ...base,
    fields: {
      ...base.fields,
      clinic: { from: ['PV1-10.1'], codes: byCode((c) => c.clinic) },
      businessArea: { from: ['PV1-10.1'], codes: byCode((c) => c.businessArea) },
      careType: { from: ['PV1-10.1'], codes: byCode((c) => (c.psychiatric ? 'PSYCHIATRIC' : 'SOMATIC')) },
    },
  };
}

/**
 * Corrections the simulator does not make: every `every`-th admitted stay whose clinic has
 * another ward is corrected half an hour after its admission to that ward (the EHR's A08; in
 * the contract a repeated admission). Stays that are cancelled are left alone. Returned in time
 * order, none after `until`.
 */
export function withCorrections(events: NdjsonEvent[], every: number, until: number): NdjsonEvent[] {
  const cancelled = new Set(events.filter((e) => e.type === 'admission-cancelled').map((e) => e.episodeId));
  const out = [...events];
  let n = 0;
  for (const e of events) {
    if (e.type !== 'admission' || cancelled.has(e.episodeId as string)) continue;
    const wards = CLINICS.find((c) => c.clinic === e.clinic)?.wards ?? [];
    if (wards.length < 2 || ++n % every !== 0) continue;
    const at = Date.parse(e.occurredAt) + 30 * 60_000;
    if (at > until) continue;
    out.push({ ...e, eventId: `${e.eventId}-a08`, occurredAt: new Date(at).toISOString(), ward: wards.find((w) => w !== e.ward)! });
  }
  // Stable: events of the same millisecond keep the simulator's order.
  return out.map((e, i) => ({ e, i })).sort((a, b) => Date.parse(a.e.occurredAt) - Date.parse(b.e.occurredAt) || a.i - b.i).map((x) => x.e);
}

/** An instant as an HL7 DTM in Stockholm wall-clock time with its offset, to the millisecond. */
export function hl7Time(ms: number): string {
  const wall = stockholmTimeOfDayMs(ms);
  const utcOfDay = ((ms % 86_400_000) + 86_400_000) % 86_400_000;
  let offsetMin = Math.round((wall - utcOfDay) / 60_000);
  if (offsetMin < -12 * 60) offsetMin += 24 * 60;
  if (offsetMin > 14 * 60) offsetMin -= 24 * 60;
  const local = new Date(ms + offsetMin * 60_000).toISOString();
  const digits = local.slice(0, 19).replace(/\D/g, '');
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${digits}.${local.slice(20, 23)}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
}

export type DayItem = { kind: 'hl7'; event: NdjsonEvent; message: string; controlId: string } | { kind: 'ndjson'; event: NdjsonEvent; line: string };

/**
 * Each event, in the given order, as what its system sends: an ADT message (MSH-10 = the
 * simulator's event id, so a test can tell which event a stored id came from) or an NDJSON line.
 * The first admission of a stay is an A01, a later one (a correction) an A08.
 */
export function toSourceTraffic(events: NdjsonEvent[]): DayItem[] {
  const admitted = new Map<string, NdjsonEvent>();
  const where = new Map<string, { hospital: string; clinic: string; ward: string }>();
  return events.map((e): DayItem => {
    if (!ADT_EVENT_TYPES.has(e.type)) return { kind: 'ndjson', event: e, line: JSON.stringify(e) };
    const episodeId = e.episodeId as string;
    const first = admitted.get(episodeId);
    if (e.type === 'admission') {
      admitted.set(episodeId, e);
      where.set(episodeId, { hospital: e.hospital as string, clinic: e.clinic as string, ward: e.ward as string });
    }
    if (e.type === 'transfer') where.set(episodeId, { hospital: e.hospital as string, clinic: e.clinic as string, ward: e.ward as string });
    const admission = admitted.get(episodeId);
    if (!admission) throw new Error(`${e.type} ${e.eventId} before its stay's admission: the simulator sends none`);
    const trigger = e.type === 'admission' ? (first ? 'A08' : 'A01') : { transfer: 'A02', discharge: 'A03', 'admission-cancelled': 'A11', 'discharge-cancelled': 'A13' }[e.type]!;
    const controlId = e.eventId as string;
    return { kind: 'hl7', event: e, controlId, message: adtMessage(trigger, e, admission, where.get(episodeId)!) };
  });
}

function adtMessage(trigger: string, e: NdjsonEvent, admission: NdjsonEvent, at: { hospital: string; clinic: string; ward: string }): string {
  const t = hl7Time(Date.parse(e.occurredAt));
  const admittedAt = hl7Time(Date.parse((trigger === 'A01' ? e : admission).occurredAt));
  const pnr = e.personnummer as string;
  // A discharge names the ward and clinic the patient leaves from; an A01/A08 carries its own data.
  const loc = e.type === 'admission' ? { hospital: e.hospital as string, clinic: e.clinic as string, ward: e.ward as string } : e.type === 'discharge' ? { ...at, clinic: e.clinic as string, ward: e.ward as string } : at;
  const data = e.type === 'admission' ? e : admission;
  const pv1: Record<number, string> = {
    2: 'I',
    3: `${loc.ward}^^^${loc.hospital}`,
    4: data.admissionType === 'PLANNED' ? 'R' : 'E',
    10: SERVICE_CODES[loc.clinic] ?? loc.clinic,
    19: e.episodeId as string,
    44: admittedAt,
  };
  if (e.type === 'discharge') {
    pv1[36] = DISPOSITION[e.destination as string] ?? '';
    pv1[45] = t;
  }
  const pv1Fields = ['PV1', '1'];
  for (let i = 2; i <= Math.max(...Object.keys(pv1).map(Number)); i++) pv1Fields.push(pv1[i] ?? '');
  return [
    `MSH|^~\\&|COSMIC|${at.hospital}|UTKLAR|RO|${t}||ADT^${trigger}^ADT_A01|${e.eventId}|P|2.5`,
    `EVN|${trigger}|${t}||||${t}`,
    `PID|1||${pnr}^^^&${PNR_OID}&ISO^PN||Simulerad^Patient||${pnr.slice(0, 8)}|U|||^^^^^SE^H^^${data.homeMunicipality}`,
    `PD1|||${data.primaryCareUnit ?? ''}`,
    pv1Fields.join('|'),
  ].join('\r');
}
