-- wrk script for bench/run.py: GET the paths listed in $BENCH_PATHS (one per line) in turn, with an optional
-- Authorization header ($BENCH_AUTHORIZATION) and Cookie header ($BENCH_COOKIE); prints one JSON line at the end.
local paths = {}
local counter = 0

init = function(args)
  for line in io.lines(os.getenv("BENCH_PATHS")) do
    if line ~= "" then table.insert(paths, line) end
  end
  local auth = os.getenv("BENCH_AUTHORIZATION")
  if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
  local cookie = os.getenv("BENCH_COOKIE")
  if cookie and cookie ~= "" then wrk.headers["Cookie"] = cookie end
  counter = math.random(#paths)
end

request = function()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p95": %d, "p99": %d, "max": %d}}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
