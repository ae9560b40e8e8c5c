-- A derived message for Kafka, written in the same atomic step as the state it derives from.
-- kind: 'state' (changelog), 'clock' (clock fact) or 'dead-letter'.
local function toOutbox(kind, key, value)
  redis.call('XADD', OUTBOX, '*', 'kind', kind, 'key', key, 'value', value)
end
