-- wrk script: POST one FHIR referral Bundle per request, each under its own
-- Idempotency-Key so the gateway stores a new message every time (a repeated
-- key would be answered from the store, a read instead of a durable write).
--
-- Usage: wrk ... -s post_referral.lua https://127.0.0.1:PORT/fhir -- BODY_FILE TOKEN RUN_ID
--   BODY_FILE  the request body (the golden Bundle)
--   TOKEN      the bearer token of a submitter
--   RUN_ID     unique per wrk run, so keys never repeat across runs on one store
-- At the end it prints one line, "wrk-result key=value ...", for bench/http/intake.sh.
-- With WRK_QUANTILES=FILE in the environment it also writes its latency quantiles
-- there, at every 0.1 % ("PERCENT MICROSECONDS" per line), so the latencies of several
-- wrk processes loading one system together can be merged (bench/http/postgresql.sh):
-- percentiles themselves do not add up.

local threads_made = 0

function setup(thread)
  thread:set("thread_id", threads_made)
  threads_made = threads_made + 1
end

local head, tail, key_prefix
local counter = 0

function init(args)
  local file = assert(io.open(args[1], "rb"), "cannot read the body file " .. tostring(args[1]))
  local body = file:read("*a")
  file:close()
  local headers = {
    ["Authorization"] = "Bearer " .. args[2],
    ["Content-Type"] = "application/fhir+json",
    ["Accept"] = "application/fhir+json",
    ["Idempotency-Key"] = "@KEY@",
  }
  -- Formatted once; each request only splices its key in, so wrk's own cost
  -- per request stays one string concatenation.
  local request = wrk.format("POST", nil, headers, body)
  local at = assert(request:find("@KEY@", 1, true))
  head = request:sub(1, at - 1)
  tail = request:sub(at + 5)
  key_prefix = "bench-" .. args[3] .. "-" .. tostring(thread_id) .. "-"
end

function request()
  counter = counter + 1
  return head .. key_prefix .. counter .. tail
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "wrk-result requests=%d duration_us=%d bytes=%d p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d " ..
    "mean_us=%.1f connect_errors=%d read_errors=%d write_errors=%d timeouts=%d non_2xx=%d\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean, e.connect, e.read, e.write, e.timeout, e.status))
  -- done() runs in wrk's main Lua state, where init() never ran: hence the environment.
  local quantiles_file = os.getenv("WRK_QUANTILES")
  if quantiles_file and summary.requests > 0 then
    local out = assert(io.open(quantiles_file, "w"), "cannot write " .. quantiles_file)
    for i = 1, 1000 do
      out:write(string.format("%.1f %d\n", i / 10, latency:percentile(i / 10)))
    end
    out:close()
  end
end
