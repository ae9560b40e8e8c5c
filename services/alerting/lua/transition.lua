--[[
  Moves one alert between firing and resolved, at most once each way: the active hash is the
  record of what has been announced, and the announcement goes to the outbox of every receiver
  the alert was routed to, in the same step.
  KEYS[1] active alerts hash (field = fingerprint)   KEYS[2] pending hash (`for` clocks)
  KEYS[3..n] the receivers' outbox streams
  All keys share one hash tag (delivery.ts, alertKeys), so on Redis Cluster they are in one slot.
  ARGV[1] 'firing' or 'resolved'   ARGV[2] fingerprint   ARGV[3] alert JSON (firing)   ARGV[4] time (ms)
  Returns 1 announced, 0 nothing to do (already firing / already resolved).
]]
local alert
if ARGV[1] == 'firing' then
  if redis.call('HSETNX', KEYS[1], ARGV[2], ARGV[3]) == 0 then
    return 0
  end
  alert = ARGV[3]
else
  alert = redis.call('HGET', KEYS[1], ARGV[2])
  if not alert then
    return 0
  end
  redis.call('HDEL', KEYS[1], ARGV[2])
end
redis.call('HDEL', KEYS[2], ARGV[2])
for i = 3, #KEYS do
  redis.call('XADD', KEYS[i], '*', 'status', ARGV[1], 'alert', alert, 'at', ARGV[4])
end
return 1
