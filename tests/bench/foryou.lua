-- wrk script for GET /api/v1/recommendations?intent=for-you: signed shoppers of the generated
-- shop in turn, each request another one. BENCH_SHOPPERS names a file of "<path> <signature>"
-- lines (tests/bench/recs.mjs writes it).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "wrk-common.lua")
local lines = {}
for line in io.lines(os.getenv("BENCH_SHOPPERS")) do
  local path, sig = line:match("^(%S+) (%S+)$")
  table.insert(lines, { path = path, sig = sig })
end
local n = 0

function request()
  n = n + 1
  local shopper = lines[(n + thread_no * 7919) % #lines + 1]
  return wrk.format("GET", shopper.path, { ["x-lojal-signature"] = shopper.sig })
end

function response(status)
  expect_status("for-you", status, 200)
end
