-- Shared by the wrk scripts: read a data file, and print one machine-readable result line.
local M = {}

function M.lines(path)
  local t = {}
  for line in io.lines(path) do
    if line ~= "" then t[#t + 1] = line end
  end
  assert(#t > 0, "no data in " .. path)
  return t
end

function M.seed()
  -- Each wrk thread has its own Lua state; give each its own random sequence.
  local addr = tonumber(tostring({}):match("0x(%x+)") or "0", 16) or 0
  math.randomseed(os.time() + addr % 1000003)
end

function M.done(summary, latency, requests)
  local e = summary.errors
  local function ms(us) return string.format("%.2f", us / 1000) end
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_s=%.2f rps=%.1f p50_ms=%s p90_ms=%s p99_ms=%s max_ms=%s "
      .. "mean_ms=%s err_connect=%d err_read=%d err_write=%d err_timeout=%d err_status=%d bytes=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    ms(latency:percentile(50)), ms(latency:percentile(90)), ms(latency:percentile(99)),
    ms(latency.max), ms(latency.mean),
    e.connect, e.read, e.write, e.timeout, e.status, summary.bytes))
end

return M
