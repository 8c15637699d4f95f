-- POST a JSON body to each "path<TAB>token<TAB>body" line of LOOKUP_FILE in turn; anything but a
-- 200 whose body has a "favorites" object counts as an error.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
local threads = {}
function setup(thread) table.insert(threads, thread) end

local lines = {}
for line in io.lines(os.getenv("LOOKUP_FILE")) do
  local p, t, b = line:match("([^\t]+)\t([^\t]+)\t(.+)")
  lines[#lines + 1] = {p, "Bearer " .. t, b}
end
local i = 0
bad, s2, s3, s4, s5 = 0, 0, 0, 0, 0

request = function()
  i = i % #lines + 1
  return wrk.format("POST", lines[i][1], {["Authorization"] = lines[i][2],
    ["Content-Type"] = "application/json"}, lines[i][3])
end

response = function(status, headers, body)
  if status >= 500 then s5 = s5 + 1 elseif status >= 400 then s4 = s4 + 1
  elseif status >= 300 then s3 = s3 + 1 else s2 = s2 + 1 end
  if status ~= 200 or not body:find('"favorites":%s*{') then
    bad = bad + 1
    remember(status, body)
  end
end

done = report(threads)
