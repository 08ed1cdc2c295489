-- A mix of SPARQL queries for wrk: GET ENDPOINT?query=... with Accept: application/sparql-results+json.
--
--   wrk -t2 -c8 -d15s --latency -s bench/sparql_mix.lua http://127.0.0.1:PORT -- QUERIES ENDPOINT MODE SALT
--
-- QUERIES   a file with one query per line, already URL-encoded (the value of query=)
-- ENDPOINT  the path of the query service: /sparql (kgpub), /query (Oxigraph), / (rdflib-endpoint)
-- MODE      repeated: the same query texts, cycled (answer caches can serve them)
--           unique:   each request appends a SPARQL comment "\n# SALT-THREAD-N", so no two
--                     texts are equal and no answer cache can serve one (same query, same answer)
-- SALT      a word that keeps the texts of different runs (warm-up, measurement) apart
--
-- done() prints one line "JSON {...}" with the counts and the latency percentiles (microseconds).

local queries = {}
local endpoint, mode, salt
local counter = 0
local index = 0
local accept = { ["Accept"] = "application/sparql-results+json" }

local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("tid", thread_count)
end

function init(args)
  local file = assert(io.open(args[1], "r"), "cannot open the query file " .. tostring(args[1]))
  for line in file:lines() do
    if #line > 0 then queries[#queries + 1] = line end
  end
  file:close()
  assert(#queries > 0, "no queries in " .. args[1])
  endpoint = args[2] or "/sparql"
  mode = args[3] or "repeated"
  salt = args[4] or "x"
  -- threads start at different places in the mix
  index = (((tid or 1) - 1) * math.max(1, math.floor(#queries / 2))) % #queries
end

function request()
  index = index % #queries + 1
  local q = queries[index]
  if mode == "unique" then
    counter = counter + 1
    q = q .. "%0A%23%20" .. salt .. "-" .. (tid or 1) .. "-" .. counter
  end
  return wrk.format("GET", endpoint .. "?query=" .. q, accept)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
