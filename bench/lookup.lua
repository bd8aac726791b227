-- wrk -s bench/lookup.lua http://127.0.0.1:PORT : the resident's status page, each request
-- for a random seeded dossier (code + last 4 phone digits), as a browser asks for it (gzip),
-- from one of BENCH_CLIENTS (2000) client addresses in X-Forwarded-For.
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local targets = {}
for _, line in ipairs(common.lines(os.getenv("BENCH_DATA") .. "/lookup.txt")) do
  local code, phone = line:match("^(%S+) (%d%d%d%d)$")
  targets[#targets + 1] = "/tra-cuu/?ma=" .. code .. "&sdt=" .. phone
end
local headers = { ["Accept-Encoding"] = "gzip", ["Accept-Language"] = "vi" }
-- As nginx would pass them (bench/settings_bench.py trusts the header): one of BENCH_CLIENTS
-- residents' addresses per request, so the limiter's counters are spread over rows as in a ward.
local clients = tonumber(os.getenv("BENCH_CLIENTS") or "2000")

function init(args) common.seed() end

function request()
  local n = math.random(clients)
  headers["X-Forwarded-For"] = string.format("10.%d.%d.%d",
    math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
  return wrk.format("GET", targets[math.random(#targets)], headers)
end

done = common.done
