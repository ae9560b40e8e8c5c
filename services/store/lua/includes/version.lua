-- An episode state's version ('' when it has none): every write of a state checks it first.
local function versionOf(stateKey)
  return redis.call('HGET', stateKey, 'version') or ''
end
