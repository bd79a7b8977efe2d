-- wrk script for GET /api/v1/loyalty/{id}: one signed shopper, read over and over. The path and
-- signature come from the environment (tests/bench/api.mjs sets them).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "wrk-common.lua")
local path = os.getenv("BENCH_PATH")
local sig = os.getenv("BENCH_SIG")

function request()
  return wrk.format("GET", path, { ["x-lojal-signature"] = sig })
end

function response(status)
  expect_status("reads", status, 200)
end
