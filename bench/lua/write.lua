-- Add + delete of favorites over a cycle of "path<TAB>token<TAB>product_id" pairs from WRITE_FILE.
-- Thread t of WRK_THREADS takes lines t, t+n, t+2n...: no pair is shared between threads. Within
-- a thread's N pairs the first N/2 are present when the run starts (the harness makes it so), and
-- requests alternate POST pair k, DELETE pair k-N/2, k = N/2, N/2+1, ... (mod N): a pair's delete
-- comes N requests after its add, and its next add N requests after that, so the same pair is
-- never in flight twice. Anything but a 201 or a 204 counts as an error.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
local threads, started = {}, 0
function setup(thread)
  thread:set("tid", started)
  started = started + 1
  table.insert(threads, thread)
end

bad, s2, s3, s4, s5 = 0, 0, 0, 0, 0
local items, half, k, add_next, verifying = {}, 0, 0, true, false

function init(args)
  local n, i = tonumber(os.getenv("WRK_THREADS")), 0
  for line in io.lines(os.getenv("WRITE_FILE")) do
    if i % n == tid then
      local p, t, product = line:match("([^\t]+)\t([^\t]+)\t([^\t]+)")
      items[#items + 1] = {p, "Bearer " .. t, product}
    end
    i = i + 1
  end
  half = math.floor(#items / 2)
  k = half
  -- wrk calls thread 1's request() once before the run to check the script, and never sends it.
  verifying = tid == 0
end

request = function()
  if verifying then
    verifying = false
    return wrk.format("GET", items[1][1])
  end
  if add_next then
    local item = items[k % #items + 1]
    add_next = false
    return wrk.format("POST", item[1], {["Authorization"] = item[2],
      ["Content-Type"] = "application/json"}, '{"product_id": "' .. item[3] .. '"}')
  end
  local item = items[(k - half) % #items + 1]
  k = k + 1
  add_next = true
  return wrk.format("DELETE", item[1] .. item[3] .. "/", {["Authorization"] = item[2]})
end

response = function(status, headers, body)
  if status >= 500 then s5 = s5 + 1 elseif status >= 400 then s4 = s4 + 1
  elseif status >= 300 then s3 = s3 + 1 else s2 = s2 + 1 end
  if status ~= 201 and status ~= 204 then
    bad = bad + 1
    remember(status, body)
  end
end

done = report(threads)
