-- wrk script for POST /api/v1/feedback: an anonymous NPS answer, each request with its own
-- idempotency key (thread number, run id, counter), so every request stores a new row.
local threads = {}
local counter = 0
thread_no = 0
local run = os.getenv("BENCH_RUN") or tostring(os.time())

function setup(thread)
  thread:set("thread_no", #threads + 1)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local headers = {
    ["content-type"] = "application/json",
    ["idempotency-key"] = string.format("bench-%s-%d-%d", run, thread_no, counter),
  }
  return wrk.format("POST", "/api/v1/feedback", headers, '{"type":"nps","score":9,"campaign":"bench"}')
end

-- Anything but 201 is a failed request: the bench reports it and fails the run.
bad = 0
function response(status)
  if status ~= 201 then
    bad = bad + 1
    if bad == 1 then io.stderr:write("feedback: unexpected status " .. status .. "\n") end
  end
end

function done(summary, latency, requests)
  local non2xx = 0
  for _, t in ipairs(threads) do non2xx = non2xx + t:get("bad") end
  io.write(string.format("BENCH-JSON {\"requests\":%d,\"seconds\":%.3f,\"non2xx\":%d,\"errors\":%d,\"p50us\":%d,\"p99us\":%d}\n",
    summary.requests, summary.duration / 1e6, non2xx, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
