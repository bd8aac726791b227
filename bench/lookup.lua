-- wrk -s bench/lookup.lua http://127.0.0.1:PORT : the resident's status page, each request
-- for a random seeded dossier (code + last 4 phone digits), as a browser asks for it (gzip).
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local targets = {}
for _, line in ipairs(common.lines(os.getenv("BENCH_DATA") .. "/lookup.txt")) do
  local code, phone = line:match("^(%S+) (%d%d%d%d)$")
  targets[#targets + 1] = "/tra-cuu/?ma=" .. code .. "&sdt=" .. phone
end
local headers = { ["Accept-Encoding"] = "gzip", ["Accept-Language"] = "vi" }

function init(args) common.seed() end

function request()
  return wrk.format("GET", targets[math.random(#targets)], headers)
end

done = common.done
