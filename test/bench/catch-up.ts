import type { Admin } from 'kafkajs';

/** A consumer group and the topic it reads. */
export interface WatchedGroup {
  name: string;
  groupId: string;
  topic: string;
}

export interface OffsetSample {
  /** ms since the watcher's t0 */
  t: number;
  /** committed offsets summed over partitions, per group name */
  committed: Record<string, number>;
  /** high watermarks summed over partitions, per topic */
  end: Record<string, number>;
}

/** Sum of a topic's high watermarks (the offset the next message will get, per partition). */
export async function topicEnd(admin: Admin, topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((s, p) => s + Number(p.offset), 0);
}

/** Sum of a group's committed offsets on a topic; a partition with no commit yet counts 0 (kafkajs: -1). */
export async function committedOffsets(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return (t?.partitions ?? []).reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
}

/**
 * Watches consumer groups catch up with their topics from the outside, through the broker's
 * committed offsets, which is what a group has durably done (the pipeline commits only after a
 * batch's effects). High watermarks include the transactions' commit markers; kafkajs resolves
 * past them, so a caught-up group's committed offset equals the high watermark exactly.
 */
export class CatchUp {
  readonly samples: OffsetSample[] = [];
  /**
   * First time the group was seen with members (broker's DescribeGroups): when it could start
   * consuming. A group's time is measured from there, since the pipeline starts its groups one
   * after the other and a fast one may be done before the last one joins.
   */
  readonly joinedAt: Record<string, number> = {};
  /**
   * Start of the group's current caught-up streak. A group can be level with a topic that is still
   * growing (sink-facts with the changelog, while the clock still writes it), so only the streak
   * that lasts to the end counts.
   */
  readonly caughtUpAt: Record<string, number | undefined> = {};

  constructor(
    private readonly admin: Admin,
    readonly groups: WatchedGroup[],
    readonly t0 = Date.now(),
  ) {}

  async sample(): Promise<OffsetSample> {
    const topics = [...new Set(this.groups.map((g) => g.topic))];
    const ends = await Promise.all(topics.map((t) => topicEnd(this.admin, t)));
    const end = Object.fromEntries(topics.map((t, i) => [t, ends[i]!]));
    const pending = this.groups.filter((g) => this.joinedAt[g.name] === undefined);
    const described = pending.length > 0 ? (await this.admin.describeGroups(pending.map((g) => g.groupId))).groups : [];
    const done = await Promise.all(this.groups.map((g) => committedOffsets(this.admin, g.groupId, g.topic)));
    const t = Date.now() - this.t0;
    const previous = this.samples.at(-1)?.t ?? 0;
    const committed: Record<string, number> = {};
    this.groups.forEach((g, i) => {
      const c = done[i]!;
      committed[g.name] = c;
      if (this.joinedAt[g.name] === undefined) {
        // Progress already when first seen (a small backlog can be done between two samples): it
        // joined after the previous sample at the earliest, so that one is taken. The group's
        // time is then an upper bound, its rate a lower one, never an inflated one.
        if (c > 0) this.joinedAt[g.name] = previous;
        else if ((described.find((d) => d.groupId === g.groupId)?.members.length ?? 0) > 0) this.joinedAt[g.name] = t;
      }
      if (c >= end[g.topic]!) this.caughtUpAt[g.name] ??= t;
      else this.caughtUpAt[g.name] = undefined;
    });
    const s = { t, committed, end };
    this.samples.push(s);
    return s;
  }

  allCaughtUp(): boolean {
    return this.groups.every((g) => this.caughtUpAt[g.name] !== undefined);
  }
}
