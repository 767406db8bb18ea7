//! FUNCTION libraries: `#!lua name=<lib>` code that registers functions
//! with `redis.register_function` when loaded, Redis's validation and
//! error texts, and the function index FCALL looks names up in.

use super::busy::RunState;
use super::flags::ScriptFlags;
use super::sandbox::Vm;
use bytes::Bytes;
use mlua::{Function, Lua, MultiValue, Value};
use moat_config::tokenize::split_args;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

pub struct RegisteredFunction {
    pub name: String,
    pub callback: Function,
    pub flags: ScriptFlags,
    pub description: Option<Bytes>,
}

pub struct Library {
    pub name: String,
    /// The code as loaded, shebang included (`FUNCTION LIST WITHCODE`).
    pub code: Bytes,
    pub functions: BTreeMap<String, RegisteredFunction>,
}

#[derive(Default)]
pub struct Libraries {
    pub libraries: BTreeMap<String, Library>,
    /// Function name → library name.
    index: HashMap<String, String>,
}

impl Libraries {
    pub fn function(&self, name: &str) -> Option<&RegisteredFunction> {
        let library = self.index.get(name)?;
        self.libraries.get(library)?.functions.get(name)
    }

    pub fn function_count(&self) -> usize {
        self.index.len()
    }

    pub fn delete(&mut self, name: &str) -> bool {
        match self.libraries.remove(name) {
            Some(library) => {
                for function in library.functions.keys() {
                    self.index.remove(function);
                }
                true
            }
            None => false,
        }
    }

    pub fn clear(&mut self) {
        self.libraries.clear();
        self.index.clear();
    }

    /// Every library's code, as RDB files and AOF rewrites save them.
    pub fn codes(&self) -> Vec<Bytes> {
        self.libraries.values().map(|l| l.code.clone()).collect()
    }

    /// The libraries of a file being loaded (Redis's `rdbFunctionLoad`
    /// without `RDBFLAGS_ALLOW_DUP`): each code compiled in order, a
    /// repeated library or function name being an error as for FUNCTION
    /// LOAD. On error, the index of the code that failed and the reason
    /// (without the reply's `ERR` code).
    pub fn from_codes<'c>(
        vm: &Vm,
        run: &RunState,
        codes: impl IntoIterator<Item = &'c Bytes>,
    ) -> Result<Libraries, (usize, String)> {
        let mut libraries = Libraries::default();
        for (index, code) in codes.into_iter().enumerate() {
            if let Err(error) = libraries.load(vm, run, code, false, false) {
                let reason = error.strip_prefix("ERR ").unwrap_or(&error).to_string();
                return Err((index, reason));
            }
        }
        Ok(libraries)
    }

    /// FUNCTION LOAD: on success the library's name; nothing changes on
    /// failure. Errors are reply texts. `timed`: the library's code gets
    /// Redis's load timeout, which code that was accepted once (a file
    /// being loaded, FUNCTION RESTORE, the AOF's replay) does not get, as
    /// in Redis 7.2.
    pub fn load(
        &mut self,
        vm: &Vm,
        run: &RunState,
        code: &Bytes,
        replace: bool,
        timed: bool,
    ) -> Result<String, String> {
        let (engine, name, body_start) = metadata(code)?;
        if !valid_name(&name) {
            return Err("ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long".to_string());
        }
        if !engine.eq_ignore_ascii_case("lua") {
            return Err(format!("ERR Engine '{engine}' not found"));
        }
        if self.libraries.contains_key(&name) && !replace {
            return Err(format!("ERR Library '{name}' already exists"));
        }
        run.begin_load(timed);
        let registered = register(vm, &code[body_start..]);
        if run.end_load() {
            return Err("ERR Error registering functions: ERR FUNCTION LOAD timeout".to_string());
        }
        let functions = registered?;
        if functions.is_empty() {
            return Err("ERR No functions registered".to_string());
        }
        for function in functions.keys() {
            if let Some(owner) = self.index.get(function) {
                if *owner != name {
                    return Err(format!("ERR Function {function} already exists"));
                }
            }
        }
        self.delete(&name);
        for function in functions.keys() {
            self.index.insert(function.clone(), name.clone());
        }
        self.libraries.insert(
            name.clone(),
            Library {
                name: name.clone(),
                code: code.clone(),
                functions,
            },
        );
        Ok(name)
    }
}

/// FUNCTION RESTORE's policies.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum RestorePolicy {
    Flush,
    Append,
    Replace,
}

