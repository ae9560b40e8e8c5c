/** Per partition of the events topic: where the replay started, where it must reach, where it is. */
export interface PartitionProgress {
  partition: number;
  /** The first offset on the topic when the rebuild began (what a replay from the start reads first). */
  start: number;
  /** The end offset when the rebuild began: the replay is done when every partition reached it. */
  target: number;
  /** The next offset the rebuild's consumer group will read. */
  next: number;
}

export interface Progress {
  done: number;
  total: number;
  eventsPerSecond: number | null;
  etaSeconds: number | null;
  /** Once every event is applied: the shadow's derived entries (changelog, facts) still to publish and store. */
  draining?: number;
}

/**
 * Events replayed of those to replay, the rate over the samples kept (a sliding window of the last
 * ones, so a resumed rebuild's rate is its own, not the first run's), and the time left at that
 * rate. Offsets count transaction markers too, a few per thousand events: close enough for a bar.
 */
export function progressOf(parts: readonly PartitionProgress[], samples: readonly { at: number; done: number }[]): Progress {
  const total = parts.reduce((s, p) => s + Math.max(0, p.target - p.start), 0);
  const done = parts.reduce((s, p) => s + Math.max(0, Math.min(p.next, p.target) - p.start), 0);
  const first = samples[0];
  const last = samples.at(-1);
  const eventsPerSecond = first && last && last.at > first.at ? ((last.done - first.done) * 1000) / (last.at - first.at) : null;
  const etaSeconds = eventsPerSecond && eventsPerSecond > 0 ? Math.ceil((total - done) / eventsPerSecond) : done >= total ? 0 : null;
  return { done, total, eventsPerSecond, etaSeconds };
}

/** `[#########...........]  45 % 72 000 / 160 000 events, 2 400 events/s, ETA 0:37` */
export function progressLine(p: Progress, width = 30): string {
  const share = p.total === 0 ? 1 : Math.min(1, p.done / p.total);
  const filled = Math.round(share * width);
  const eta = p.etaSeconds === null ? '–' : `${Math.floor(p.etaSeconds / 60)}:${String(p.etaSeconds % 60).padStart(2, '0')}`;
  const rate = p.eventsPerSecond === null ? '–' : Math.round(p.eventsPerSecond).toLocaleString('sv-SE');
  const draining = p.draining ? `; ${p.draining.toLocaleString('sv-SE')} derived entries still to store` : '';
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)} % ${p.done.toLocaleString('sv-SE')} / ${p.total.toLocaleString('sv-SE')} events, ${rate} events/s, ETA ${eta}${draining}`;
}
