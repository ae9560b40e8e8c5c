--[[
  Applies one event to an episode record, at most once.
  KEYS[1] episode hash
  KEYS[2] applied-offsets hash of this consumer group (field = partition)
  ARGV[1] partition, ARGV[2] offset, ARGV[3] number of fields to set (n),
  ARGV[4 .. 3+2n] field/value pairs to set, the rest: fields to delete.
  Returns 1 when applied, 0 when this partition already applied this offset (a replay).
  The offset check and the write are one atomic step: a crash between them cannot exist.
]]
local applied = redis.call('HGET', KEYS[2], ARGV[1])
if applied and tonumber(applied) >= tonumber(ARGV[2]) then
  return 0
end
local n = tonumber(ARGV[3])
local set = {}
for i = 4, 3 + 2 * n do
  set[#set + 1] = ARGV[i]
end
if n > 0 then
  redis.call('HSET', KEYS[1], unpack(set))
end
for i = 4 + 2 * n, #ARGV do
  redis.call('HDEL', KEYS[1], ARGV[i])
end
redis.call('HINCRBY', KEYS[1], 'eventsApplied', 1)
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1
