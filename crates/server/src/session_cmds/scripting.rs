//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT, FUNCTION, FCALL, FCALL_RO.
//!
//! Dispatch checked these commands (and their declared keys) against the
//! caller's user before they run; each `redis.call` inside is checked
//! again by [`Session::call_from_script`].

use super::{help_reply, subcommand_syntax_error};
use crate::dispatch::{KeyspaceLock, SessionHandler};
use crate::scripting::functions::{describe, RestorePolicy};
use crate::scripting::run::{run, Invocation};
use crate::scripting::sandbox::VmKind;
use crate::scripting::split_keys;
use crate::session::Session;
use bytes::Bytes;
use moat_resp::Frame;

pub const HANDLERS: &[(&str, SessionHandler)] = &[
    ("eval", eval),
    ("eval_ro", eval_ro),
    ("evalsha", evalsha),
    ("evalsha_ro", evalsha_ro),
    ("script|load", script_load),
    ("script|exists", script_exists),
    ("script|flush", script_flush),
    ("script|kill", script_kill),
    ("script|help", script_help),
    ("fcall", fcall),
    ("fcall_ro", fcall_ro),
    ("function|load", function_load),
    ("function|list", function_list),
    ("function|delete", function_delete),
    ("function|flush", function_flush),
    ("function|stats", function_stats),
    ("function|kill", function_kill),
    ("function|help", function_help),
    ("function|dump", function_dump),
    ("function|restore", function_restore),
];

const NOSCRIPT: &str = "NOSCRIPT No matching script. Please use EVAL.";
const NOT_INTEGER: &str = "ERR value is not an integer or out of range";

fn eval(session: &mut Session, ks: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    eval_generic(session, ks, argv, false, false)
}

fn eval_ro(session: &mut Session, ks: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    eval_generic(session, ks, argv, false, true)
}

fn evalsha(session: &mut Session, ks: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    eval_generic(session, ks, argv, true, false)
}

fn evalsha_ro(session: &mut Session, ks: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    eval_generic(session, ks, argv, true, true)
}

fn eval_generic(
    session: &mut Session,
    ks: &mut KeyspaceLock<'_>,
    argv: &[Bytes],
    by_sha: bool,
    ro: bool,
) -> Frame {
    // EVALSHA checks the sha's length before anything else.
    if by_sha && argv[1].len() != 40 {
        return Frame::error(NOSCRIPT);
    }
    let (keys, args) = match split_keys(argv, NOT_INTEGER) {
        Ok(split) => split,
        Err(error) => return error,
    };
    let shared = session.shared.clone();
    // Lock order: keyspace first, then the engine (SCRIPT LOAD & co take
    // only the engine, so they never wait for the keyspace while holding it).
    ks.get();
    let mut engine = shared.scripting.engine.lock();
    let engine = &mut *engine;
    let sha = if by_sha {
        let sha = String::from_utf8_lossy(&argv[1]).to_ascii_lowercase();
        if sha.len() != 40 || !engine.scripts.contains(&sha) {
            return Frame::error(NOSCRIPT);
        }
        sha
    } else {
        match engine.scripts.load(&engine.eval, &argv[1]) {
            Ok(sha) => sha,
            Err(error) => return Frame::error(error),
        }
    };
    let Some(script) = engine.scripts.get(&sha) else {
        return Frame::error(NOSCRIPT);
    };
    let read_only = match script.flags.read_only(ro) {
        Ok(read_only) => read_only,
        Err(error) => return Frame::error(error),
    };
    if let Some(error) = script.flags.oom_refusal(session.started_over_maxmemory()) {
        return Frame::error(error);
    }
    let run_state = &shared.scripting.run;
    run_state.begin(false, &sha, argv, shared.limits.busy_reply_threshold_ms());
    let reply = run(
        &engine.eval,
        VmKind::Eval,
        run_state,
        session,
        ks,
        Invocation {
            name: &sha,
            function: &script.function,
            keys,
            args,
            read_only,
            checks_oom: script.flags.checks_oom(),
        },
    );
    run_state.end();
    reply
}

fn script_load(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    let scripting = &session.shared.scripting;
    let mut engine = scripting.engine.lock();
    let engine = &mut *engine;
    match engine.scripts.load(&engine.eval, &argv[2]) {
        Ok(sha) => Frame::Bulk(Bytes::from(sha)),
        Err(error) => Frame::error(error),
    }
}

fn script_exists(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    let engine = session.shared.scripting.engine.lock();
    Frame::Array(
        argv[2..]
            .iter()
            .map(|sha| {
                let sha = String::from_utf8_lossy(sha).to_ascii_lowercase();
                Frame::Integer(engine.scripts.contains(&sha) as i64)
            })
            .collect(),
    )
}

/// `[ASYNC|SYNC]`; both flush at once (nothing to free lazily here).
fn flush_mode_ok(argv: &[Bytes]) -> bool {
    match argv.len() {
        2 => true,
        3 => argv[2].eq_ignore_ascii_case(b"async") || argv[2].eq_ignore_ascii_case(b"sync"),
        _ => false,
    }
}

