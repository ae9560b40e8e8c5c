/** Every Redis key of the clock service, in one place (documented in docs/clock-state.md). */
export const clockKeys = (ns: string) => ({
  applied: (group: string, topic: string) => `${ns}:clock:applied:${group}:${topic}`,
  events: (episodeId: string) => `${ns}:clock:ep:${episodeId}:events`,
  state: (episodeId: string) => `${ns}:clock:ep:${episodeId}`,
  patient: (patientKey: string) => `${ns}:clock:patient:${patientKey}`,
  /** Closed episodes by partition: a patient's episodes share one, so its watermark decides. */
  closed: (partition: number) => `${ns}:clock:closed:${partition}`,
  watermark: `${ns}:clock:watermark`,
  /** Derived messages waiting to be published to Kafka (transactional outbox). */
  outbox: `${ns}:clock:outbox`,
  /** Next day boundary to announce per episode (the timer worker claims due ones). */
  timers: `${ns}:clock:timers`,
  /** When each episode last changed (the pipeline's wall time): the timer worker waits for a quiet moment. */
  recent: `${ns}:clock:recent`,
  openInRegion: (region: string) => `${ns}:clock:open:region:${region}`,
  openInMunicipality: (code: string) => `${ns}:clock:open:municipality:${code}`,
  openInWard: (hospital: string, ward: string) => `${ns}:clock:open:ward:${hospital}/${ward}`,
});
