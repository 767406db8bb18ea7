//! The Lua VM Redis gives scripts: base (without the file and module
//! functions), table, string, math, coroutine, and the `cjson`, `bit`,
//! `cmsgpack`, `struct` libraries; read-only globals and library tables;
//! reads of undefined globals are errors; `math.random` on Redis's
//! generator; the static part of the `redis` table.
//!
//! The per-run part (`redis.call` and friends, which borrow the calling
//! connection) lives in [`super::run`]; the Lua side of the sandbox is
//! `prelude.lua`.

use super::libs::{self, answer_to_lua, Answer};
use super::lift::lift;
use super::random::Rand48;
use super::sha1::sha1_hex;
use crate::session_cmds::REDIS_COMPAT_VERSION;
use mlua::{Function, Lua, LuaOptions, MultiValue, StdLib, Table, Value};
use parking_lot::Mutex;
use std::sync::Arc;

const PRELUDE: &str = include_str!("prelude.lua");

/// Which of Redis's two VMs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum VmKind {
    /// EVAL scripts: `KEYS` and `ARGV` are globals, chunk `@user_script`.
    Eval,
    /// FUNCTION libraries: chunk `@user_function`, a restricted API while
    /// a library loads.
    Functions,
}

pub struct Vm {
    pub lua: Lua,
    /// The environment of every script chunk.
    pub env: Table,
    /// The unprotected globals (KEYS/ARGV are stored here).
    pub globals: Table,
    /// Per-run primitives (see `via_slot` in the prelude).
    pub slot: Table,
    /// `run(f, ...)`: xpcall with Redis's error handler.
    pub run: Function,
    set_api: Function,
    /// What a function library sees while it loads.
    load_api: Option<Table>,
}

impl Vm {
    pub fn new(
        kind: VmKind,
        rand: Arc<Mutex<Rand48>>,
        run: Arc<super::busy::RunState>,
    ) -> mlua::Result<Vm> {
        // SAFETY: the debug library is needed by the error handler only;
        // it is captured by the prelude and removed from the globals
        // before any script runs.
        let lua = unsafe {
            Lua::unsafe_new_with(
                StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG,
                LuaOptions::new(),
            )
        };
        let globals = lua.globals();
        let debug: Table = globals.get("debug")?;
        let getinfo: Function = debug.get("getinfo")?;
        let getmetatable: Function = debug.get("getmetatable")?;
        let killed = lua.create_function(move |_, ()| Ok(run.killed()))?;
        let handles: Table = lua.load(PRELUDE).set_name("=moat").call((
            globals.clone(),
            getinfo,
            killed,
            getmetatable,
        ))?;
        let protect: Function = handles.get("protect")?;
        let via_slot: Function = handles.get("via_slot")?;
        let strict: Function = handles.get("strict")?;

        install_random(&lua, &globals, rand)?;
        for name in [
            "next",
            "pairs",
            "ipairs",
            "rawget",
            "rawset",
            "setmetatable",
            "loadstring",
            "load",
            "xpcall",
        ] {
            let f: Function = handles.get(name)?;
            globals.raw_set(name, lift(&lua, f)?)?;
        }

        let library = |primitives: &[(&str, libs::Primitive)]| -> mlua::Result<Table> {
            libs::table_of(&lua, primitives)
        };
        globals.raw_set("cjson", libs::cjson::library(&lua)?)?;
        globals.raw_set("bit", library(libs::bit::PRIMITIVES)?)?;
        globals.raw_set("cmsgpack", library(libs::cmsgpack::PRIMITIVES)?)?;
        globals.raw_set("struct", library(libs::structlib::PRIMITIVES)?)?;

        let redis = library(REDIS_PRIMITIVES)?;
        add_constants(&redis)?;
        for (name, value) in [
            ("REPL_NONE", 0),
            ("REPL_AOF", 1),
            ("REPL_SLAVE", 2),
            ("REPL_REPLICA", 2),
            ("REPL_ALL", 3),
        ] {
            redis.raw_set(name, value)?;
        }
        for name in ["call", "pcall", "acl_check_cmd", "setresp"] {
            let f: Function = via_slot.call(name)?;
            redis.raw_set(name, lift(&lua, f)?)?;
        }
        globals.raw_set("redis", redis)?;

        let load_api = if kind == VmKind::Functions {
            let loading = library(LOAD_PRIMITIVES)?;
            add_constants(&loading)?;
            let register: Function = via_slot.call("register_function")?;
            loading.raw_set("register_function", lift(&lua, register)?)?;
            let api = lua.create_table()?;
            api.raw_set("redis", strict.call::<Table>(loading)?)?;
            Some(api)
        } else {
            None
        };

        for name in [
            "debug", "print", "dofile", "loadfile", "require", "module", "getfenv", "setfenv",
            "newproxy", "package", "os", "io",
        ] {
            globals.raw_set(name, Value::Nil)?;
        }
        for name in [
            "string",
            "table",
            "math",
            "coroutine",
            "cjson",
            "bit",
            "cmsgpack",
            "struct",
            "redis",
        ] {
            let table: Table = globals.raw_get(name)?;
            globals.raw_set(name, protect.call::<Table>(table)?)?;
        }
        // Strings index the (protected) string library, as in Redis.
        let string_proxy: Table = globals.raw_get("string")?;
        let string_meta: Table = lua.load("return getmetatable('')").call(())?;
        string_meta.raw_set("__index", string_proxy)?;
        // Scripts reach the string metatable through getmetatable(''):
        // they get a read-only view of it (it would otherwise let a
        // script keep state across runs).
        let meta_view: Table = protect.call(string_meta.clone())?;
        string_meta.raw_set("__metatable", meta_view)?;
        let env: Table = handles.get("env")?;
        globals.raw_set("_G", env.clone())?;
        Ok(Vm {
            env,
            globals,
            slot: handles.get("slot")?,
            run: handles.get("run")?,
            set_api: handles.get("set_api")?,
            load_api,
            lua,
        })
    }

