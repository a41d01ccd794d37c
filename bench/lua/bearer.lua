-- Requests that present an access token (userinfo, introspection), cycling over this thread's
-- tokens (BENCH_FILE): each token is presented many times, as a portal does.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local common = require("common")
setup = common.setup
done = common.done

local tokens, n

function init(args)
  tokens = common.lines(os.getenv("BENCH_FILE"), id, tonumber(os.getenv("BENCH_THREADS")))
  n = 0
end

function request()
  n = n + 1
  local token = tokens[(n % #tokens) + 1]
  if os.getenv("BENCH_PATH") == "/userinfo" then
    return wrk.format("GET", "/userinfo", {["Authorization"] = "Bearer " .. token})
  end
  return wrk.format("POST", os.getenv("BENCH_PATH"), {
    ["Authorization"] = os.getenv("BENCH_BASIC"),
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, "token=" .. token)
end
