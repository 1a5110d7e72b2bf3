-- wrk script: each thread is one agent at its own counter: call next, then start the called ticket.
local threads = {}
-- Globals, not locals: wrk's thread:set/get (used by setup and done) only see globals.
counter, pending, calls, empty, errors = 0, nil, 0, 0, 0
local auth = "Bearer " .. os.getenv("BENCH_TOKEN")

function setup(thread)
  table.insert(threads, thread)
  thread:set("counter", #threads)
end

function init(args)
  wrk.headers["Authorization"] = auth
end

request = function()
  if pending then
    local path = "/api/v1/sites/bench/tickets/" .. pending .. "/start"
    pending = nil
    return wrk.format("POST", path)
  end
  last_was_next = true
  return wrk.format("POST", "/api/v1/sites/bench/counters/" .. counter .. "/next")
end

response = function(status, headers, body)
  if last_was_next then
    last_was_next = false
    if status == 200 then
      calls = calls + 1
      pending = string.match(body, '"id":"([^"]+)"')
    elseif status == 204 then
      empty = empty + 1
    else
      errors = errors + 1
    end
  elseif status ~= 200 then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local c, e, x = 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("calls"); e = e + t:get("empty"); x = x + t:get("errors")
  end
  io.write(string.format("CALLS %d EMPTY %d ERRORS %d\n", c, e, x))
end
