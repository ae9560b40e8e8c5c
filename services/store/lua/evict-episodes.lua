--[[
  Forgets closed episodes once readmission linkage no longer needs them (bounded memory).
  packed = { now (ms), steps: [ { episode, events, state = KEYS#, patient = KEYS# (optional) } ] }
  Claims each episode atomically: of two sweepers only the one whose ZREM succeeds deletes.
  Returns how many episodes were forgotten.
]]
--- @include "partition"

local evicted = 0
for _, s in ipairs(packed.steps) do
  local due = redis.call('ZSCORE', CLOSED, s.episode)
  if due and tonumber(due) <= tonumber(packed.now) and redis.call('ZREM', CLOSED, s.episode) == 1 then
    redis.call('DEL', KEYS[s.events], KEYS[s.state])
    redis.call('ZREM', TIMERS, s.episode)
    if s.patient then
      local patient = KEYS[s.patient]
      redis.call('HDEL', patient, s.episode)
      if redis.call('HLEN', patient) == 0 then
        redis.call('DEL', patient)
      end
    end
    evicted = evicted + 1
  end
end
return evicted
