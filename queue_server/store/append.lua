-- Append events to a site's stream only if its last id is the one the caller decided on.
-- KEYS[1] stream, KEYS[2] head (last appended id)
-- ARGV[1] expected last id ("0-0" for a new stream), ARGV[2] catch-up batch size,
-- ARGV[3..] pairs of (type, data) fields, one pair per event.
-- Returns {1, {ids...}} when appended, {0, head, {entries after expected...}} when the caller is behind.
-- Atomic (a script), so any number of server processes may append at once without duplicates; a
-- client retrying this after a lost reply gets {0, ...} with its own events, never a second copy.
local head = redis.call('GET', KEYS[2]) or '0-0'
if head ~= ARGV[1] then
  local missing = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', tonumber(ARGV[2]))
  return {0, head, missing}
end
local ids = {}
for i = 3, #ARGV, 2 do
  ids[#ids + 1] = redis.call('XADD', KEYS[1], '*', 't', ARGV[i], 'd', ARGV[i + 1])
end
redis.call('SET', KEYS[2], ids[#ids])
return {1, ids}
