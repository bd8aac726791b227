-- wrk -s bench/intake.lua http://127.0.0.1:PORT : receipts at the counter through the API,
-- POST /api/dossiers/intake as a counter officer (bearer token), outcome "receive".
-- Each request takes a random officer (one per commune) and a new applicant.
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local lines = common.lines(os.getenv("BENCH_DATA") .. "/intake.txt")
local head = {}
for w in lines[1]:gmatch("%S+") do head[#head + 1] = w end
local procedure = table.remove(head, 1)
local checklist = table.concat(head, ", ")
local tokens = {}
for i = 2, #lines do tokens[#tokens + 1] = lines[i] end
local n = 0

function init(args) common.seed() end

function request()
  n = n + 1
  local phone = string.format("09%08d", math.random(0, 99999999))
  local body = string.format(
    '{"procedure_code": "%s", "applicant": {"name": "Nguyễn Văn Thử %d", "phone": "%s"}, '
      .. '"checklist_ticked": [%s], "outcome": "receive"}',
    procedure, n, phone, checklist)
  return wrk.format("POST", "/api/dossiers/intake", {
    ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)],
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
  }, body)
end

done = common.done
