-- POST /v1/customers with a form body (Stripe's bracket notation), e.g.
--   wrk -s Benchmarks/post_customer.lua http://127.0.0.1:PORT/v1/customers
-- Every request creates one customer; the body is the same each time.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_KEY") or "sk_test_bench")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "email=bench%40example.com&name=Bench+Customer"
   .. "&description=created+by+wrk&metadata[source]=wrk&metadata[tier]=gold"
