-- GET over "path<TAB>token[<TAB>etag]" lines from the file named by ROTATE_FILE, one line
-- after another, each customer with its own token. A response counts as an error unless it is
-- a 2xx page of this harness's data ("count": EXPECT_COUNT, default 20) or, where the line has an
-- ETag (sent as If-None-Match), a 304.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
local threads = {}
function setup(thread) table.insert(threads, thread) end

local lines = {}
for line in io.lines(os.getenv("ROTATE_FILE")) do
  local p, t, e = line:match("([^\t]+)\t?([^\t]*)\t?(.*)")
  lines[#lines + 1] = {p, t, e}
end
local expect = '"count":%s*' .. (os.getenv("EXPECT_COUNT") or "20") .. '[,}]'
local i = 0
bad, s2, s3, s4, s5 = 0, 0, 0, 0, 0

request = function()
  i = i % #lines + 1
  local h = {}
  if lines[i][2] ~= "" then h["Authorization"] = "Bearer " .. lines[i][2] end
  if lines[i][3] ~= "" then h["If-None-Match"] = lines[i][3] end
  return wrk.format("GET", lines[i][1], h)
end

local function count_status(status)
  if status >= 500 then s5 = s5 + 1 elseif status >= 400 then s4 = s4 + 1
  elseif status >= 300 then s3 = s3 + 1 else s2 = s2 + 1 end
end

response = function(status, headers, body)
  count_status(status)
  if status == 304 and lines[1][3] ~= "" then return end
  if status < 200 or status > 299 or not body:find(expect) then
    bad = bad + 1
    remember(status, body)
  end
end

done = report(threads)
