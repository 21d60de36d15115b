-- POST /v1/customers until GROW_TOTAL responses (default 100000) have come
-- back, printing the write rate of every GROW_SEGMENT (default 10000):
--   GROW rows=20000 seg_seconds=1.234 seg_rps=8103.7 total_seconds=2.5 non2xx=0
-- then `GROW_DONE ...` and exit (wrk itself only stops on its -d limit, which
-- grow.sh sets as a safety bound). Run with one thread: -t1.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } grow_timespec;
int clock_gettime(int clk_id, grow_timespec *tp);
]]
local ts = ffi.new("grow_timespec")
local function now()  -- CLOCK_MONOTONIC, seconds
   ffi.C.clock_gettime(1, ts)
   return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

local total = tonumber(os.getenv("GROW_TOTAL") or "100000")
local segment = tonumber(os.getenv("GROW_SEGMENT") or "10000")
local tag = os.getenv("GROW_TAG") or "grow"
local sent, seen, non2xx = 0, 0, 0
local t_start, t_seg

wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_KEY") or "sk_test_bench")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

function request()
   sent = sent + 1
   if not t_start then
      t_start = now()
      t_seg = t_start
   end
   return wrk.format(nil, nil, nil, string.format(
      "email=%s-%d%%40example.com&name=Grow+%d&metadata[tag]=%s&metadata[n]=%d",
      tag, sent, sent, tag, sent))
end

function response(status, headers, body)
   seen = seen + 1
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
   end
   if seen % segment == 0 or seen == total then
      local t = now()
      local n = (seen % segment == 0) and segment or (seen % segment)
      io.write(string.format(
         "GROW rows=%d seg_seconds=%.3f seg_rps=%.1f total_seconds=%.3f non2xx=%d\n",
         seen, t - t_seg, n / (t - t_seg), t - t_start, non2xx))
      io.flush()
      t_seg = t
   end
   if seen >= total then
      local t = now() - t_start
      io.write(string.format("GROW_DONE rows=%d seconds=%.3f rps=%.1f non2xx=%d\n",
         seen, t, seen / t, non2xx))
      io.flush()
      os.exit(0)
   end
end
