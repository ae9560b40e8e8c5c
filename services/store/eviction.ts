import type { StoredEpisode } from '../clock/stored-episode.ts';
import type { PartitionKeys } from './clock-keys.ts';
import { execPipeline, runScript, ScriptCall, type ScriptedRedis } from './scripts.ts';

/**
 * Forgets a partition's closed episodes due by `now`, at most `limit` per call; safe to run from
 * several workers (evict-episodes.lua claims each). One round trip reads the patients whose
 * histories hold them, one script call evicts the lot: a replay closes thousands a minute.
 */
export async function evictPartition(redis: ScriptedRedis, k: PartitionKeys, applied: string, now: number, limit: number): Promise<number> {
  const due = await redis.zrangebyscore(k.closed, 0, now, 'LIMIT', 0, limit);
  if (due.length === 0) return 0;
  const read = redis.pipeline();
  for (const episodeId of due) read.hget(k.state(episodeId), 'state');
  const states = await execPipeline(read);
  const call = new ScriptCall(k, applied);
  const steps = due.map((episodeId, i) => {
    const raw = states[i] as string | null;
    return {
      episode: episodeId,
      events: call.key(k.events(episodeId)),
      state: call.key(k.state(episodeId)),
      ...(raw ? { patient: call.key(k.patient((JSON.parse(raw) as StoredEpisode).state.patientKey)) } : {}),
    };
  });
  return runScript<number>('eviction', () => redis.clockEvictEpisodes(...call.args({ now: String(now), steps })));
}
