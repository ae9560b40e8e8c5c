--[[
  Announces the facts of the day boundaries that have passed for one episode, at most once.
  KEYS[1] timers sorted set   KEYS[2] episode state hash   KEYS[3] outbox stream
  ARGV[1] episodeId           ARGV[2] the due time this worker claimed
  ARGV[3] next due ('' = the episode needs no more timers)
  ARGV[4] ready days announced so far   ARGV[5] payment start announced (0/1)
  ARGV[6] the state version the facts were computed from
  ARGV[7..] clock fact JSONs for the outbox
  The claim is the score: if another worker fired it (or the episode was evicted) in between,
  the score is gone or moved and nothing is written. If an event changed the state since it was
  read, nothing is written either: the timer stays due and the next round computes afresh.
]]
local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not due or tonumber(due) ~= tonumber(ARGV[2]) then
  return 0
end
if (redis.call('HGET', KEYS[2], 'version') or '') ~= ARGV[6] then
  return 0
end
for i = 7, #ARGV do
  redis.call('XADD', KEYS[3], '*', 'kind', 'clock', 'key', ARGV[1], 'value', ARGV[i])
end
redis.call('HSET', KEYS[2], 'announcedDays', ARGV[4], 'paymentAnnounced', ARGV[5])
if ARGV[3] == '' then
  redis.call('ZREM', KEYS[1], ARGV[1])
else
  redis.call('ZADD', KEYS[1], tonumber(ARGV[3]), ARGV[1])
end
return 1
