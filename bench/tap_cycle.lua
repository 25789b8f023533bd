-- wrk script: responders cycling through the status machine, one team per connection.
-- Run with as many threads as connections (wrk -t N -c N), so each thread's state is one
-- phone's. BENCH_WRK_CONF names a Lua file (written by bench/wrk.py) that returns
--   { nonce = <int>, dispatcher = { cookie = ..., csrf = ... },
--     teams = { { call_sign = ..., cookie = ..., csrf = ..., incidents = {...}, next = <1-based> }, ... } }
-- The next step is read from the card each tap answers with, as in bench/client.py.

local conf = dofile(os.getenv("BENCH_WRK_CONF"))
local threads = {}
local count = 0

function setup(thread)
  count = count + 1
  thread:set("slot", count)
  table.insert(threads, thread)
end

function init(args)
  team = conf.teams[slot]
  step = "card"  -- first read the card, to learn the team's state and version
  version = 0
  seq = 0
  next_call = team.next
  changes = 0
  failed = 0
end

local function form(fields)
  local parts = {}
  for _, pair in ipairs(fields) do
    parts[#parts + 1] = pair[1] .. "=" .. pair[2]
  end
  return table.concat(parts, "&")
end

local function client_uuid()
  seq = seq + 1
  return string.format("%08x-%04x-4000-8000-%012x", conf.nonce, slot, seq)
end

local function next_step(card)
  for _, action in ipairs({ "accept", "en_route", "on_scene" }) do
    if card:find('name="action" value="' .. action .. '"', 1, true) then
      return action
    end
  end
  if card:find("/field/outcome", 1, true) then
    return "clear"
  end
  return "assign"
end

function request()
  local phone = {
    ["Cookie"] = team.cookie,
    ["HX-Request"] = "true",
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }
  if step == "card" then
    return wrk.format("GET", "/field/card", { ["Cookie"] = team.cookie, ["HX-Request"] = "true" })
  elseif step == "assign" then
    local id = team.incidents[next_call] or 0
    next_call = next_call + 1
    return wrk.format("POST", "/dispatch/incidents/" .. id .. "/assign", {
      ["Cookie"] = conf.dispatcher.cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded",
    }, form({ { "csrf_token", conf.dispatcher.csrf }, { "team", team.call_sign }, { "version", version } }))
  elseif step == "clear" then
    return wrk.format("POST", "/field/outcome", phone, form({
      { "csrf_token", team.csrf }, { "version", version }, { "client_uuid", client_uuid() },
      { "disposition", "resolved_on_scene" }, { "people_served", "1" },
    }))
  end
  return wrk.format("POST", "/field/status", phone, form({
    { "csrf_token", team.csrf }, { "action", step }, { "version", version },
    { "client_uuid", client_uuid() },
  }))
end

function response(status, headers, body)
  if step == "assign" then
    if status == 303 then
      changes = changes + 1
      version = version + 1
      step = "accept"
    else
      failed = failed + 1
      step = "card"
    end
    return
  end
  if step ~= "card" then
    if status == 200 then changes = changes + 1 else failed = failed + 1 end
  end
  local found = body:match('data%-team%-version="(%d+)"')
  if found then version = tonumber(found) end
  step = next_step(body)
end

function done(summary, latency, requests)
  local total_changes, total_failed = 0, 0
  for _, thread in ipairs(threads) do
    total_changes = total_changes + thread:get("changes")
    total_failed = total_failed + thread:get("failed")
  end
  io.write(string.format("BENCH changes=%d failed=%d seconds=%.3f\n",
    total_changes, total_failed, summary.duration / 1e6))
end
