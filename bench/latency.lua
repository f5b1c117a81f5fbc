-- wrk script for bench/inventory.sh: prints one machine-readable line when the run ends.
-- RESULT <requests> <errors> <p50 ms> <p95 ms> <p99 ms> <requests/s>
-- errors = HTTP status >= 400 plus connect/read/write/timeout errors, so a page that fails fast
-- cannot pass for a fast page.

done = function(summary, latency, requests)
  local e = summary.errors
  local errors = e.status + e.connect + e.read + e.write + e.timeout
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT %d %d %.2f %.2f %.2f %.1f\n",
    summary.requests, errors,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests / seconds))
end
