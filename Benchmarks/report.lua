-- Shared by the wrk scripts in Benchmarks/: prints one machine-readable line
-- that http.sh and grow.sh parse, after wrk's own report.
--   BENCH requests=N seconds=S rps=R p50_us=.. p99_us=.. max_us=.. non2xx=.. errors=..
-- Used alone (`wrk -s Benchmarks/report.lua`) it only adds that line.
function done(summary, latency, requests)
   local e = summary.errors
   local secs = summary.duration / 1e6
   io.write(string.format(
      "BENCH requests=%d seconds=%.3f rps=%.1f p50_us=%d p99_us=%d max_us=%d non2xx=%d errors=%d\n",
      summary.requests, secs, summary.requests / secs,
      latency:percentile(50), latency:percentile(99), latency.max,
      e.status, e.connect + e.read + e.write + e.timeout))
end
