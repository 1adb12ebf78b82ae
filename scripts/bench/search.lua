-- wrk script for scripts/bench-search.sh: each request is GET /v1/search at a random point
-- from a pre-generated, seeded list (`onconet-bench points`), one path a line in the file
-- named by BENCH_PATHS.
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

function init(args)
  math.randomseed(tonumber(seed) or 1)
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
