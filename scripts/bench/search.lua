-- wrk script for scripts/bench-search.sh: each request is GET /v1/search at a random point
-- from a pre-generated, seeded list (`onconet-bench points`), one path a line in the file
-- named by BENCH_PATHS. The requests are formatted once, in init, so that wrk spends its CPU
-- time (on the same cores as the server) on sending and receiving, not on building them.
local file = os.getenv("BENCH_PATHS") or "paths.txt"
local paths = {}
for line in io.lines(file) do
  paths[#paths + 1] = line
end
if #paths == 0 then
  error("no paths in " .. file)
end

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end

local requests = {}
function init(args)
  math.randomseed(tonumber(seed) or 1)
  for i, path in ipairs(paths) do
    requests[i] = wrk.format("GET", path)
  end
end

function request()
  return requests[math.random(#requests)]
end