fn script_flush(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    if !flush_mode_ok(argv) {
        return Frame::error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    }
    let scripting = &session.shared.scripting;
    let mut engine = scripting.engine.lock();
    match scripting.flush_scripts(&mut engine) {
        Ok(()) => Frame::ok(),
        Err(error) => Frame::error(format!("ERR {error}")),
    }
}

fn script_kill(session: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    session.shared.scripting.run.request_kill(true)
}

fn script_help(_: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    help_reply(&[
        "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DEBUG (YES|SYNC|NO)",
        "    Set the debug mode for subsequent scripts executed.",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]",
        "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the scripts cache.",
        "    * SYNC: Synchronously flush the scripts cache.",
        "KILL",
        "    Kill the currently executing Lua script.",
        "LOAD <script>",
        "    Load a script into the scripts cache without executing it.",
        "HELP",
        "    Print this help.",
    ])
}

fn fcall(session: &mut Session, ks: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    fcall_generic(session, ks, argv, false)
}

fn fcall_ro(session: &mut Session, ks: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    fcall_generic(session, ks, argv, true)
}

fn fcall_generic(
    session: &mut Session,
    ks: &mut KeyspaceLock<'_>,
    argv: &[Bytes],
    ro: bool,
) -> Frame {
    let shared = session.shared.clone();
    ks.get();
    let engine = shared.scripting.engine.lock();
    let name = String::from_utf8_lossy(&argv[1]).into_owned();
    let Some(function) = engine.libraries.function(&name) else {
        return Frame::error("ERR Function not found");
    };
    let (keys, args) = match split_keys(argv, "ERR Bad number of keys provided") {
        Ok(split) => split,
        Err(error) => return error,
    };
    let read_only = match function.flags.read_only(ro) {
        Ok(read_only) => read_only,
        Err(error) => return Frame::error(error),
    };
    if let Some(error) = function.flags.oom_refusal(session.started_over_maxmemory()) {
        return Frame::error(error);
    }
    let run_state = &shared.scripting.run;
    run_state.begin(true, &name, argv, shared.limits.busy_reply_threshold_ms());
    let reply = run(
        &engine.functions,
        VmKind::Functions,
        run_state,
        session,
        ks,
        Invocation {
            name: &name,
            function: &function.callback,
            keys,
            args,
            read_only,
            checks_oom: function.flags.checks_oom(),
        },
    );
    run_state.end();
    reply
}

fn function_load(session: &mut Session, ks: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    // Every argument before the code is an option, and REPLACE the only
    // one (repeating it is allowed), as Redis's functionLoadCommand reads.
    let Some((code, options)) = argv.get(2..).and_then(<[Bytes]>::split_last) else {
        return subcommand_syntax_error("FUNCTION", &argv[1]);
    };
    if let Some(unknown) = options.iter().find(|o| !o.eq_ignore_ascii_case(b"replace")) {
        return super::quoting_error("ERR Unknown option given: {}", &[unknown]);
    }
    let replace = !options.is_empty();
    let scripting = &session.shared.scripting;
    // The keyspace before the engine (the lock order), and its `loading`:
    // code replayed from the AOF was accepted once and gets no load
    // timeout (Redis's `mustObeyClient`).
    let keyspace = ks.get();
    let mut engine = scripting.engine.lock();
    let engine = &mut *engine;
    let timed = !keyspace.loading;
    let result = engine
        .libraries
        .load(&engine.functions, &scripting.run, code, replace, timed);
    scripting.note_libraries(engine);
    match result {
        Ok(name) => {
            changed_functions(keyspace);
            Frame::Bulk(Bytes::from(name))
        }
        Err(error) => Frame::error(error),
    }
}

/// A FUNCTION LOAD, DELETE, FLUSH or RESTORE that changed the libraries
/// counts as a change (`server.dirty++`): dispatch then propagates the
/// command as it was received, and the save points count it.
fn changed_functions(keyspace: &mut crate::db::Keyspace) {
    keyspace.dirty += 1;
}

