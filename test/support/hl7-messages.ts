/**
 * ADT messages as a Swedish EHR sends them (HL7 v2.5, PID-3 with the personnummer OID), built
 * from fixed times: nothing depends on today's date.
 */
export const PNR_OID = '1.2.752.129.2.1.3.1';
export const SAMORDNING_OID = '1.2.752.129.2.1.3.3';
export const RESERV_OID = '1.2.752.97.3.1.3';

export interface AdtOptions {
  trigger: string;
  controlId: string;
  episodeId?: string;
  /** PID-3 as sent. */
  pid3?: string;
  /** PID-7 (date of birth) as sent; default 19400307, the personnummer's. */
  birthDate?: string;
  /** EVN-2, PV1-44, PV1-45 as HL7 times. */
  recorded?: string;
  admitted?: string;
  discharged?: string;
  ward?: string;
  kommun?: string;
  admissionType?: string;
  dischargeDisposition?: string;
  messageType?: string;
  /** Extra segments appended (e.g. NK1). */
  extra?: string[];
}

export function adt(o: AdtOptions): string {
  const ward = o.ward ?? 'Med 2';
  const segments = [
    `MSH|^~\\&|COSMIC|USO|UTKLAR|RO|${o.recorded ?? '202611020815+0100'}||${o.messageType ?? `ADT^${o.trigger}^ADT_A01`}|${o.controlId}|P|2.5||||||8859/1`,
    `EVN|${o.trigger}|${o.recorded ?? '202611020815+0100'}`,
    `PID|1||${o.pid3 ?? `194003071232^^^&${PNR_OID}&ISO^PN`}||Svensson^Sven^^^^^L||${o.birthDate ?? '19400307'}|M|||Storgatan 1^^Örebro^^70210^SE^H^^1880||019-123456`,
    `PD1|||VC Kumla^^^^^^^^^1234`,
    pv1({
      2: 'I', 3: `${ward}^^^USO&1.2.752.29.4.19&ISO`, 4: o.admissionType ?? 'E', 10: 'Medicinkliniken', 19: o.episodeId ?? 'E-HL7-1',
      36: o.dischargeDisposition ?? '', 44: o.admitted ?? '202611020815+0100', 45: o.discharged ?? '',
    }),
    ...(o.extra ?? []),
  ];
  return segments.join('\r');
}

function pv1(fields: Record<number, string>): string {
  const out = ['PV1', '1'];
  const last = Math.max(...Object.keys(fields).map(Number));
  for (let i = 2; i <= last; i++) out.push(fields[i] ?? '');
  return out.join('|');
}
