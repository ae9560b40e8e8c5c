/** Which partitions a member of a consumer group owns, as the group last said. */
export interface PartitionOwnership {
  readonly assigned: readonly number[];
  /** Counts assignments (and their loss): a change means the partitions may have moved. */
  readonly generation: number;
  /** Whether the group confirmed this member's assignment (a heartbeat succeeded) after `since` (ms). */
  confirmedSince(since: number): boolean;
}
