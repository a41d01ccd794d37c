-- The authorization-code exchange: each request redeems its own code (read from BENCH_FILE),
-- once. When this thread's codes are used up, the thread stops.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local common = require("common")
setup = common.setup
done = common.done

local codes, next_code

function init(args)
  codes = common.lines(os.getenv("BENCH_FILE"), id, tonumber(os.getenv("BENCH_THREADS")))
  next_code = 1
end

function request()
  local code = codes[next_code]
  if code == nil then
    wrk.thread:stop()
    code = "used-up"
  end
  next_code = next_code + 1
  local body = "grant_type=authorization_code&code=" .. code ..
    "&redirect_uri=" .. os.getenv("BENCH_REDIRECT_URI") ..
    "&code_verifier=" .. os.getenv("BENCH_VERIFIER")
  return wrk.format("POST", "/token", {
    ["Authorization"] = os.getenv("BENCH_BASIC"),
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end
