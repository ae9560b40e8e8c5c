--[[
  Forgets a closed episode once readmission linkage no longer needs it (bounded memory).
  KEYS[1] closed-episodes sorted set   KEYS[2] episode event log hash
  KEYS[3] episode state hash           KEYS[4] patient history hash
  KEYS[5] timers sorted set
  ARGV[1] episodeId                    ARGV[2] now (ms)
  Claims the episode atomically: of two sweepers only the one whose ZREM succeeds deletes.
]]
local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not due or tonumber(due) > tonumber(ARGV[2]) then
  return 0
end
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('ZREM', KEYS[5], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
if redis.call('HLEN', KEYS[4]) == 0 then
  redis.call('DEL', KEYS[4])
end
return 1