    /// Compiles a chunk (`@user_script` or `@user_function`) in the
    /// sandbox environment. Binary chunks are refused.
    pub fn compile(&self, name: &str, code: &[u8]) -> Result<Function, String> {
        self.lua
            .load(code)
            .set_name(name)
            .set_mode(mlua::chunk::ChunkMode::Text)
            .set_environment(self.env.clone())
            .into_function()
            .map_err(|e| match e {
                mlua::Error::SyntaxError { message, .. } => message,
                other => other.to_string(),
            })
    }

    /// Switches the globals to the library-loading API (`true`) or back.
    pub fn loading_library(&self, loading: bool) -> mlua::Result<()> {
        match (&self.load_api, loading) {
            (Some(api), true) => self.set_api.call(api.clone()),
            _ => self.set_api.call(Value::Nil),
        }
    }
}

/// Replaces `math.random` / `math.randomseed` with Redis's versions.
fn install_random(lua: &Lua, globals: &Table, rand: Arc<Mutex<Rand48>>) -> mlua::Result<()> {
    let math: Table = globals.get("math")?;
    let state = rand.clone();
    let random = lua.create_function(move |lua, args: MultiValue| {
        let args: Vec<Value> = args.into_iter().collect();
        let answer = random_answer(&mut state.lock(), &args);
        answer_to_lua(lua, answer)
    })?;
    let randomseed = lua.create_function(move |lua, args: MultiValue| {
        let args: Vec<Value> = args.into_iter().collect();
        let answer = match libs::check_number(&args, 1, "randomseed") {
            Ok(seed) => {
                rand.lock().seed(seed as i64 as i32);
                Answer::Values(Vec::new())
            }
            Err(answer) => answer,
        };
        answer_to_lua(lua, answer)
    })?;
    math.raw_set("random", lift(lua, random)?)?;
    math.raw_set("randomseed", lift(lua, randomseed)?)?;
    Ok(())
}

fn random_answer(rand: &mut Rand48, args: &[Value]) -> Answer {
    let r = rand.fraction();
    let int_arg = |n: usize| libs::check_number(args, n, "random").map(|x| x as i64 as i32 as f64);
    match args.len() {
        0 => Answer::Value(Value::Number(r)),
        1 => match int_arg(1) {
            Ok(u) if u >= 1.0 => Answer::Value(Value::Number((r * u).floor() + 1.0)),
            Ok(_) => libs::arg_error(1, "random", "interval is empty"),
            Err(answer) => answer,
        },
        2 => match (int_arg(1), int_arg(2)) {
            (Ok(l), Ok(u)) if l <= u => {
                Answer::Value(Value::Number((r * (u - l + 1.0)).floor() + l))
            }
            (Ok(_), Ok(_)) => libs::arg_error(2, "random", "interval is empty"),
            (Err(answer), _) | (_, Err(answer)) => answer,
        },
        _ => Answer::Error("wrong number of arguments".to_string()),
    }
}

fn add_constants(redis: &Table) -> mlua::Result<()> {
    redis.raw_set("LOG_DEBUG", 0)?;
    redis.raw_set("LOG_VERBOSE", 1)?;
    redis.raw_set("LOG_NOTICE", 2)?;
    redis.raw_set("LOG_WARNING", 3)?;
    redis.raw_set("REDIS_VERSION", REDIS_COMPAT_VERSION)?;
    redis.raw_set("REDIS_VERSION_NUM", version_num(REDIS_COMPAT_VERSION))?;
    Ok(())
}

/// `0x00MMmmpp`, as `REDIS_VERSION_NUM`.
fn version_num(version: &str) -> i64 {
    let mut parts = version.split('.').map(|p| p.parse::<i64>().unwrap_or(0));
    let major = parts.next().unwrap_or(0);
    let minor = parts.next().unwrap_or(0);
    let patch = parts.next().unwrap_or(0);
    (major << 16) | (minor << 8) | patch
}

