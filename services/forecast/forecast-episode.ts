/**
 * An episode as the forecast sees it, whether read back from history (ClickHouse) or open now
 * (Redis): its dimensions, and its days as Stockholm epoch days. Nothing else of the patient.
 */
export interface ForecastEpisode {
  region: string;
  hospital: string;
  ward: string;
  clinic: string;
  businessArea: string;
  careType: string;
  ageGroup: string;
  homeMunicipality: string;
  primaryCareUnit: string;
  /**
   * Who the ready notice goes to. Before the notice the clock's state does not keep the admission
   * notice's recipient, so an open episode's is its home municipality (as episode_facts does).
   */
  recipient: string;
  admittedDay: number;
  /** Admission notices (inskrivningsmeddelanden) by day sent, with the estimate each gave (null: none). */
  notices: { day: number; estimate: number | null }[];
  /** The first ready notice's day; null while never ready. */
  readyDay: number | null;
  dischargedDay: number | null;
}

/** The first day a notice was sent, on or before `day`; null when none was. */
export function noticeDayBy(e: ForecastEpisode, day: number): number | null {
  let first: number | null = null;
  for (const n of e.notices) if (n.day <= day && (first === null || n.day < first)) first = n.day;
  return first;
}

/** The estimate known on `day`: the latest notice's by then that gave one (a later notice without one keeps it, as the clock does). */
export function estimateBy(e: ForecastEpisode, day: number): number | null {
  let latest: { day: number; estimate: number } | null = null;
  for (const n of e.notices) if (n.estimate !== null && n.day <= day && (latest === null || n.day >= latest.day)) latest = { day: n.day, estimate: n.estimate };
  return latest?.estimate ?? null;
}
