-- GET /v1/customers/{id} over many customers, a random one per request, so that most retrieves miss the
-- server's in-memory cache of recent bodies and read SQLite. The ids come one per line from the file named by
-- BENCH_IDS; the URL on the wrk command line is the server's base, e.g.
--   BENCH_IDS=ids.txt wrk -s Benchmarks/get_many.lua http://127.0.0.1:PORT
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
local auth = "Bearer " .. (os.getenv("BENCH_KEY") or "sk_test_bench")

request = function()
    local id = ids[math.random(#ids)]
    return wrk.format("GET", "/v1/customers/" .. id, { ["Authorization"] = auth })
end
