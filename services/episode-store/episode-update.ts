import type { PatientEvent } from '../contract/event.ts';

/**
 * What one event changes in the per-episode Redis record: pure, no I/O. This is the walking
 * skeleton's thin record (latest status and facts); the event-time state machine with clocks,
 * payment days and readmission linkage replaces it in the clock service.
 */
export interface EpisodeUpdate {
  set: Record<string, string>;
  del: string[];
}

export function episodeUpdate(ev: PatientEvent): EpisodeUpdate {
  const at = String(ev.occurredAt);
  const set: Record<string, string> = {
    episodeId: ev.episodeId,
    patientKey: ev.patientKey,
    lastEventId: ev.eventId,
    lastEventType: ev.type,
    lastOccurredAt: at,
  };
  const del: string[] = [];
  switch (ev.type) {
    case 'admission': {
      const d = ev.data;
      Object.assign(set, {
        status: 'ADMITTED',
        admittedAt: at,
        region: d.region,
        hospital: d.hospital,
        clinic: d.clinic,
        ward: d.ward,
        businessArea: d.businessArea,
        careType: d.careType,
        admissionType: d.admissionType,
        homeMunicipality: d.homeMunicipality,
        ageYears: String(d.ageYears),
      });
      if (d.primaryCareUnit !== null) set.primaryCareUnit = d.primaryCareUnit;
      break;
    }
    case 'admission-notice':
      set.admissionNoticeAt = at;
      if (ev.data.estimatedDischargeDate !== null) set.estimatedDischargeDate = String(ev.data.estimatedDischargeDate);
      break;
    case 'ready-for-discharge':
      Object.assign(set, {
        status: 'READY',
        readySince: at,
        recipientMunicipality: ev.data.recipientMunicipality,
        trackColour: ev.data.trackColour,
        fastVardkontaktAppointed: String(ev.data.fastVardkontaktAppointed),
        sipNeeded: String(ev.data.sipNeeded),
      });
      break;
    case 'ready-withdrawn':
      set.status = 'ADMITTED';
      set.readyWithdrawnAt = at;
      del.push('readySince');
      break;
    case 'discharge':
      Object.assign(set, {
        status: 'DISCHARGED',
        dischargedAt: at,
        destination: ev.data.destination,
        dischargeClinic: ev.data.clinic,
        dischargeWard: ev.data.ward,
      });
      break;
    case 'readmission':
      set.readmission = 'true';
      if (ev.data.indexEpisodeId !== null) set.readmissionOf = ev.data.indexEpisodeId;
      break;
    case 'admission-cancelled':
      set.status = 'CANCELLED';
      set.cancelledAt = at;
      break;
    case 'delay-reason':
      set[`delayReason:${ev.data.reasonCode}`] = ev.data.endedAt === null ? `${ev.data.responsibleParty}@${at}` : 'ended';
      break;
    case 'discharge-cancelled':
      // The patient is inpatient again; whether still ready is the clock service's business.
      set.status = 'ADMITTED';
      del.push('dischargedAt', 'destination', 'dischargeClinic', 'dischargeWard');
      break;
  }
  return { set, del };
}
