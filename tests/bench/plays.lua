-- wrk script for POST /api/v1/campaigns/{id}/play: a guest plays the wheel, each request with its
-- own email and idempotency key, because a guest email plays once per campaign period; so every
-- request is a new draw, a new play row and, when the segment has a prize in stock, a new coupon.
-- The campaign comes from the environment (api.mjs sets it).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "wrk-common.lua")
local campaign = os.getenv("BENCH_CAMPAIGN") or "vinterhjulet"

function request()
  local id = next_key()
  local headers = {
    ["content-type"] = "application/json",
    ["idempotency-key"] = id,
  }
  local body = string.format('{"email":"%s@example.no","marketing_consent":false}', id)
  return wrk.format("POST", "/api/v1/campaigns/" .. campaign .. "/play", headers, body)
end

-- Anything but 200 is a failed request: the bench reports it and fails the run.
function response(status, headers, body)
  expect_status("plays", status, 200, body)
end
