import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledFile } from '../../services/agreements/bundled.ts';
import { boardEpisodes, boardSelection } from '../../services/board/board-feed.ts';
import { foldEpisode } from '../../services/clock/episode-state.ts';
import { openIndexes, type StoredEpisode } from '../../services/clock/stored-episode.ts';
import { connectRedis, scanKeys } from '../../services/core/redis.ts';
import { ReadPointer, rulesWith } from '../../services/rebuild/read-pointer.ts';
import { rebuildKeys, type ActiveData } from '../../services/rebuild/records.ts';
import { SideClocks, type ServingPipeline } from '../../services/rebuild/side-clocks.ts';
import { clockKeys } from '../../services/store/clock-keys.ts';
import { ClockReads } from '../../services/store/clock-reads.ts';
import { eventBuilder } from '../unit/support/episode-events.ts';
import { configOf, isolatedEnv } from '../support/env.ts';

/**
 * The board beside a promotion's switch, on a real Redis: between the read pointer's SET and the
 * running process taking up the promoted side (follow.ts: within 2 s, then a pipeline's start),
 * the ClickHouse answers already read the promoted side; the board, its streams and the forecast
 * must read that side's clocks too, not the pipeline's, and go back with a rollback's DEL.
 * Each side's clocks are an open episode stored under its own namespace's keys, as its pipeline stores them.
 */
const env = isolatedEnv('server');
const config = configOf(env);
const promotedNs = `${config.namespace}-rb-side1`;
const redis = connectRedis(config);
const H = 3_600_000;
const now = Date.parse('2023-03-10T12:00:00Z');

/** An open episode in Region Örebro län (ready since the morning) stored in one partition of a namespace. */
async function storeOpen(ns: string, episodeId: string, partition: number): Promise<void> {
  const ev = eventBuilder(episodeId, episodeId, `P-${episodeId}`);
  const state = foldEpisode([ev('admission', now - 48 * H), ev('ready-for-discharge', now - 4 * H)]);
  const k = clockKeys(ns).of(partition);
  const ix = openIndexes(state);
  expect(ix.region).toBe('18');
  await redis.hset(k.state(episodeId), 'state', JSON.stringify({ state, readmission: null } satisfies StoredEpisode), 'version', '2');
  await redis.sadd(k.openInRegion(ix.region!), episodeId);
}

describe('the clocks read beside a side of a promotion (real Redis)', () => {
  const liveRules = rulesWith(config, config.agreements);
  // The running process's pipeline, still applying the namespace's own side.
  const pipeline: ServingPipeline = {
    config: { namespace: config.namespace }, redis, rules: liveRules,
    clocks: { read: new ClockReads(redis, clockKeys(config.namespace), Array.from({ length: 12 }, (_, p) => p)), partitions: 12 },
  };
  const pointer = new ReadPointer(redis, config, liveRules);
  const sides = new SideClocks();
  const scope = { kind: 'region', region: '18' } as const;
  const board = async () => {
    const view = sides.of(await pointer.current(), pipeline);
    const { episodes } = await boardEpisodes(view.reads, boardSelection(scope, new URLSearchParams()), scope, view.rules, now);
    return { ids: episodes.map((e) => e.episodeId).sort(), rules: view.rules };
  };

  beforeAll(async () => {
    await storeOpen(config.namespace, 'OWN-1', 2);
    await storeOpen(promotedNs, 'RB-1', 5);
    await storeOpen(promotedNs, 'RB-2', 11);
  });

  afterAll(async () => {
    for (const pattern of [...clockKeys(config.namespace).patterns, ...clockKeys(promotedNs).patterns]) {
      const keys = await scanKeys(redis, pattern);
      if (keys.length) await redis.del(...keys);
    }
    redis.disconnect();
  });

  it('no promotion: the pipeline\'s own clocks and rules', async () => {
    expect(await board()).toEqual({ ids: ['OWN-1'], rules: liveRules });
  });

  it('the pointer SET to a promoted side, the process not yet switched: that side\'s clocks and agreements', async () => {
    const active: ActiveData = {
      id: 'side1', namespace: promotedNs, database: `${config.clickhouseDatabase}_rb_side1`, agreements: bundledFile('law'), agreementVersions: ['law'],
      promotedAt: new Date(now).toISOString(), promotedBy: 'test', previous: null,
    };
    await redis.set(rebuildKeys(config.eventsNamespace).active, JSON.stringify(active));
    const side = await pointer.current();
    expect(side.namespace).toBe(promotedNs);
    const seen = await board();
    expect(seen.ids).toEqual(['RB-1', 'RB-2']);
    expect(seen.rules).toBe(side.rules);
    expect(seen.rules).not.toBe(liveRules);
  });

  it('once the process applies the promoted side, its own pipeline\'s clocks; a rollback\'s DEL goes back to the own side\'s keys', async () => {
    const promotedRules = (await pointer.current()).rules;
    const switched: ServingPipeline = { ...pipeline, config: { namespace: promotedNs }, rules: promotedRules, clocks: { read: new ClockReads(redis, clockKeys(promotedNs), Array.from({ length: 12 }, (_, p) => p)), partitions: 12 } };
    expect(sides.of(await pointer.current(), switched).reads).toBe(switched.clocks.read);
    await redis.del(rebuildKeys(config.eventsNamespace).active);
    const view = sides.of(await pointer.current(), switched);
    const { episodes } = await boardEpisodes(view.reads, boardSelection(scope, new URLSearchParams()), scope, view.rules, now);
    expect(episodes.map((e) => e.episodeId)).toEqual(['OWN-1']);
    expect(view.rules).toBe(liveRules);
  });
});
