-- wrk -s bench/bare.lua http://127.0.0.1:PORT : the baseline, a bare Django view.
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
wrk.method = "GET"
wrk.path = "/bench/bare/"
wrk.headers["Accept-Encoding"] = "gzip"
done = common.done
