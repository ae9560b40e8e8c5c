--[[
  Applies one event to an episode's clock state, at most once, in one atomic step.
  Every key belongs to the event's partition (one hash slot, see clock-keys.ts).
  KEYS[1] the consumer group's applied offset in the partition
  KEYS[2] episode event log hash (field = eventId, value = event JSON)
  KEYS[3] episode state hash
  KEYS[4] patient history hash (field = episodeId, value = history JSON)
  KEYS[5] closed-episodes sorted set (score = eviction time)
  KEYS[6] the partition's watermark   KEYS[7] outbox stream   KEYS[8] timers sorted set
  KEYS[9] recently-applied sorted set (score = wall time of the last change of the episode, and
          of the partition as 'p', for the timer worker)
  KEYS[10..] index sets (the first ARGV[9] to remove the episode from, the rest to add it to),
          then the state hashes of the related episodes (see below)
  ARGV[1] partition          ARGV[2] offset          ARGV[3] eventId
  ARGV[4] event JSON         ARGV[5] expected state version ('' when new)
  ARGV[6] new state JSON     ARGV[7] history JSON ('' = none)
  ARGV[8] eviction time ('' = still open)            ARGV[9] number of index sets to leave
  ARGV[10] episodeId         ARGV[11] the event's occurredAt
  ARGV[12] changelog message JSON (for the outbox)
  ARGV[13] first timer due ('' = none); an existing timer is kept (NX)
  ARGV[14] patientKey (the dead-letter key)
  ARGV[15] the offset the previous step of the same pipelined batch applied ('' = none): when
           that step did not apply, neither does this one, so the applied offset never moves
           past an event that still has to be retried
  ARGV[16] wall time (ms) on the pipeline's clock, the one the timer worker compares with
  ARGV[17] n, then n dead-letter entries (JSON) for events this state newly rejects
  then m, then m × (episodeId, expected version, new state JSON, changelog JSON): the patient's
           other episodes whose readmission link this change alters (their state keys are the
           last m KEYS); all or nothing, like the episode itself
  Returns 1 applied, 0 already applied (replay), -1 state changed underneath (caller retries),
  -2 the previous step of the batch did not apply (caller retries from there).
]]
local applied = redis.call('GET', KEYS[1])
if applied and tonumber(applied) >= tonumber(ARGV[2]) then
  return 0
end
if ARGV[15] ~= '' and (not applied or tonumber(applied) < tonumber(ARGV[15])) then
  return -2
end
local version = redis.call('HGET', KEYS[3], 'version') or ''
if version ~= ARGV[5] then
  return -1
end
local deadLetters = tonumber(ARGV[17])
local relatedAt = 18 + deadLetters
local related = tonumber(ARGV[relatedAt])
local firstRelatedKey = #KEYS - related + 1
for r = 0, related - 1 do
  local expected = ARGV[relatedAt + 2 + r * 4]
  if (redis.call('HGET', KEYS[firstRelatedKey + r], 'version') or '') ~= expected then
    return -1
  end
end
redis.call('HSETNX', KEYS[2], ARGV[3], ARGV[4])
local nextVersion = (tonumber(version) or 0) + 1
redis.call('HSET', KEYS[3], 'state', ARGV[6], 'version', nextVersion, 'partition', ARGV[1])
if ARGV[7] ~= '' then
  redis.call('HSET', KEYS[4], ARGV[10], ARGV[7])
end
if ARGV[8] ~= '' then
  redis.call('ZADD', KEYS[5], tonumber(ARGV[8]), ARGV[10])
else
  redis.call('ZREM', KEYS[5], ARGV[10])
end
-- Wall time, not event time: the timer worker leaves an episode alone while its events are still
-- arriving (a replayed batch), so it never announces days from half of an episode's history. The
-- pipeline's clock, not Redis's TIME: the worker compares it with its own, and two hosts' clocks
-- may disagree.
local nowMs = tonumber(ARGV[16])
redis.call('ZADD', KEYS[9], nowMs, ARGV[10])
redis.call('ZADD', KEYS[9], nowMs, 'p')
redis.call('XADD', KEYS[7], '*', 'kind', 'state', 'key', ARGV[10], 'value', ARGV[12])
for i = 18, 17 + deadLetters do
  redis.call('XADD', KEYS[7], '*', 'kind', 'dead-letter', 'key', ARGV[14], 'value', ARGV[i])
end
for r = 0, related - 1 do
  local at = relatedAt + 1 + r * 4
  redis.call('HSET', KEYS[firstRelatedKey + r], 'state', ARGV[at + 2], 'version', tonumber(ARGV[at + 1]) + 1)
  redis.call('XADD', KEYS[7], '*', 'kind', 'state', 'key', ARGV[at], 'value', ARGV[at + 3])
end
if ARGV[13] ~= '' then
  redis.call('ZADD', KEYS[8], 'NX', tonumber(ARGV[13]), ARGV[10])
end
local leave = tonumber(ARGV[9])
for i = 10, firstRelatedKey - 1 do
  if i < 10 + leave then
    redis.call('SREM', KEYS[i], ARGV[10])
  else
    redis.call('SADD', KEYS[i], ARGV[10])
  end
end
local watermark = redis.call('GET', KEYS[6])
if not watermark or tonumber(watermark) < tonumber(ARGV[11]) then
  redis.call('SET', KEYS[6], ARGV[11])
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
