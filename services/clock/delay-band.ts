/** Delay bands as NHS England's Discharge Ready Date statistics use them, but live. */
export const DELAY_BANDS = ['0', '1', '2-3', '4-6', '7-13', '14-20', '21+'] as const;
export type DelayBand = (typeof DELAY_BANDS)[number];

export function delayBand(days: number): DelayBand {
  if (days <= 0) return '0';
  if (days === 1) return '1';
  if (days <= 3) return '2-3';
  if (days <= 6) return '4-6';
  if (days <= 13) return '7-13';
  if (days <= 20) return '14-20';
  return '21+';
}

/** Day counts at which an episode enters a new band: the escalation thresholds. */
export const BAND_THRESHOLDS = [1, 2, 4, 7, 14, 21] as const;
