-- wrk script for GET /api/v1/loyalty/{id}: one signed shopper, read over and over. The path and
-- signature come from the environment (tests/bench/api.mjs sets them).
local path = os.getenv("BENCH_PATH")
local sig = os.getenv("BENCH_SIG")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

bad = 0
function request()
  return wrk.format("GET", path, { ["x-lojal-signature"] = sig })
end

function response(status)
  if status ~= 200 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local non2xx = 0
  for _, t in ipairs(threads) do non2xx = non2xx + t:get("bad") end
  io.write(string.format("BENCH-JSON {\"requests\":%d,\"seconds\":%.3f,\"non2xx\":%d,\"errors\":%d,\"p50us\":%d,\"p99us\":%d}\n",
    summary.requests, summary.duration / 1e6, non2xx, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