fn function_list(session: &mut Session, _: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    let mut with_code = false;
    let mut pattern: Option<&Bytes> = None;
    let mut i = 2;
    while i < argv.len() {
        let arg = &argv[i];
        if !with_code && arg.eq_ignore_ascii_case(b"withcode") {
            with_code = true;
        } else if pattern.is_none() && arg.eq_ignore_ascii_case(b"libraryname") {
            if i >= argv.len() - 1 {
                return Frame::error("ERR library name argument was not given");
            }
            i += 1;
            pattern = Some(&argv[i]);
        } else {
            return Frame::error(format!(
                "ERR Unknown argument {}",
                String::from_utf8_lossy(arg)
            ));
        }
        i += 1;
    }
    let engine = session.shared.scripting.engine.lock();
    let bulk = |s: &str| Frame::Bulk(Bytes::copy_from_slice(s.as_bytes()));
    let mut libraries = Vec::new();
    for library in engine.libraries.libraries.values() {
        if let Some(pattern) = pattern {
            if !moat_glob::matches(pattern, library.name.as_bytes(), true) {
                continue;
            }
        }
        let functions = describe(library)
            .into_iter()
            .map(|(name, description, flags)| {
                Frame::Map(vec![
                    (bulk("name"), bulk(name)),
                    (
                        bulk("description"),
                        description.map_or(Frame::Null, |d| Frame::Bulk(d.clone())),
                    ),
                    (
                        bulk("flags"),
                        // Status replies, as Redis's functionListReplyFlags.
                        Frame::Set(
                            flags
                                .into_iter()
                                .map(|f| Frame::Simple(Bytes::from_static(f.as_bytes())))
                                .collect(),
                        ),
                    ),
                ])
            })
            .collect();
        let mut entry = vec![
            (bulk("library_name"), bulk(&library.name)),
            (bulk("engine"), bulk("LUA")),
            (bulk("functions"), Frame::Array(functions)),
        ];
        if with_code {
            entry.push((bulk("library_code"), Frame::Bulk(library.code.clone())));
        }
        libraries.push(Frame::Map(entry));
    }
    Frame::Array(libraries)
}

fn function_delete(session: &mut Session, ks: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    let scripting = &session.shared.scripting;
    let keyspace = ks.get();
    let mut engine = scripting.engine.lock();
    let name = String::from_utf8_lossy(&argv[2]).into_owned();
    let deleted = engine.libraries.delete(&name);
    scripting.note_libraries(&engine);
    if deleted {
        changed_functions(keyspace);
        Frame::ok()
    } else {
        Frame::error("ERR Library not found")
    }
}

fn function_flush(session: &mut Session, ks: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    if argv.len() > 3 {
        return subcommand_syntax_error("FUNCTION", &argv[1]);
    }
    if !flush_mode_ok(argv) {
        return Frame::error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    }
    let scripting = &session.shared.scripting;
    let keyspace = ks.get();
    let mut engine = scripting.engine.lock();
    engine.libraries.clear();
    scripting.note_libraries(&engine);
    // Even with no library to flush, as in Redis.
    changed_functions(keyspace);
    Frame::ok()
}

/// Answers while a function runs (ALLOW_BUSY): reads no engine state.
fn function_stats(session: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    let scripting = &session.shared.scripting;
    let bulk = |s: &str| Frame::Bulk(Bytes::copy_from_slice(s.as_bytes()));
    let running = match scripting.run.running_function() {
        None => Frame::Null,
        Some((name, command, duration_ms)) => Frame::Map(vec![
            (bulk("name"), bulk(&name)),
            (
                bulk("command"),
                Frame::Array(command.into_iter().map(Frame::Bulk).collect()),
            ),
            (bulk("duration_ms"), Frame::Integer(duration_ms)),
        ]),
    };
    let (libraries, functions) = scripting.counts();
    Frame::Map(vec![
        (bulk("running_script"), running),
        (
            bulk("engines"),
            Frame::Map(vec![(
                bulk("LUA"),
                Frame::Map(vec![
                    (bulk("libraries_count"), Frame::Integer(libraries as i64)),
                    (bulk("functions_count"), Frame::Integer(functions as i64)),
                ]),
            )]),
        ),
    ])
}

fn function_kill(session: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    session.shared.scripting.run.request_kill(false)
}

fn function_dump(session: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    let engine = session.shared.scripting.engine.lock();
    Frame::Bulk(Bytes::from(engine.libraries.dump()))
}

fn function_restore(session: &mut Session, ks: &mut KeyspaceLock<'_>, argv: &[Bytes]) -> Frame {
    if argv.len() > 4 {
        return subcommand_syntax_error("FUNCTION", &argv[1]);
    }
    let policy =
        match argv.get(3) {
            None => RestorePolicy::Append,
            Some(p) if p.eq_ignore_ascii_case(b"flush") => RestorePolicy::Flush,
            Some(p) if p.eq_ignore_ascii_case(b"append") => RestorePolicy::Append,
            Some(p) if p.eq_ignore_ascii_case(b"replace") => RestorePolicy::Replace,
            Some(_) => return Frame::error(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            ),
        };
    let scripting = &session.shared.scripting;
    let keyspace = ks.get();
    let mut engine = scripting.engine.lock();
    let engine = &mut *engine;
    let result = engine
        .libraries
        .restore(&engine.functions, &scripting.run, &argv[2], policy);
    scripting.note_libraries(engine);
    match result {
        Ok(()) => {
            changed_functions(keyspace);
            Frame::ok()
        }
        Err(error) => Frame::error(error),
    }
}

fn function_help(_: &mut Session, _: &mut KeyspaceLock<'_>, _: &[Bytes]) -> Frame {
    help_reply(&[
        "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Library description",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
        "      libraries with the new libraries (notice that even on this option there is a chance of failure",
        "      in case of functions name collision with another library).",
        "HELP",
        "    Print this help.",
    ])
}
