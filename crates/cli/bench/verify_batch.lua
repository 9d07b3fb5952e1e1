-- wrk script for the verification API's batch call (POST /api/v1/verify/batch): each request sends
-- the next BATCH QR texts of a file (one EDL1 code per line, e.g. from `edl wallet qr --text --count
-- 240`) as one batch, so every device signature is checked anew. Verifications (items) are counted
-- beside requests; items that are not answered 200 with a valid report are counted and printed.
--
--   wrk -t1 -c16 -d30s -s crates/cli/bench/verify_batch.lua http://127.0.0.1:8080/api/v1/verify/batch \
--       -- codes.txt "$EDL_API_KEY" roadside 50

local bodies = {}
local next_body = 0
local threads = {}
-- Per thread (each wrk thread has its own Lua state); summed in done().
batch = 0
items_valid = 0
items_other = 0

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  local path, key, purpose = args[1], args[2], args[3] or "roadside"
  batch = tonumber(args[4] or "50")
  if not path or not key or not batch or batch < 1 then
    error("usage: -- CODES_FILE API_KEY [PURPOSE] [BATCH]")
  end
  local codes = {}
  for line in io.lines(path) do
    if #line > 0 then
      codes[#codes + 1] = '{"purpose":"' .. purpose .. '","qr_text":"' .. line .. '"}'
    end
  end
  if #codes == 0 then
    error(path .. " holds no codes")
  end
  -- As many distinct bodies as there are codes, each starting one code further on.
  for first = 1, #codes do
    local items = {}
    for i = 0, batch - 1 do
      items[#items + 1] = codes[(first + i - 1) % #codes + 1]
    end
    bodies[#bodies + 1] = '{"items":[' .. table.concat(items, ",") .. ']}'
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. key
end

function request()
  next_body = next_body % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[next_body])
end

local function count(text, pattern)
  local n, at = 0, 1
  while true do
    local found = string.find(text, pattern, at, true)
    if not found then
      return n
    end
    n = n + 1
    at = found + #pattern
  end
end

function response(status, headers, body)
  if status == 200 then
    local valid = count(body, '"valid":true')
    items_valid = items_valid + valid
    items_other = items_other + batch - valid
  end
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local valid, other = 0, 0
  local batch = threads[1] and threads[1]:get("batch") or 0
  for _, thread in ipairs(threads) do
    valid = valid + thread:get("items_valid")
    other = other + thread:get("items_other")
  end
  io.write(string.format("requests: %d in %.2f s = %.0f/s\n", summary.requests, seconds,
    summary.requests / seconds))
  io.write(string.format("verifications: %d valid in %.2f s = %.0f/s (batch %d)\n", valid, seconds,
    valid / seconds, batch))
  io.write(string.format("latency of a batch (ms): p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format(
    "errors: connect %d, read %d, write %d, timeout %d, non-2xx %d; items not valid or refused %d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    summary.errors.status, other))
end
