-- The partition's own keys: the first six KEYS of every clock script, in this order
-- (script-call.ts). The rest of KEYS are the episodes' and patients' keys a call touches; the
-- packed argument names them by position.
local APPLIED, CLOSED, WATERMARK, OUTBOX, TIMERS, RECENT = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
-- ARGV[1] is the packed argument (JSON); ARGV[2..] the values it refers to by position (event,
-- state and message JSON), passed as they are rather than escaped into the packed argument.
local packed = cjson.decode(ARGV[1])