impl Libraries {
    /// FUNCTION DUMP.
    pub fn dump(&self) -> Vec<u8> {
        super::payload::dump(self.libraries.values().map(|l| &l.code[..]))
    }

    /// FUNCTION RESTORE: all libraries of the payload or none; nothing
    /// changes on failure.
    pub fn restore(
        &mut self,
        vm: &Vm,
        run: &RunState,
        payload: &[u8],
        policy: RestorePolicy,
    ) -> Result<(), String> {
        let codes = super::payload::parse(payload)?;
        let mut restored = Libraries::default();
        for code in codes {
            // Untimed, as Redis's rdbFunctionLoad creates them.
            restored.load(vm, run, &Bytes::from(code), false, false)?;
        }
        if policy == RestorePolicy::Flush {
            *self = restored;
            return Ok(());
        }
        for name in restored.libraries.keys() {
            if policy == RestorePolicy::Append && self.libraries.contains_key(name) {
                return Err(format!("ERR Library {name} already exists"));
            }
        }
        for (function, library) in &restored.index {
            if let Some(owner) = self.index.get(function) {
                let replaced =
                    policy == RestorePolicy::Replace && restored.libraries.contains_key(owner);
                if !replaced && owner != library {
                    return Err(format!("ERR Function {function} already exists"));
                }
            }
        }
        for (name, library) in restored.libraries {
            self.delete(&name);
            for function in library.functions.keys() {
                self.index.insert(function.clone(), name.clone());
            }
            self.libraries.insert(name, library);
        }
        Ok(())
    }
}

/// Redis's `functionsVerifyName`.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `functionExtractLibMetaData`: engine, library name, and where the code
/// after the shebang starts (its line feed kept for line numbers).
fn metadata(code: &[u8]) -> Result<(String, String, usize), String> {
    if !code.starts_with(b"#!") {
        return Err("ERR Missing library metadata".to_string());
    }
    let Some(end) = code.iter().position(|&b| b == b'\n') else {
        return Err("ERR Invalid library metadata".to_string());
    };
    let parts = split_args(&code[..end])
        .ok()
        .filter(|p| !p.is_empty())
        .ok_or_else(|| "ERR Invalid library metadata".to_string())?;
    let engine = String::from_utf8_lossy(&parts[0][2..]).into_owned();
    let mut name = None;
    for part in &parts[1..] {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err(
                    "ERR Invalid metadata value, name argument was given multiple times"
                        .to_string(),
                );
            }
            name = Some(String::from_utf8_lossy(&part[5..]).into_owned());
            continue;
        }
        return Err(format!(
            "ERR Invalid metadata value given: {}",
            String::from_utf8_lossy(part)
        ));
    }
    let name = name.ok_or_else(|| "ERR Library name was not given".to_string())?;
    Ok((engine, name, end))
}

/// Runs the library code with the loading API and collects what it
/// registers.
fn register(vm: &Vm, body: &[u8]) -> Result<BTreeMap<String, RegisteredFunction>, String> {
    let chunk = vm
        .compile("@user_function", body)
        .map_err(|e| format!("ERR Error compiling function: {e}"))?;
    let registered: RefCell<BTreeMap<String, RegisteredFunction>> = RefCell::default();
    let lua = &vm.lua;
    let outcome = (|| -> mlua::Result<Result<(), String>> {
        vm.loading_library(true)?;
        let result = lua.scope(|scope| {
            let register = scope.create_function(|lua, args: MultiValue| {
                register_function(lua, &registered, args)
            })?;
            vm.slot.raw_set("register_function", register)?;
            let result = vm.run.call::<(bool, Value)>(chunk.clone());
            vm.slot.raw_set("register_function", Value::Nil)?;
            result
        });
        vm.loading_library(false)?;
        let (ok, value) = result?;
        if ok {
            return Ok(Ok(()));
        }
        let message = match &value {
            Value::Table(t) => match t.raw_get::<Value>("err")? {
                Value::String(s) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
                _ => "ERR unknown error".to_string(),
            },
            other => format!("{other:?}"),
        };
        Ok(Err(format!("ERR Error registering functions: {message}")))
    })();
    match outcome {
        Ok(Ok(())) => Ok(registered.into_inner()),
        Ok(Err(message)) => Err(message),
        Err(e) => Err(format!("ERR Error registering functions: {e}")),
    }
}