/// The static `redis.*` functions of the script API.
const REDIS_PRIMITIVES: &[(&str, libs::Primitive)] = &[
    ("sha1hex", sha1hex),
    ("error_reply", error_reply),
    ("status_reply", status_reply),
    ("log", log),
    ("set_repl", set_repl),
    ("replicate_commands", replicate_commands),
    ("breakpoint", breakpoint),
    ("debug", debug),
];

/// What a library sees of `redis` while it loads.
const LOAD_PRIMITIVES: &[(&str, libs::Primitive)] = &[("log", log)];

fn string_value(lua: &Lua, bytes: impl AsRef<[u8]>) -> Answer {
    match lua.create_string(bytes) {
        Ok(s) => Answer::Value(Value::String(s)),
        Err(e) => Answer::Error(e.to_string()),
    }
}

fn sha1hex(lua: &Lua, args: &[Value]) -> Answer {
    if args.len() != 1 {
        return Answer::Raise("wrong number of arguments".to_string());
    }
    match libs::check_string(args, 1, "sha1hex") {
        Ok(data) => string_value(lua, sha1_hex(&data)),
        Err(_) => string_value(lua, sha1_hex(b"")),
    }
}

/// `redis.error_reply`: `{err=...}` with Redis's code parsing; bad
/// arguments return (not raise) an error table.
fn error_reply(lua: &Lua, args: &[Value]) -> Answer {
    match args {
        [Value::String(s)] => {
            let text = s.as_bytes();
            let mut owned = Vec::with_capacity(text.len() + 1);
            if text.first() != Some(&b'-') {
                owned.push(b'-');
            }
            owned.extend_from_slice(&text);
            error_table(lua, &owned)
        }
        _ => error_table(lua, b"wrong number or type of arguments"),
    }
}

fn status_reply(lua: &Lua, args: &[Value]) -> Answer {
    match args {
        [Value::String(s)] => single_field(lua, "ok", Value::String(s.clone())),
        _ => error_table(lua, b"wrong number or type of arguments"),
    }
}

fn single_field(lua: &Lua, name: &str, value: Value) -> Answer {
    let table = match lua.create_table() {
        Ok(t) => t,
        Err(e) => return Answer::Error(e.to_string()),
    };
    match table.raw_set(name, value) {
        Ok(()) => Answer::Value(Value::Table(table)),
        Err(e) => Answer::Error(e.to_string()),
    }
}

fn error_table(lua: &Lua, message: &[u8]) -> Answer {
    match lua.create_string(super::convert::error_text(message)) {
        Ok(s) => single_field(lua, "err", Value::String(s)),
        Err(e) => Answer::Error(e.to_string()),
    }
}

const LOG_LEVEL_NOT_NUMBER: &str = "First argument must be a number (log level).";

fn log(_: &Lua, args: &[Value]) -> Answer {
    if args.len() < 2 {
        return Answer::Raise("redis.log() requires two arguments or more.".to_string());
    }
    let level = match &args[0] {
        Value::Number(n) => *n as i64,
        Value::Integer(n) => *n,
        Value::String(s) => match libs::parse_lua_number(&s.as_bytes()) {
            Some(n) => n as i64,
            None => return Answer::Raise(LOG_LEVEL_NOT_NUMBER.to_string()),
        },
        _ => return Answer::Raise(LOG_LEVEL_NOT_NUMBER.to_string()),
    };
    if !(0..=3).contains(&level) {
        return Answer::Raise("Invalid debug level.".to_string());
    }
    let mut message = String::new();
    for (i, arg) in args[1..].iter().enumerate() {
        let text = match arg {
            Value::String(s) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
            Value::Number(n) => libs::lua_number_text(*n),
            Value::Integer(n) => libs::lua_number_text(*n as f64),
            _ => continue,
        };
        if i > 0 {
            message.push(' ');
        }
        message.push_str(&text);
    }
    match level {
        0 => tracing::debug!("{message}"),
        1 | 2 => tracing::info!("{message}"),
        _ => tracing::warn!("{message}"),
    }
    Answer::Values(Vec::new())
}

/// `redis.set_repl`: validated, and without effect — Redis 7 always
/// replicates script effects.
fn set_repl(_: &Lua, args: &[Value]) -> Answer {
    if args.len() != 1 {
        return Answer::Raise("redis.set_repl() requires two arguments.".to_string());
    }
    let flags = match libs::check_number(args, 1, "set_repl") {
        Ok(n) => n as i64,
        Err(answer) => return answer,
    };
    if flags & !3 != 0 {
        return Answer::Raise(
            "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE."
                .to_string(),
        );
    }
    Answer::Values(Vec::new())
}

/// `redis.replicate_commands`: always true since Redis 7.
fn replicate_commands(_: &Lua, _: &[Value]) -> Answer {
    Answer::Value(Value::Boolean(true))
}

/// `redis.breakpoint`: false, no debugging session is ever active.
fn breakpoint(_: &Lua, _: &[Value]) -> Answer {
    Answer::Value(Value::Boolean(false))
}

/// `redis.debug`: prints only in a debugging session, which moat has not.
fn debug(_: &Lua, _: &[Value]) -> Answer {
    Answer::Values(Vec::new())
}
