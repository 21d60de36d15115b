-- GET with a test-mode secret key; the URL (path and query) comes from the
-- wrk command line, e.g.
--   wrk -s Benchmarks/get.lua 'http://127.0.0.1:PORT/v1/customers?limit=10'
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_KEY") or "sk_test_bench")
