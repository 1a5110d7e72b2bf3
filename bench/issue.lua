-- wrk script: issue tickets round-robin over the bench site's three services.
local services = {"etat-civil", "passeports", "urbanisme"}
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")

request = function()
  n = n + 1
  return wrk.format(nil, "/api/v1/sites/bench/tickets", nil,
                    '{"service": "' .. services[(n % 3) + 1] .. '"}')
end
