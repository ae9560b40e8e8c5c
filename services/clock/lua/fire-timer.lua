--[[
  Announces the facts of the day boundaries that have passed for one episode, at most once.
  KEYS[1] timers sorted set   KEYS[2] episode state hash   KEYS[3] outbox stream
  ARGV[1] episodeId           ARGV[2] the due time this worker claimed
  ARGV[3] next due ('' = the episode needs no more timers)
  ARGV[4] ready days announced so far   ARGV[5] payment start announced (0/1)
  ARGV[6..] clock fact JSONs for the outbox
  The claim is the score: if another worker fired it (or the episode was evicted) in between,
  the score is gone or moved and nothing is written.
]]
local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not due or tonumber(due) ~= tonumber(ARGV[2]) then
  return 0
end
for i = 6, #ARGV do
  redis.call('XADD', KEYS[3], '*', 'kind', 'clock', 'key', ARGV[1], 'value', ARGV[i])
end
redis.call('HSET', KEYS[2], 'announcedDays', ARGV[4], 'paymentAnnounced', ARGV[5])
if ARGV[3] == '' then
  redis.call('ZREM', KEYS[1], ARGV[1])
else
  redis.call('ZADD', KEYS[1], tonumber(ARGV[3]), ARGV[1])
end
return 1
