-- wrk script: bench/wrk/report.lua's BENCH_JSON line, and a second line `BENCH_TIMELINE {"startMs":..,"perMs":[..]}`:
-- the requests wrk started in each millisecond from its first one, on CLOCK_MONOTONIC (Node's
-- process.hrtime), so a part of the run can be cut out afterwards (bench/lib/websub.ts: the throughput while a
-- WebSub fan-out is under way). A connection starts its next request as soon as the previous response has been
-- read, so requests started per millisecond are responses completed per millisecond. One wrk thread (-t1).
local here = debug.getinfo(1, 'S').source:sub(2):match('^(.*)/[^/]*$') or '.'
dofile(here .. '/report.lua')

local ffi = require('ffi')
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new('bench_timespec')
local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000 + math.floor(tonumber(ts.tv_nsec) / 1e6)
end

-- In the thread's Lua state: the per-millisecond counts, read by `done` through thread:get.
start_ms = -1
per_ms = {}
local request_bytes
local report_init = init
init = function(args)
  report_init(args)
  request_bytes = wrk.format()
end
request = function()
  local t = now_ms()
  if start_ms < 0 then start_ms = t end
  local k = t - start_ms
  per_ms[k] = (per_ms[k] or 0) + 1
  return request_bytes
end

local threads = {}
setup = function(thread)
  table.insert(threads, thread)
end

-- BENCH_WRK_DELAY_MS: each connection waits this long before its next request, so the load comes at about a fixed
-- pace instead of as fast as the server answers: the server then does the same work whatever share of its core
-- other processes take, and its CPU time for that work can be compared between runs on a busy machine.
local pause = tonumber(os.getenv('BENCH_WRK_DELAY_MS') or '')
if pause then
  delay = function()
    return pause
  end
end

local report_done = done
done = function(summary, latency, requests)
  report_done(summary, latency, requests)
  local th = threads[1]
  local start, counts = th:get('start_ms'), th:get('per_ms')
  local last = -1
  for k, _ in pairs(counts) do
    if k > last then last = k end
  end
  local out = {}
  for k = 0, last do
    out[#out + 1] = string.format('%d', counts[k] or 0)
  end
  io.write(string.format('BENCH_TIMELINE {"startMs":%d,"perMs":[%s]}\n', start, table.concat(out, ',')))
end
