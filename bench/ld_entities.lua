-- Linked Data requests for wrk: every entity IRI of the graph in turn (or a list of paths), GET.
--
--   wrk -t2 -c8 -d12s --latency -s bench/ld_entities.lua http://127.0.0.1:PORT -- FILE MODE ARG ACCEPT [HEADER ...]
--
-- FILE    one line per request: an entity IRI (modes path, describe) or a request path (mode raw)
-- MODE    path:     GET the IRI's path on this server: the IRI with the prefix ARG removed
--                   (ARG = https://w3id.org/kjtrade/ : <https://w3id.org/kjtrade/id/country/KR> -> /id/country/KR);
--                   kgpub and Trifid answer the entity's document there
--         describe: GET ARG?query=DESCRIBE%20%3CIRI%3E (ARG = /query: Oxigraph's SPARQL endpoint)
--         raw:      GET the line as it is (fragments pages, dump files); ARG is ignored
-- ACCEPT  the Accept header (text/turtle, application/ld+json, ...); "-" sends none
-- HEADER  (any number) more headers as "Name: value"
--
-- The lines are cycled in order, every one equally often; the threads start at different places.
-- done() prints one line "JSON {...}" with the counts and the latency percentiles (microseconds).

local paths = {}
local index = 0
local headers = {}

local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("tid", thread_count)
end

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  local file = assert(io.open(args[1], "r"), "cannot open the request file " .. tostring(args[1]))
  local mode, arg = args[2] or "raw", args[3] or ""
  for line in file:lines() do
    if #line > 0 then
      if mode == "path" then
        assert(line:sub(1, #arg) == arg, "not under " .. arg .. ": " .. line)
        paths[#paths + 1] = "/" .. line:sub(#arg + 1)
      elseif mode == "describe" then
        paths[#paths + 1] = arg .. "?query=" .. urlencode("DESCRIBE <" .. line .. ">")
      elseif mode == "raw" then
        paths[#paths + 1] = line
      else
        error("unknown mode " .. mode .. ": path, describe or raw")
      end
    end
  end
  file:close()
  assert(#paths > 0, "no requests in " .. args[1])
  local accept = args[4] or "-"
  if accept ~= "-" then headers["Accept"] = accept end
  for i = 5, #args do  -- more headers, "Name: value" (a browser's Accept-Language, Accept-Encoding)
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    assert(name, "not a header (Name: value): " .. args[i])
    headers[name] = value
  end
  index = (((tid or 1) - 1) * math.max(1, math.floor(#paths / 2))) % #paths
end

function request()
  index = index % #paths + 1
  return wrk.format("GET", paths[index], headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
