-- The refresh grant with rotation: each response's new refresh token goes back in this
-- thread's queue and is used once; the previous one is consumed. BENCH_FILE holds a few
-- tokens per connection to start with.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local common = require("common")
setup = common.setup
done = common.done

local queue, head, tail

function init(args)
  queue = common.lines(os.getenv("BENCH_FILE"), id, tonumber(os.getenv("BENCH_THREADS")))
  head, tail = 1, #queue
end

function request()
  local token = queue[head] or "none-left"
  queue[head] = nil
  head = head + 1
  return wrk.format("POST", "/token", {
    ["Authorization"] = os.getenv("BENCH_BASIC"),
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, "grant_type=refresh_token&refresh_token=" .. token)
end

function response(status, headers, body)
  local token = body:match('"refresh_token": *"([^"]+)"')
  if token then
    tail = tail + 1
    queue[tail] = token
  end
end
