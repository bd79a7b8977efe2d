-- wrk script for a storefront's mix: of every 20 requests, 10 signed balance reads (the badge),
-- 3 "popular" rails, 2 campaign reads, 2 anonymous NPS answers, 2 guest plays and one
-- redemption, the members in turn. BENCH_SHOPPERS names the members' file (as redeem.lua).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "wrk-common.lua")
local members = {}
for line in io.lines(os.getenv("BENCH_SHOPPERS")) do
  local id, sig = line:match("^(%S+) (%S+)$")
  table.insert(members, { id = id, sig = sig })
end
local campaign = os.getenv("BENCH_CAMPAIGN") or "vinterhjulet"
local n = 0
local json = { ["content-type"] = "application/json" }

local function with(headers)
  local all = {}
  for k, v in pairs(json) do all[k] = v end
  for k, v in pairs(headers) do all[k] = v end
  return all
end

function request()
  n = n + 1
  local member = members[(n + thread_no * 7919) % #members + 1]
  local slot = (n + thread_no) % 20
  if slot < 10 then
    return wrk.format("GET", "/api/v1/loyalty/" .. member.id, { ["x-lojal-signature"] = member.sig })
  elseif slot < 13 then
    return wrk.format("GET", "/api/v1/recommendations?intent=popular&limit=8")
  elseif slot < 15 then
    return wrk.format("GET", "/api/v1/campaigns/" .. campaign)
  elseif slot < 17 then
    return wrk.format("POST", "/api/v1/feedback", with({ ["idempotency-key"] = next_key() }),
      '{"type":"nps","score":9,"campaign":"bench"}')
  elseif slot < 19 then
    local id = next_key()
    return wrk.format("POST", "/api/v1/campaigns/" .. campaign .. "/play", with({ ["idempotency-key"] = id }),
      string.format('{"email":"%s@example.no","marketing_consent":false}', id))
  else
    return wrk.format("POST", "/api/v1/loyalty/" .. member.id .. "/redeem",
      with({ ["idempotency-key"] = next_key(), ["x-lojal-signature"] = member.sig }), '{"reward_id":"r-ship"}')
  end
end

-- Every request of the mix answers 200 or 201; anything else fails the run.
function response(status, headers, body)
  if status == 201 then status = 200 end
  expect_status("mixed", status, 200, body)
end
