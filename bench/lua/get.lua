-- A GET of one public document (discovery, JWKS).
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local common = require("common")
setup = common.setup
done = common.done
wrk.method = "GET"
wrk.path = os.getenv("BENCH_PATH")
