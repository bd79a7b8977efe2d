-- wrk script for POST /api/v1/feedback: an anonymous NPS answer, each request with its own
-- idempotency key, so every request stores a new row.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "wrk-common.lua")

function request()
  local headers = {
    ["content-type"] = "application/json",
    ["idempotency-key"] = next_key(),
  }
  return wrk.format("POST", "/api/v1/feedback", headers, '{"type":"nps","score":9,"campaign":"bench"}')
end

-- Anything but 201 is a failed request: the bench reports it and fails the run.
function response(status)
  expect_status("feedback", status, 201)
end
