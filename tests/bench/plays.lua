-- wrk script for POST /api/v1/campaigns/{id}/play: a guest plays the wheel, each request with its
-- own email and idempotency key (run id, thread number, counter), because a guest email plays
-- once per campaign period; so every request is a new draw, a new play row and, when the segment
-- has a prize in stock, a new coupon. The campaign comes from the environment (api.mjs sets it).
local campaign = os.getenv("BENCH_CAMPAIGN") or "vinterhjulet"
local run = os.getenv("BENCH_RUN") or tostring(os.time())
local threads = {}
local counter = 0
thread_no = 0

function setup(thread)
  thread:set("thread_no", #threads + 1)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local id = string.format("bench-%s-%d-%d", run, thread_no, counter)
  local headers = {
    ["content-type"] = "application/json",
    ["idempotency-key"] = id,
  }
  local body = string.format('{"email":"%s@example.no","marketing_consent":false}', id)
  return wrk.format("POST", "/api/v1/campaigns/" .. campaign .. "/play", headers, body)
end

-- Anything but 200 is a failed request: the bench reports it and fails the run.
bad = 0
function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
    if bad == 1 then io.stderr:write("plays: unexpected status " .. status .. ": " .. tostring(body) .. "\n") end
  end
end

function done(summary, latency, requests)
  local non2xx = 0
  for _, t in ipairs(threads) do non2xx = non2xx + t:get("bad") end
  io.write(string.format("BENCH-JSON {\"requests\":%d,\"seconds\":%.3f,\"non2xx\":%d,\"errors\":%d,\"p50us\":%d,\"p99us\":%d}\n",
    summary.requests, summary.duration / 1e6, non2xx, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
