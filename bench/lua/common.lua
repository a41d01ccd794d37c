-- Shared by every scenario: per-thread ids, a list read from a file, and the summary the
-- harness parses (one line starting with "BENCH ").
local common = {}
local threads = {}
local counter = 0

function common.setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

-- Lines of ``path`` that belong to thread ``id`` of ``count`` (each used by one thread only).
function common.lines(path, id, count)
  local mine = {}
  local n = 0
  for line in io.lines(path) do
    if n % count == id then
      table.insert(mine, line)
    end
    n = n + 1
  end
  return mine
end

function common.done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end

-- BENCH_DELAY_MS paces each connection (wrk waits that long before its next request), for
-- the latency at a chosen fraction of the maximum rate.
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
if pause > 0 then
  function delay()
    return pause
  end
end

return common
