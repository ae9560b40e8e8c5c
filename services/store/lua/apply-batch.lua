--[[
  Applies a partition batch's planned steps in order, each at most once, in one atomic call.
  packed = {
    partition, now (the pipeline's wall time, ms),
    steps: [ { kind = 'reject', offset, deadLetterKey, entry = ARGV# }
           | { kind = 'apply', offset, episode, eventId, occurredAt, version (expected, '' = new),
               events, state, patient = KEYS#, event, stored, history (optional) = ARGV#,
               evictAt ('' = open), timer ('' = none; an existing timer is kept),
               leave, join = [KEYS#] (index sets), deadLetterKey, deadLetters = [ARGV#],
               related = [ { episode, version, state = KEYS#, stored = ARGV# } ] } ] }
  Each new version goes to the outbox as its stored state (the publisher makes the changelog
  message of it), so a state crosses the wire to Redis once.
  related: the patient's other episodes whose readmission link this step changes; all or
  nothing with the episode itself.
  A step at or below the partition's applied offset was applied before (another writer, a
  replay) and is passed over.
  Returns { outcome, steps handled (applied or passed over), state changes applied }:
    'done'     every step handled, by this call;
    'replayed' every step handled, some passed over: the plans were made against an older view;
    'conflict' a step met an episode whose version changed underneath: the steps before it are
               handled (and the offset moved past them), it and the rest not.
]]
--- @include "partition"
--- @include "outbox"
--- @include "version"

local applied = tonumber(redis.call('GET', APPLIED) or '-1')
local handled, changes, passed, lastOffset, latest = 0, 0, false, nil, nil
local changed = {}

-- The offset, the watermark and the timer worker's quiet marks follow the steps applied.
local function finish(outcome)
  if lastOffset then
    redis.call('SET', APPLIED, lastOffset)
    local watermark = redis.call('GET', WATERMARK)
    if latest and (not watermark or tonumber(watermark) < tonumber(latest)) then
      redis.call('SET', WATERMARK, latest)
    end
  end
  -- Wall time, not event time: the timer worker leaves an episode alone while its events are
  -- still arriving (a replayed batch), so it never announces days from half of its history. The
  -- pipeline's clock, not Redis's TIME: the worker compares it with its own.
  if #changed > 0 then
    changed[#changed + 1] = 'p'
    -- In slices: unpack's arguments are bounded by Lua's C stack.
    for first = 1, #changed, 500 do
      local args = {}
      for i = first, math.min(first + 499, #changed) do
        args[#args + 1] = packed.now
        args[#args + 1] = changed[i]
      end
      redis.call('ZADD', RECENT, unpack(args))
    end
  end
  return { outcome, handled, changes }
end

for _, s in ipairs(packed.steps) do
  if tonumber(s.offset) <= applied then
    passed = true
  elseif s.kind == 'reject' then
    toOutbox('dead-letter', s.deadLetterKey, ARGV[s.entry])
  else
    local state = KEYS[s.state]
    if versionOf(state) ~= s.version then
      return finish('conflict')
    end
    for _, r in ipairs(s.related) do
      if versionOf(KEYS[r.state]) ~= r.version then
        return finish('conflict')
      end
    end
    redis.call('HSETNX', KEYS[s.events], s.eventId, ARGV[s.event])
    redis.call('HSET', state, 'state', ARGV[s.stored], 'version', (tonumber(s.version) or 0) + 1, 'partition', packed.partition)
    if s.history then
      redis.call('HSET', KEYS[s.patient], s.episode, ARGV[s.history])
    end
    if s.evictAt ~= '' then
      redis.call('ZADD', CLOSED, s.evictAt, s.episode)
    else
      redis.call('ZREM', CLOSED, s.episode)
    end
    storedToOutbox(s.episode, (tonumber(s.version) or 0) + 1, s.eventId, ARGV[s.stored])
    for _, entry in ipairs(s.deadLetters) do
      toOutbox('dead-letter', s.deadLetterKey, ARGV[entry])
    end
    for _, r in ipairs(s.related) do
      redis.call('HSET', KEYS[r.state], 'state', ARGV[r.stored], 'version', tonumber(r.version) + 1)
      storedToOutbox(r.episode, tonumber(r.version) + 1, s.eventId, ARGV[r.stored])
    end
    if s.timer ~= '' then
      redis.call('ZADD', TIMERS, 'NX', s.timer, s.episode)
    end
    for _, set in ipairs(s.leave) do
      redis.call('SREM', KEYS[set], s.episode)
    end
    for _, set in ipairs(s.join) do
      redis.call('SADD', KEYS[set], s.episode)
    end
    changed[#changed + 1] = s.episode
    if not latest or tonumber(s.occurredAt) > tonumber(latest) then
      latest = s.occurredAt
    end
    changes = changes + 1
  end
  if tonumber(s.offset) > applied then
    lastOffset = s.offset
  end
  handled = handled + 1
end
return finish(passed and 'replayed' or 'done')
