--[[
  Moves one alert between firing and resolved, at most once each way: the active hash is the
  record of what has been announced, and the announcement goes to the outbox in the same step.
  KEYS[1] active alerts hash (field = fingerprint)   KEYS[2] outbox stream
  ARGV[1] 'firing' or 'resolved'   ARGV[2] fingerprint   ARGV[3] alert JSON (firing)   ARGV[4] time (ms)
  Returns 1 announced, 0 nothing to do (already firing / already resolved).
]]
if ARGV[1] == 'firing' then
  if redis.call('HSETNX', KEYS[1], ARGV[2], ARGV[3]) == 0 then
    return 0
  end
  redis.call('XADD', KEYS[2], '*', 'status', 'firing', 'alert', ARGV[3], 'at', ARGV[4])
  return 1
end
local alert = redis.call('HGET', KEYS[1], ARGV[2])
if not alert then
  return 0
end
redis.call('HDEL', KEYS[1], ARGV[2])
redis.call('XADD', KEYS[2], '*', 'status', 'resolved', 'alert', alert, 'at', ARGV[4])
return 1
