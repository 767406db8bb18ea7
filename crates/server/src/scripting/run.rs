//! Running a script or function: the per-run `redis.call`, `redis.pcall`,
//! `redis.acl_check_cmd`, `redis.setresp`, the conversion of the result
//! and Redis's error reply format
//! (`<err> script: <name>, on <source>:<line>.`).
//!
//! The connection's database and protocol are the script's own while it
//! runs (SELECT inside a script does not move the caller; `setresp` does
//! not change the caller's protocol) and are restored afterwards.

use super::busy::{RunState, KILLED};
use super::convert::{
    counted_error_table, error_text, frame_to_lua, lua_to_arg, lua_to_frame, sanitize, ReplyErrors,
};
use super::sandbox::{Vm, VmKind};
use super::{ScriptCallError, ScriptCallMode};
use crate::dispatch::KeyspaceLock;
use crate::session::Session;
use bytes::Bytes;
use mlua::{Function, Lua, MultiValue, Table, Value};
use moat_resp::{Frame, Protocol};
use std::cell::RefCell;

/// What to run.
pub struct Invocation<'a> {
    /// The sha (EVAL) or function name (FCALL), for error replies.
    pub name: &'a str,
    pub function: &'a Function,
    pub keys: &'a [Bytes],
    pub args: &'a [Bytes],
    /// EVAL_RO, FCALL_RO, or a `no-writes` script.
    pub read_only: bool,
    /// `denyoom` commands are refused when the command started over
    /// `maxmemory` (all but `allow-oom` scripts).
    pub checks_oom: bool,
}

struct CallCtx<'s, 'k, 'ks> {
    session: &'s mut Session,
    ks: &'k mut KeyspaceLock<'ks>,
    resp3: bool,
    read_only: bool,
    /// Refuse `denyoom` commands until the script writes (Redis's check
    /// "only if this is the first write": it cannot stop in the middle).
    deny_oom: bool,
    run: &'s RunState,
}

/// Runs `inv` on `vm` for `session` and returns the reply to its caller.
pub fn run(
    vm: &Vm,
    kind: VmKind,
    run_state: &RunState,
    session: &mut Session,
    ks: &mut KeyspaceLock<'_>,
    inv: Invocation<'_>,
) -> Frame {
    let saved_db = session.client.db;
    let saved_protocol = session.client.protocol;
    session.client.protocol = Protocol::Resp2;
    // Scripts are atomic: the keyspace stays locked for the whole run.
    ks.get();
    let deny_oom = inv.checks_oom && session.started_over_maxmemory();
    let ctx = RefCell::new(CallCtx {
        session,
        ks,
        resp3: false,
        read_only: inv.read_only,
        deny_oom,
        run: run_state,
    });
    let outcome = off_the_reactor(|| execute(vm, kind, &ctx, &inv));
    let CallCtx { session, .. } = ctx.into_inner();
    session.client.db = saved_db;
    session.client.protocol = saved_protocol;
    match outcome {
        Ok((frame, errors)) => {
            session.note_script_reply_errors(&errors);
            frame
        }
        Err(e) => Frame::error(format!(
            "ERR Error running script {}, {}",
            inv.name,
            sanitize_text(&e.to_string())
        )),
    }
}

/// Runs `f` telling a multi-threaded runtime that this worker is busy, so
/// the other connections' tasks move to other workers while a long script
/// runs (they must be able to get BUSY and send SCRIPT KILL).
pub fn off_the_reactor<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

fn sanitize_text(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

fn execute(
    vm: &Vm,
    kind: VmKind,
    ctx: &RefCell<CallCtx>,
    inv: &Invocation,
) -> mlua::Result<(Frame, ReplyErrors)> {
    let lua = &vm.lua;
    let keys = string_array(lua, inv.keys)?;
    let args = string_array(lua, inv.args)?;
    lua.scope(|scope| {
        let call = scope.create_function(|lua, a: MultiValue| redis_call(lua, ctx, a, true))?;
        let pcall = scope.create_function(|lua, a: MultiValue| redis_call(lua, ctx, a, false))?;
        let acl = scope.create_function(|lua, a: MultiValue| acl_check(lua, ctx, a))?;
        let setresp = scope.create_function(|lua, a: MultiValue| set_resp(lua, ctx, a))?;
        vm.slot.raw_set("call", call)?;
        vm.slot.raw_set("pcall", pcall)?;
        vm.slot.raw_set("acl_check_cmd", acl)?;
        vm.slot.raw_set("setresp", setresp)?;
        let result = match kind {
            VmKind::Eval => {
                vm.globals.raw_set("KEYS", keys)?;
                vm.globals.raw_set("ARGV", args)?;
                vm.run.call::<(bool, Value)>(inv.function.clone())
            }
            VmKind::Functions => vm
                .run
                .call::<(bool, Value)>((inv.function.clone(), keys, args)),
        };
        for name in ["call", "pcall", "acl_check_cmd", "setresp"] {
            vm.slot.raw_set(name, Value::Nil)?;
        }
        let (ok, value) = result?;
        let c = ctx.borrow();
        let mut errors = ReplyErrors::default();
        let reply = if ok {
            lua_to_frame(&value, c.resp3, &mut errors)
        } else {
            error_reply(&value, inv.name, c.run.killed(), &mut errors)
        };
        Ok((reply, errors))
    })
}

/// The reply for a script that raised `value` (the table Redis's error
/// handler builds: `err`, `source`, `line`), noted in `errors`.
fn error_reply(value: &Value, name: &str, killed: bool, errors: &mut ReplyErrors) -> Frame {
    let Value::Table(t) = value else {
        let text = match value {
            Value::String(s) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
            _ => "execution failure".to_string(),
        };
        let text = Bytes::from(sanitize_text(&format!(
            "ERR Error running script {name}, {text:.100}"
        )));
        errors.new.push(text.clone());
        return Frame::Error(text);
    };
    let text_field = |field: &str| -> Option<Vec<u8>> {
        match t.raw_get::<Value>(field).ok()? {
            Value::String(s) => Some(s.as_bytes().to_vec()),
            Value::Number(n) => Some(super::libs::lua_number_text(n).into_bytes()),
            Value::Integer(n) => Some(n.to_string().into_bytes()),
            _ => None,
        }
    };
    let mut message = if killed {
        KILLED.as_bytes().to_vec()
    } else {
        match text_field("err") {
            Some(err) => err,
            None => b"ERR unknown error".to_vec(),
        }
    };
    if let (Some(source), Some(line)) = (text_field("source"), text_field("line")) {
        message.extend_from_slice(b" script: ");
        message.extend_from_slice(name.as_bytes());
        message.extend_from_slice(b", on ");
        message.extend_from_slice(&source);
        message.push(b':');
        message.extend_from_slice(&line);
        message.push(b'.');
    }
    let message = sanitize(&message);
    if killed {
        // The kill's own error, whatever the script was raising.
        errors.new.push(Bytes::from(message.clone()));
    } else {
        errors.note(t, &message);
    }
    Frame::Error(Bytes::from(message))
}

fn string_array(lua: &Lua, items: &[Bytes]) -> mlua::Result<Table> {
    let table = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, item) in items.iter().enumerate() {
        table.raw_set(i + 1, lua.create_string(item)?)?;
    }
    Ok(table)
}