type Registered = RefCell<BTreeMap<String, RegisteredFunction>>;

/// `redis.register_function(name, callback)` or
/// `redis.register_function{function_name=, callback=, flags=, description=}`.
fn register_function(
    lua: &Lua,
    registered: &Registered,
    args: MultiValue,
) -> mlua::Result<(i64, Value)> {
    let fail = |message: &str| -> mlua::Result<(i64, Value)> {
        let table = lua.create_table()?;
        table.raw_set("err", format!("ERR {message}"))?;
        Ok((3, Value::Table(table)))
    };
    let parsed = match args.len() {
        1 => named_args(&args[0]),
        2 => positional_args(&args[0], &args[1]),
        _ => Err("wrong number of arguments to redis.register_function"),
    };
    let function = match parsed {
        Ok(function) => function,
        Err(message) => return fail(message),
    };
    if !valid_name(&function.name) {
        // Redis words this with "Library names" too.
        return fail("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long");
    }
    let mut registered = registered.borrow_mut();
    if registered.contains_key(&function.name) {
        return fail("Function already exists in the library");
    }
    registered.insert(function.name.clone(), function);
    let table = lua.create_table()?;
    table.raw_set("n", 0)?;
    Ok((1, Value::Table(table)))
}

fn lua_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(String::from_utf8_lossy(&s.as_bytes()).into_owned()),
        Value::Number(n) => Some(super::libs::lua_number_text(*n)),
        Value::Integer(n) => Some(super::libs::lua_number_text(*n as f64)),
        _ => None,
    }
}

fn positional_args(name: &Value, callback: &Value) -> Result<RegisteredFunction, &'static str> {
    let name =
        lua_text(name).ok_or("first argument to redis.register_function must be a string")?;
    let Value::Function(callback) = callback else {
        return Err("second argument to redis.register_function must be a function");
    };
    Ok(RegisteredFunction {
        name,
        callback: callback.clone(),
        flags: ScriptFlags::default(),
        description: None,
    })
}

fn named_args(arg: &Value) -> Result<RegisteredFunction, &'static str> {
    let Value::Table(table) = arg else {
        return Err("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).");
    };
    let mut name = None;
    let mut callback = None;
    let mut flags = ScriptFlags::default();
    let mut description = None;
    for pair in table.pairs::<Value, Value>() {
        let (key, value) = pair.map_err(|_| "unknown argument given to redis.register_function")?;
        let Value::String(key) = key else {
            return Err("named argument key given to redis.register_function is not a string");
        };
        match &key.as_bytes()[..] {
            b"function_name" => {
                name = Some(lua_text(&value).ok_or(
                    "function_name argument given to redis.register_function must be a string",
                )?)
            }
            b"description" => {
                description = Some(Bytes::from(lua_text(&value).ok_or(
                    "description argument given to redis.register_function must be a string",
                )?))
            }
            b"callback" => match value {
                Value::Function(f) => callback = Some(f),
                _ => {
                    return Err(
                        "callback argument given to redis.register_function must be a function",
                    )
                }
            },
            b"flags" => flags = read_flags(&value)?,
            _ => return Err("unknown argument given to redis.register_function"),
        }
    }
    let name = name.ok_or("redis.register_function must get a function name argument")?;
    let callback = callback.ok_or("redis.register_function must get a callback argument")?;
    Ok(RegisteredFunction {
        name,
        callback,
        flags,
        description,
    })
}

fn read_flags(value: &Value) -> Result<ScriptFlags, &'static str> {
    const NOT_A_TABLE: &str =
        "flags argument to redis.register_function must be a table representing function flags";
    let Value::Table(table) = value else {
        return Err(NOT_A_TABLE);
    };
    let mut flags = ScriptFlags::default();
    let mut j = 1;
    loop {
        match table.raw_get::<Value>(j) {
            Ok(Value::Nil) => break,
            Ok(Value::String(s)) => {
                flags.insert(ScriptFlags::by_name(&s.as_bytes()).ok_or("unknown flag given")?)
            }
            _ => return Err("unknown flag given"),
        }
        j += 1;
    }
    Ok(flags)
}

/// The `functions` entry of one library in FUNCTION LIST.
pub fn describe(library: &Library) -> Vec<(&str, Option<&Bytes>, Vec<&'static str>)> {
    library
        .functions
        .values()
        .map(|f| (f.name.as_str(), f.description.as_ref(), f.flags.names()))
        .collect()
}
