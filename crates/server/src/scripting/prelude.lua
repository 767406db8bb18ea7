-- The sandbox Redis builds around scripts, for a stock Lua 5.1.
--
-- Redis patches its Lua with read-only tables; stock Lua has none, so the
-- protected tables (_G and every library table) are empty proxies whose
-- reads go to the real table and whose writes fail with Redis's message.
-- The functions that would see through a proxy (next, pairs, ipairs,
-- rawget, rawset, setmetatable) are replaced by versions that know them.
--
-- Called once per VM with the real global table, debug.getinfo (kept
-- private: scripts have no debug library) and `killed()` (whether SCRIPT
-- KILL stopped the running script). Returns the handles the server needs.
local G, getinfo, killed = ...

local error, type, tostring, select, unpack, setfenv = error, type, tostring, select, unpack, setfenv
local next_raw, rawget_raw, rawset_raw, setmetatable_raw = next, rawget, rawset, setmetatable
local pairs_raw, ipairs_raw, xpcall, loadstring_raw, load_raw = pairs, ipairs, xpcall, loadstring, load
local pcall_raw = pcall

local READONLY = "Attempt to modify a readonly table"

-- proxy -> real table
local backing = setmetatable_raw({}, { __mode = "k" })

local function readonly(_, _, _)
  error(READONLY, 2)
end

local function protect(t)
  local proxy = {}
  backing[proxy] = t
  setmetatable_raw(proxy, { __index = t, __newindex = readonly, __metatable = false })
  return proxy
end

local function real(t)
  return backing[t] or t
end

local function next_(t, k)
  return next_raw(real(t), k)
end

local function ipairs_iter(t, i)
  i = i + 1
  local v = rawget_raw(t, i)
  if v ~= nil then
    return i, v
  end
end

-- Reads of undefined globals are errors, as Redis's error metatable makes
-- them. `api` is what globals resolve to: the real globals, except while a
-- function library loads (Redis swaps the globals' __index the same way).
local api = G
local env = {}
backing[env] = G
setmetatable_raw(env, {
  __index = function(_, name)
    local v = rawget_raw(api, name)
    if v == nil then
      error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
    end
    return v
  end,
  __newindex = readonly,
  __metatable = false,
})

local function set_api(t)
  api = t or G
end

-- A protected table whose missing fields are errors too (the `redis`
-- table a function library sees while it loads).
local function strict(t)
  local proxy = {}
  backing[proxy] = t
  setmetatable_raw(proxy, {
    __index = function(_, name)
      local v = rawget_raw(t, name)
      if v == nil then
        error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
      end
      return v
    end,
    __newindex = readonly,
    __metatable = false,
  })
  return proxy
end

G.next = next_
G.pairs = function(t)
  if backing[t] then
    return next_, t, nil
  end
  return pairs_raw(t)
end
G.ipairs = function(t)
  local b = backing[t]
  if b then
    return ipairs_iter, b, 0
  end
  return ipairs_raw(t)
end
G.rawget = function(t, k)
  return rawget_raw(real(t), k)
end
-- In the (status, value) convention of the Rust primitives: the server
-- makes these two C functions (see lift.rs) so that their errors keep the
-- script's frame, as Redis's C rawset and setmetatable do.
local function rawset_(t, k, v)
  if backing[t] then
    return 3, READONLY
  end
  return 0, rawset_raw(t, k, v)
end
local function setmetatable_(t, mt)
  if backing[t] then
    return 3, READONLY
  end
  return 0, setmetatable_raw(t, mt)
end
-- Redis's pcall: an error table with an `err` field is caught as that
-- field's text (so `redis.call` errors caught by pcall are strings).
-- A killed script cannot catch its own death (Redis re-arms its hook on
-- every line for the same purpose).
local function pcall_result(ok, ...)
  if ok then
    return true, ...
  end
  local e = ...
  if killed() then
    error(e, 0)
  end
  if type(e) == "table" then
    local text = e.err
    local kind = type(text)
    if kind == "string" or kind == "number" then
      e = text
    end
  end
  return false, e
end
G.pcall = function(...)
  return pcall_result(pcall_raw(...))
end
local function xpcall_result(ok, ...)
  if not ok and killed() then
    error((...), 0)
  end
  return ok, ...
end
G.xpcall = function(f, h)
  return xpcall_result(xpcall(f, h))
end
-- Chunks compiled by a script run in the script's environment, not in the
-- unprotected real globals.
-- Binary chunks are refused (Redis's Lua has no bytecode loader: crafted
-- bytecode can corrupt the VM).
local function is_binary(s)
  return type(s) == "string" and s:byte(1) == 27
end
G.loadstring = function(s, name)
  if is_binary(s) then
    return nil, "binary chunks are not allowed"
  end
  local f, e = loadstring_raw(s, name)
  if f then
    setfenv(f, env)
  end
  return f, e
end
G.load = function(fn, name)
  local first = true
  local binary = false
  local reader = function()
    local piece = fn()
    if first and type(piece) == "string" and piece ~= "" then
      first = false
      if is_binary(piece) then
        binary = true
        return nil
      end
    end
    return piece
  end
  local f, e = load_raw(reader, name)
  if binary then
    return nil, "binary chunks are not allowed"
  end
  if f then
    setfenv(f, env)
  end
  return f, e
end

-- Primitives that exist only while a script runs (they borrow the calling
-- connection): the server puts them in `slot` for the run and removes them
-- after, and the public functions look them up at each call.
local slot = {}
local function via_slot(name)
  return function(...)
    local f = slot[name]
    if f == nil then
      return 3, { err = "ERR This Redis command is not allowed from script" }
    end
    return f(...)
  end
end

-- The source and line of the script frame that raised, skipping C
-- functions, tail calls and this file (Redis's __redis__err__handler looks
-- one level up when the raiser is a C function; the wrappers here are the
-- C functions of Redis).
local function locate()
  local level = 3
  while true do
    local i = getinfo(level, "Sl")
    if not i then
      return nil
    end
    if i.what ~= "C" and i.what ~= "tail" and i.source ~= "=moat" then
      return i
    end
    level = level + 1
  end
end

local function handler(err)
  local i = locate()
  if type(err) ~= "table" then
    err = { err = "ERR " .. tostring(err) }
  end
  if i then
    err["source"] = i.source
    err["line"] = i.currentline
  end
  return err
end

local function run(f, ...)
  local n = select("#", ...)
  local args = { ... }
  return xpcall(function()
    return f(unpack(args, 1, n))
  end, handler)
end

G.__redis__err__handler = handler

return {
  rawset = rawset_,
  setmetatable = setmetatable_,
  env = env,
  slot = slot,
  via_slot = via_slot,
  set_api = set_api,
  strict = strict,
  protect = protect,
  run = run,
  handler = handler,
}
