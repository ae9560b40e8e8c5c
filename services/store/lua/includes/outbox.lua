-- A derived message for Kafka, written in the same atomic step as the state it derives from.
-- kind: 'state' (changelog), 'clock' (clock fact) or 'dead-letter'.
local function toOutbox(kind, key, value)
  redis.call('XADD', OUTBOX, '*', 'kind', kind, 'key', key, 'value', value)
end
-- An episode's new version, as the state stored with it: the publisher makes its changelog
-- message (kind 'state') of it, the version and the event that caused it.
local function storedToOutbox(episode, version, causedBy, stored)
  redis.call('XADD', OUTBOX, '*', 'kind', 'stored', 'key', episode, 'value', stored, 'version', version, 'cause', causedBy)
end
