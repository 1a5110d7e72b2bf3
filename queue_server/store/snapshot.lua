-- Store a snapshot only if it is newer than the one stored: KEYS[1] snapshot hash,
-- ARGV[1] its event id, ARGV[2] the encoded state. Returns 1 if stored.
local current = redis.call('HGET', KEYS[1], 'id')
if current then
  local cms, cseq = string.match(current, '(%d+)-(%d+)')
  local nms, nseq = string.match(ARGV[1], '(%d+)-(%d+)')
  cms, cseq, nms, nseq = tonumber(cms), tonumber(cseq), tonumber(nms), tonumber(nseq)
  if nms < cms or (nms == cms and nseq <= cseq) then
    return 0
  end
end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'state', ARGV[2])
return 1
