-- wrk script for the verification API (POST /api/v1/verify): each request sends the next QR text
-- of a file (one EDL1 code per line, e.g. from `edl wallet qr --text --count 240`), so the device
-- signature is checked anew every time. Non-200 answers and reports that are not valid are counted
-- and printed: a benchmark of refusals would be worthless.
--
--   wrk -t1 -c64 -d30s -s crates/cli/bench/verify.lua http://127.0.0.1:8080/api/v1/verify \
--       -- codes.txt "$EDL_API_KEY" roadside

local bodies = {}
local next_body = 0
local threads = {}
-- Per thread (each wrk thread has its own Lua state); summed in done().
not_valid = 0

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  local path, key, purpose = args[1], args[2], args[3] or "roadside"
  if not path or not key then
    error("usage: -- CODES_FILE API_KEY [PURPOSE]")
  end
  for line in io.lines(path) do
    if #line > 0 then
      bodies[#bodies + 1] = '{"purpose":"' .. purpose .. '","qr_text":"' .. line .. '"}'
    end
  end
  if #bodies == 0 then
    error(path .. " holds no codes")
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. key
end

function request()
  next_body = next_body % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[next_body])
end

function response(status, headers, body)
  if status == 200 and not string.find(body, '"valid":true', 1, true) then
    not_valid = not_valid + 1
  end
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format("requests: %d in %.2f s = %.0f/s\n", summary.requests, seconds,
    summary.requests / seconds))
  io.write(string.format("latency (ms): p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
  local invalid = 0
  for _, thread in ipairs(threads) do
    invalid = invalid + thread:get("not_valid")
  end
  io.write(string.format(
    "errors: connect %d, read %d, write %d, timeout %d, non-2xx %d; 200 but not valid %d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    summary.errors.status, invalid))
end
