-- The sandbox Redis builds around scripts, for a stock Lua 5.1.
--
-- Redis patches its Lua with read-only tables; stock Lua has none, so the
-- protected tables (_G and every library table) are empty proxies whose
-- reads go to the real table and whose writes fail with Redis's message.
-- The functions that would see through a proxy (next, pairs, ipairs,
-- rawget, rawset, setmetatable) are replaced by versions that know them,
-- and the loaders and xpcall by versions that keep the sandbox.
--
-- Called once per VM with the real global table, debug.getinfo (kept
-- private: scripts have no debug library), `killed()` (whether SCRIPT
-- KILL stopped the running script) and debug.getmetatable (the
-- metatable itself, as luaL_getmetafield sees it, whatever its
-- __metatable field says). Returns the handles the server needs.
local G, getinfo, killed, getmetatable_raw = ...

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

-- The base functions that must know the proxies, in the (status, value)
-- convention of the Rust primitives: the server makes them C functions
-- (see lift.rs), as they are in Redis, so that their errors read as C
-- functions' do: `user_script:1: bad argument #1 to 'pairs' (table
-- expected, got number)`, named as the script called them and located at
-- the script's line even in a tail call. Status 4 is luaL_argerror's
-- {argument, message}; `count` is how many arguments the call passed
-- (luaL_typename's "no value" past it).
local function typename(count, n, v)
  if n > count then
    return "no value"
  end
  return type(v)
end
local function expected(count, n, v, what)
  return 4, { n, what .. " expected, got " .. typename(count, n, v) }
end
local function pack(...)
  return 1, { n = select("#", ...), ... }
end
local function next_(...)
  local count, t, k = select("#", ...), ...
  if type(t) ~= "table" then
    return expected(count, 1, t, "table")
  end
  return pack(next_raw(real(t), k))
end
-- pairs' iterator for a proxy: like Lua's, a function other than the
-- global `next`.
local function proxy_next(t, k)
  return next_raw(real(t), k)
end
local function pairs_(...)
  local count, t = select("#", ...), ...
  if type(t) ~= "table" then
    return expected(count, 1, t, "table")
  end
  if backing[t] then
    return pack(proxy_next, t, nil)
  end
  return pack(pairs_raw(t))
end
local function ipairs_(...)
  local count, t = select("#", ...), ...
  if type(t) ~= "table" then
    return expected(count, 1, t, "table")
  end
  local b = backing[t]
  if b then
    return pack(ipairs_iter, b, 0)
  end
  return pack(ipairs_raw(t))
end
local function rawget_(...)
  local count, t, k = select("#", ...), ...
  if type(t) ~= "table" then
    return expected(count, 1, t, "table")
  end
  if count < 2 then
    return 4, { 2, "value expected" }
  end
  return 0, rawget_raw(real(t), k)
end
local function rawset_(...)
  local count, t, k, v = select("#", ...), ...
  if type(t) ~= "table" then
    return expected(count, 1, t, "table")
  end
  for n = 2, 3 do
    if count < n then
      return 4, { n, "value expected" }
    end
  end
  if backing[t] then
    return 3, READONLY
  end
  return 0, rawset_raw(t, k, v)
end
local function setmetatable_(...)
  local count, t, mt = select("#", ...), ...
  if type(t) ~= "table" then
    return expected(count, 1, t, "table")
  end
  if count < 2 or (mt ~= nil and type(mt) ~= "table") then
    return 4, { 2, "nil or table expected" }
  end
  if backing[t] then
    return 3, READONLY
  end
  local current = getmetatable_raw(t)
  if current ~= nil and rawget_raw(current, "__metatable") ~= nil then
    return 2, "cannot change a protected metatable"
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
  -- Redis's pcall puts its result placeholder (a boolean) where the
  -- function goes, so with no function it calls that.
  if select("#", ...) == 0 then
    return false, "attempt to call a boolean value"
  end
  return pcall_result(pcall_raw(...))
end
local function xpcall_result(ok, ...)
  if not ok and killed() then
    return 3, (...)
  end
  return pack(ok, ...)
end
local function xpcall_(...)
  local count, f, h = select("#", ...), ...
  if count < 2 then
    return 4, { 2, "value expected" }
  end
  return xpcall_result(xpcall(f, h))
end
-- Chunks compiled by a script run in the script's environment, not in the
-- unprotected real globals.
-- Binary chunks are refused (Redis's Lua has no bytecode loader: crafted
-- bytecode can corrupt the VM).
local function is_binary(s)
  return type(s) == "string" and s:byte(1) == 27
end
local function is_text(v)
  local kind = type(v)
  return kind == "string" or kind == "number"
end
-- luaL_optstring's check of a chunk name.
local function bad_name(count, name)
  if name ~= nil and not is_text(name) then
    return expected(count, 2, name, "string")
  end
end
local function in_env(f, e)
  if f then
    setfenv(f, env)
  end
  return pack(f, e)
end
local function loadstring_(...)
  local count, s, name = select("#", ...), ...
  if not is_text(s) then
    return expected(count, 1, s, "string")
  end
  local status, problem = bad_name(count, name)
  if status then
    return status, problem
  end
  if is_binary(s) then
    return pack(nil, "binary chunks are not allowed")
  end
  return in_env(loadstring_raw(s, name))
end
local function load_(...)
  local count, fn, name = select("#", ...), ...
  if type(fn) ~= "function" then
    return expected(count, 1, fn, "function")
  end
  local status, problem = bad_name(count, name)
  if status then
    return status, problem
  end
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
    return pack(nil, "binary chunks are not allowed")
  end
  return in_env(f, e)
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
  next = next_,
  pairs = pairs_,
  ipairs = ipairs_,
  rawget = rawget_,
  rawset = rawset_,
  setmetatable = setmetatable_,
  loadstring = loadstring_,
  load = load_,
  xpcall = xpcall_,
  env = env,
  slot = slot,
  via_slot = via_slot,
  set_api = set_api,
  strict = strict,
  protect = protect,
  run = run,
  handler = handler,
}
