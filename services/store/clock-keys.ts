/**
 * Every Redis key of the clock service, in one place (documented in docs/clock-state.md).
 *
 * Everything one step touches belongs to one partition of the events topic, and a partition's
 * keys share a hash tag, `{<ns>:p<N>}`: each Lua step and each pipeline then touches one hash
 * slot, which Redis Cluster requires, and the partition's owner is the only writer.
 */
export const clockKeys = (ns: string) => ({
  of: (partition: number) => partitionKeys(`{${ns}:p${partition}}`),
  /** SCAN patterns covering the namespace's keys: the hash-tagged ones (`{<ns>:…}`) and the rest. */
  patterns: [`{${ns}:*`, `${ns}:*`] as const,
  /** SCAN pattern of one kind of key in every partition, e.g. `every('clock:open:region:*')`. */
  every: (rest: string) => `{${ns}:p*}:${rest}`,
});

export type PartitionKeys = ReturnType<typeof partitionKeys>;

const partitionKeys = (tag: string) => ({
  /** The last offset the consumer group applied here (string). */
  applied: (group: string, topic: string) => `${tag}:clock:applied:${group}:${topic}`,
  events: (episodeId: string) => `${tag}:clock:ep:${episodeId}:events`,
  state: (episodeId: string) => `${tag}:clock:ep:${episodeId}`,
  patient: (patientKey: string) => `${tag}:clock:patient:${patientKey}`,
  /** Closed episodes: a patient's episodes share the partition, so its watermark decides. */
  closed: `${tag}:clock:closed`,
  /** The latest event time applied here (string). */
  watermark: `${tag}:clock:watermark`,
  /** Derived messages waiting to be published to Kafka (transactional outbox). */
  outbox: `${tag}:clock:outbox`,
  /** Next day boundary to announce per episode (the timer worker claims due ones). */
  timers: `${tag}:clock:timers`,
  /**
   * When each episode last changed, and the partition as 'p' (the pipeline's wall time): the
   * timer worker waits for a quiet moment.
   */
  recent: `${tag}:clock:recent`,
  openInRegion: (region: string) => `${tag}:clock:open:region:${region}`,
  openInMunicipality: (code: string) => `${tag}:clock:open:municipality:${code}`,
  openInWard: (hospital: string, ward: string) => `${tag}:clock:open:ward:${hospital}/${ward}`,
});