/// `{err = "<code> <msg>"}` as status 3 (raise) or 0 (return). A call the
/// server refused was counted as an error then (`counted`); a call with
/// bad arguments never reached it, and its error is the script's own.
fn error_answer(
    lua: &Lua,
    message: &[u8],
    raise: bool,
    counted: bool,
) -> mlua::Result<(i64, Value)> {
    let text = error_text(message);
    let table = if counted {
        counted_error_table(lua, &text)?
    } else {
        let table = lua.create_table()?;
        table.raw_set("err", lua.create_string(text)?)?;
        table
    };
    Ok((if raise { 3 } else { 0 }, Value::Table(table)))
}

/// The arguments of `redis.call` and `redis.acl_check_cmd`.
fn arguments(args: MultiValue) -> Result<Vec<Bytes>, &'static str> {
    if args.is_empty() {
        return Err("Please specify at least one argument for this redis lib call");
    }
    args.iter()
        .map(lua_to_arg)
        .collect::<Option<Vec<_>>>()
        .ok_or("Lua redis lib command arguments must be strings or integers")
}

fn redis_call(
    lua: &Lua,
    ctx: &RefCell<CallCtx>,
    args: MultiValue,
    raise: bool,
) -> mlua::Result<(i64, Value)> {
    let argv = match arguments(args) {
        Ok(argv) => argv,
        Err(message) => return error_answer(lua, message.as_bytes(), raise, false),
    };
    let mut guard = ctx.borrow_mut();
    let c = &mut *guard;
    let mode = ScriptCallMode::Execute {
        read_only: c.read_only,
        deny_oom: c.deny_oom,
    };
    match c.session.call_from_script(c.ks, &argv, mode) {
        Err(error) => error_answer(lua, error.message().as_bytes(), raise, true),
        Ok(done) => {
            if done.wrote {
                c.run.note_write();
                c.deny_oom = false;
            }
            if raise {
                if let Frame::Error(text) = &done.reply {
                    return Ok((3, Value::Table(counted_error_table(lua, text)?)));
                }
            }
            Ok((0, frame_to_lua(lua, &done.reply, c.resp3)?))
        }
    }
}

fn acl_check(lua: &Lua, ctx: &RefCell<CallCtx>, args: MultiValue) -> mlua::Result<(i64, Value)> {
    let argv = match arguments(args) {
        Ok(argv) => argv,
        Err(message) => return error_answer(lua, message.as_bytes(), true, false),
    };
    let mut guard = ctx.borrow_mut();
    let c = &mut *guard;
    match c
        .session
        .call_from_script(c.ks, &argv, ScriptCallMode::AclCheckOnly)
    {
        Ok(done) => Ok((0, Value::Boolean(done.reply == Frame::Boolean(true)))),
        Err(ScriptCallError::UnknownCommand) => error_answer(
            lua,
            b"Invalid command passed to redis.acl_check_cmd()",
            true,
            false,
        ),
        // Only asked: nothing counted these.
        Err(other) => error_answer(lua, other.message().as_bytes(), true, false),
    }
}

fn set_resp(lua: &Lua, ctx: &RefCell<CallCtx>, args: MultiValue) -> mlua::Result<(i64, Value)> {
    if args.len() != 1 {
        return error_answer(lua, b"redis.setresp() requires one argument.", true, false);
    }
    let version = match &args[0] {
        Value::Number(n) => *n as i64,
        Value::Integer(n) => *n,
        Value::String(s) => super::libs::parse_lua_number(&s.as_bytes())
            .map(|n| n as i64)
            .unwrap_or(0),
        _ => 0,
    };
    if version != 2 && version != 3 {
        return error_answer(lua, b"RESP version must be 2 or 3.", true, false);
    }
    let mut c = ctx.borrow_mut();
    c.resp3 = version == 3;
    c.session.client.protocol = if c.resp3 {
        Protocol::Resp3
    } else {
        Protocol::Resp2
    };
    let table = lua.create_table()?;
    table.raw_set("n", 0)?;
    Ok((1, Value::Table(table)))
}
