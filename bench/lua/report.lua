-- Shared by the scenario scripts: `remember` keeps the first wrong answer of a thread, and
-- `report(threads)` is wrk's done(): the one RESULT line (throughput, latency, errors: answers
-- the script judged wrong plus wrk's connect, read, write and timeout errors) and, when there
-- was a wrong answer, a SAMPLE line with one of them.
sample = ""

function remember(status, body)
  if sample == "" then
    sample = status .. " " .. (body or ""):sub(1, 300):gsub("[\r\n\t]", " ")
  end
end

function report(threads)
  return function(summary, latency, requests)
    local totals = {bad = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0}
    local example = ""
    for _, t in ipairs(threads) do
      for name, _ in pairs(totals) do totals[name] = totals[name] + (t:get(name) or 0) end
      if example == "" then example = t:get("sample") or "" end
    end
    local e = summary.errors
    io.write(string.format(
      "RESULT rps=%.1f p50_ms=%.3f p99_ms=%.3f requests=%d errors=%d bad=%d socket_errors=%d"
      .. " timeouts=%d s2xx=%d s3xx=%d s4xx=%d s5xx=%d\n",
      summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
      latency:percentile(99) / 1000, summary.requests,
      totals.bad + e.connect + e.read + e.write + e.timeout, totals.bad,
      e.connect + e.read + e.write, e.timeout, totals.s2, totals.s3, totals.s4, totals.s5))
    if example ~= "" then io.write("SAMPLE " .. example .. "\n") end
  end
end
