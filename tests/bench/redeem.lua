-- wrk script for POST /api/v1/loyalty/{id}/redeem: signed members in turn redeem free shipping
-- (300 points), each request with its own idempotency key, so every request is a new coupon, a
-- ledger row and an event. BENCH_SHOPPERS names a file of "<customer id> <signature>" lines
-- (tests/bench/api.mjs writes it after giving each member millions of points).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "wrk-common.lua")
local members = {}
for line in io.lines(os.getenv("BENCH_SHOPPERS")) do
  local id, sig = line:match("^(%S+) (%S+)$")
  table.insert(members, { id = id, sig = sig })
end
local n = 0

function request()
  n = n + 1
  local member = members[(n + thread_no * 7919) % #members + 1]
  local headers = {
    ["content-type"] = "application/json",
    ["idempotency-key"] = next_key(),
    ["x-lojal-signature"] = member.sig,
  }
  return wrk.format("POST", "/api/v1/loyalty/" .. member.id .. "/redeem", headers, '{"reward_id":"r-ship"}')
end

-- Anything but 200 is a failed request: the bench reports it and fails the run.
function response(status, headers, body)
  expect_status("redeem", status, 200, body)
end
