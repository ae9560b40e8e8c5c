--[[
  Dead-letters an event the clock cannot place (e.g. its episode is unknown after the allowed
  lateness), at most once: the offset guard and the outbox entry change together.
  KEYS[1] the consumer group's applied offset in the partition   KEYS[2] its outbox stream
  ARGV[1] partition   ARGV[2] offset   ARGV[3] dead-letter key   ARGV[4] dead-letter entry JSON
  ARGV[5] the offset the previous step of the same pipelined batch applied ('' = none)
  Returns 1 rejected, 0 already handled (replay), -2 the previous step did not apply.
]]
local applied = redis.call('GET', KEYS[1])
if applied and tonumber(applied) >= tonumber(ARGV[2]) then
  return 0
end
if ARGV[5] ~= '' and (not applied or tonumber(applied) < tonumber(ARGV[5])) then
  return -2
end
redis.call('XADD', KEYS[2], '*', 'kind', 'dead-letter', 'key', ARGV[3], 'value', ARGV[4])
redis.call('SET', KEYS[1], ARGV[2])
return 1
