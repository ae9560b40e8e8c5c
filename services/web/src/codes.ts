import type { ADMISSION_TYPES, CARE_TYPES, DESTINATIONS, RESPONSIBLE_PARTIES, TRACK_COLOURS } from '../../contract/event.ts';
import type { EpisodeStatus } from '../../clock/episode-state.ts';
import type { ConditionStatus } from '../../clock/eligibility.ts';
import type { EligibilityCondition } from '../../clock/rules.ts';
import type { Lang } from './messages.ts';

/**
 * The code lists: what the event contract's codes (schemas/patient-event.avsc, services/contract/)
 * and the API's statuses are called in each language. The enums are typed by the contract's own
 * lists, so a symbol added there does not compile until it has a label in both languages;
 * test/unit/web-messages.test.ts reads the Avro schema's symbols as well.
 */
type Labels<C extends string> = Record<C, Record<Lang, string>>;
type Of<T extends readonly string[]> = T[number];

export const CARE_TYPE: Labels<Of<typeof CARE_TYPES>> = {
  SOMATIC: { sv: 'somatik', en: 'somatic' },
  PSYCHIATRIC: { sv: 'psykiatri', en: 'psychiatric' },
};

export const ADMISSION_TYPE: Labels<Of<typeof ADMISSION_TYPES>> = {
  ACUTE: { sv: 'akut', en: 'acute' },
  PLANNED: { sv: 'planerad', en: 'planned' },
};

export const TRACK_COLOUR: Labels<Of<typeof TRACK_COLOURS>> = {
  NONE: { sv: 'ingen', en: 'none' },
  BLUE: { sv: 'blå', en: 'blue' },
  GREEN: { sv: 'grön', en: 'green' },
  YELLOW: { sv: 'gul', en: 'yellow' },
  RED: { sv: 'röd', en: 'red' },
};

export const DESTINATION: Labels<Of<typeof DESTINATIONS>> = {
  HOME: { sv: 'hem', en: 'home' },
  HOME_WITH_MUNICIPAL_CARE: { sv: 'hem med kommunal vård och omsorg', en: 'home with municipal care' },
  SHORT_TERM_CARE: { sv: 'korttidsvård', en: 'short-term care' },
  NURSING_HOME: { sv: 'särskilt boende', en: 'nursing home' },
  OTHER_HOSPITAL: { sv: 'annat sjukhus', en: 'another hospital' },
  DECEASED: { sv: 'avliden', en: 'deceased' },
  OTHER: { sv: 'annat', en: 'other' },
};

export const RESPONSIBLE_PARTY: Labels<Of<typeof RESPONSIBLE_PARTIES>> = {
  REGION: { sv: 'region', en: 'region' },
  MUNICIPALITY: { sv: 'kommun', en: 'municipality' },
  PATIENT_OR_FAMILY: { sv: 'patient/närstående', en: 'patient or family' },
};

/**
 * `reasonCode` is free text in the contract (a delay reason, a withdrawal's or a cancellation's
 * reason): these are the codes the contract's documentation, the simulator and the FHIR edge use.
 * Any other code is shown as it is sent.
 */
export const REASON: Labels<string> = {
  AWAITING_HOME_CARE: { sv: 'väntar på hemtjänst', en: 'awaiting home care' },
  AWAITING_NURSING_HOME: { sv: 'väntar på särskilt boende', en: 'awaiting a nursing home place' },
  AWAITING_SHORT_TERM_PLACE: { sv: 'väntar på korttidsplats', en: 'awaiting a short-term care place' },
  AWAITING_SIP: { sv: 'väntar på SIP-möte', en: 'awaiting a SIP meeting' },
  PATIENT_DECLINES: { sv: 'patienten tackar nej', en: 'the patient declines' },
  PATIENT_DECLINES_OFFER: { sv: 'patienten tackar nej till erbjudandet', en: 'the patient declines the offer' },
  CONDITION_WORSENED: { sv: 'tillståndet har försämrats', en: 'the condition has worsened' },
  REGISTERED_IN_ERROR: { sv: 'felregistrerad', en: 'registered in error' },
  ENTERED_IN_ERROR: { sv: 'felregistrerad', en: 'entered in error' },
  CANCELLED: { sv: 'avbruten', en: 'cancelled' },
};

export const EPISODE_STATUS: Labels<EpisodeStatus> = {
  PENDING: { sv: 'väntar på inskrivning', en: 'awaiting admission' },
  ADMITTED: { sv: 'inskriven', en: 'admitted' },
  READY: { sv: 'utskrivningsklar', en: 'ready for discharge' },
  DISCHARGED: { sv: 'utskriven', en: 'discharged' },
  CANCELLED: { sv: 'makulerad', en: 'cancelled' },
};

/** The board's SIP column: whether the SIP meeting was called in time (services/clock/eligibility.ts). */
export const SIP: Labels<ConditionStatus> = {
  met: { sv: 'kallad', en: 'called' },
  unmet: { sv: 'ej kallad i tid', en: 'not called in time' },
  pending: { sv: 'väntar', en: 'pending' },
  'not-applicable': { sv: '–', en: '–' },
};

/** An invoice specification line's liability (services/invoices/). */
export const LIABILITY: Labels<'liable' | 'not-liable' | 'pending'> = {
  liable: { sv: 'ja', en: 'yes' },
  'not-liable': { sv: 'nej', en: 'no' },
  pending: { sv: 'ej avgjort', en: 'not decided' },
};

/** The agreements' conditions for payment liability (services/agreements/). */
export const CONDITION: Labels<EligibilityCondition> = {
  'admission-notice-in-time': { sv: 'inskrivningsmeddelande i tid', en: 'admission notice in time' },
  'ready-notice-sent': { sv: 'meddelande om utskrivningsklar skickat', en: 'ready-for-discharge notice sent' },
  'sip-called-in-time': { sv: 'SIP-kallelse i tid', en: 'SIP meeting called in time' },
  'fast-vardkontakt-appointed': { sv: 'fast vårdkontakt utsedd', en: 'named care contact appointed' },
  'information-transferred-by-discharge': { sv: 'information överförd senast utskrivningsdagen', en: 'information transferred by the discharge day' },
  'patient-did-not-decline': { sv: 'patienten har inte avböjt insatser', en: 'the patient did not decline services' },
};

/** Age groups are shown as they are, but for the one that is a word. */
export const AGE_GROUP: Labels<string> = {
  unknown: { sv: 'okänd', en: 'unknown' },
};

/**
 * A code's label in `lang`; a code the list does not know is shown as it came, so that a new code
 * from a source system is visible (and searchable) rather than hidden or guessed.
 */
export function label(list: Labels<string>, code: string, lang: Lang): string {
  return Object.hasOwn(list, code) ? list[code]![lang] : code;
}

/** The code whose label in `lang` is `text` (a chart's click gives back the label it drew). */
export function codeOf(list: Labels<string>, text: string, lang: Lang): string | undefined {
  return Object.keys(list).find((c) => list[c]![lang] === text);
}
