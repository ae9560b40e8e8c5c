--[[
  Announces the facts of the day boundaries that have passed, for each of a partition's due
  episodes, each at most once.
  packed = { steps: [ { episode, at (the due time this worker claimed), next ('' = no more timers),
                        days (ready days announced so far), paid ('1' = payment start announced),
                        version (the state version the facts were computed from),
                        state = KEYS#, facts = [ARGV#] } ] }
  The claim is the score: if another worker fired an episode (or it was evicted) in between, its
  score is gone or moved and nothing is written for it. If an event changed its state since it
  was read, nothing is written either: the timer stays due and the next round computes afresh.
  Returns how many episodes fired.
]]
--- @include "partition"
--- @include "outbox"
--- @include "version"

local fired = 0
for _, s in ipairs(packed.steps) do
  local due = redis.call('ZSCORE', TIMERS, s.episode)
  if due and tonumber(due) == tonumber(s.at) and versionOf(KEYS[s.state]) == s.version then
    for _, fact in ipairs(s.facts) do
      toOutbox('clock', s.episode, ARGV[fact])
    end
    redis.call('HSET', KEYS[s.state], 'announcedDays', s.days, 'paymentAnnounced', s.paid)
    if s.next == '' then
      redis.call('ZREM', TIMERS, s.episode)
    else
      redis.call('ZADD', TIMERS, s.next, s.episode)
    end
    fired = fired + 1
  end
end
return fired
