-- wrk script for bench/run.ts. Arguments after `--` are request header name/value pairs
-- (e.g. `If-None-Match "abc"` or `Accept-Encoding gzip`); at the end it prints one line
-- `BENCH_JSON {...}` with counts and latency percentiles in microseconds.

init = function(args)
  for i = 1, #args - 1, 2 do
    wrk.headers[args[i]] = args[i + 1]
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%.0f,"duration_us":%.0f,"bytes":%.0f,' ..
    '"errors":{"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f},' ..
    '"latency_us":{"p50":%.0f,"p90":%.0f,"p99":%.0f,"max":%.0f,"mean":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
