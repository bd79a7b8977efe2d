-- Shared by the wrk scripts (feedback.lua, plays.lua, reads.lua, redeem.lua, mixed.lua; each loads it with dofile): numbers
-- the threads, counts the answers with the wrong status, and prints the run as one BENCH-JSON line
-- for tests/bench/api.mjs. wrk runs a script in its own Lua state per thread, so `thread_no`,
-- `counter` and `bad` are per thread; `setup` and `done` run in the main state.
local threads = {}
local counter = 0
thread_no = 0
bad = 0
local run = os.getenv("BENCH_RUN") or tostring(os.time())

function setup(thread)
  thread:set("thread_no", #threads + 1)
  table.insert(threads, thread)
end

-- A key no other request of any run has (run id, thread number, counter): every request is new.
function next_key()
  counter = counter + 1
  return string.format("bench-%s-%d-%d", run, thread_no, counter)
end

-- Counts an answer other than `expected`; the first one is told on stderr (`what` names the script).
function expect_status(what, status, expected, body)
  if status ~= expected then
    bad = bad + 1
    if bad == 1 then io.stderr:write(what .. ": unexpected status " .. status .. (body and ": " .. tostring(body) or "") .. "\n") end
  end
end

function done(summary, latency, requests)
  local non2xx = 0
  for _, t in ipairs(threads) do non2xx = non2xx + t:get("bad") end
  io.write(string.format("BENCH-JSON {\"requests\":%d,\"seconds\":%.3f,\"non2xx\":%d,\"errors\":%d,\"p50us\":%d,\"p99us\":%d}\n",
    summary.requests, summary.duration / 1e6, non2xx, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
