//! Scripts against moat: a script cannot do more than its caller's ACL
//! user (each `redis.call` is checked, denials logged with context `lua`),
//! and a long script makes other clients get BUSY until SCRIPT KILL.
//!
//! The texts are Redis 7.2's (the reference 7.0.15 words script denials
//! differently), so they are checked here verbatim rather than in the
//! differential scripts.

use moat_resp::Frame;
use moat_testkit::{moat_server, Client, ServerProcess};
use std::thread::sleep;
use std::time::{Duration, Instant};

fn start() -> ServerProcess {
    moat_server(option_env!("CARGO_BIN_EXE_moat-server"))
        .start()
        .unwrap()
}

fn error(text: &str) -> Frame {
    Frame::error(text)
}

fn bulk(text: &str) -> Frame {
    Frame::Bulk(bytes::Bytes::copy_from_slice(text.as_bytes()))
}

fn field<'a>(entry: &'a Frame, name: &str) -> &'a Frame {
    let Frame::Array(items) = entry else {
        panic!("not an ACL LOG entry: {entry:?}")
    };
    items
        .chunks(2)
        .find(|pair| pair[0] == bulk(name))
        .map(|pair| &pair[1])
        .unwrap_or_else(|| panic!("no field {name} in {entry:?}"))
}

fn text(frame: &Frame) -> String {
    match frame {
        Frame::Bulk(b) | Frame::Simple(b) | Frame::Error(b) => String::from_utf8_lossy(b).into(),
        other => format!("{other:?}"),
    }
}

fn app_client(server: &ServerProcess) -> Client {
    let mut app = server.client().unwrap();
    assert_eq!(app.call(&["AUTH", "app", "pw"]).unwrap(), Frame::ok());
    app
}

#[test]
fn scripts_cannot_escape_the_callers_acl() {
    let server = start();
    let mut admin = server.client().unwrap();
    for command in [
        &[
            "ACL",
            "SETUSER",
            "app",
            "on",
            ">pw",
            "~app:*",
            "+@all",
            "-@dangerous",
        ][..],
        &[
            "ACL", "SETUSER", "noeval", "on", ">pw", "~*", "+@all", "-eval",
        ][..],
        &["SET", "secret", "original"][..],
    ] {
        assert_eq!(admin.call(command).unwrap(), Frame::ok());
    }
    let mut app = app_client(&server);

    assert_eq!(
        app.call(&["EVAL", "return redis.call('get','secret')", "0"]).unwrap(),
        error("ERR ACL failure in script: No permissions to access a key script: df722bb1932e0241132bdc3ffde0d9d7b0e69ee5, on @user_script:1.")
    );
    assert_eq!(
        app.call(&["EVAL", "return redis.call('flushall')", "0"]).unwrap(),
        error("ERR ACL failure in script: User app has no permissions to run the 'flushall' command script: d530a22111e074618d24a380340dd3d8bc48af4a, on @user_script:1.")
    );
    // pcall gets the error as a value, which the script may return.
    assert_eq!(
        app.call(&["EVAL", "return redis.pcall('set','secret','pwned')", "0"])
            .unwrap(),
        error("ERR ACL failure in script: No permissions to access a key")
    );
    assert_eq!(admin.call(&["GET", "secret"]).unwrap(), bulk("original"));
    // What the user may do, a script may do.
    assert_eq!(
        app.call(&[
            "EVAL",
            "redis.call('set','app:1','v') return redis.call('get','app:1')",
            "0"
        ])
        .unwrap(),
        bulk("v")
    );

    // The newest log entry is the pcall'd SET, logged for the caller with
    // context lua and the caller's own command in its client info.
    let log = admin.call(&["ACL", "LOG", "1"]).unwrap();
    let Frame::Array(entries) = &log else {
        panic!("ACL LOG: {log:?}")
    };
    let entry = &entries[0];
    assert_eq!(field(entry, "context"), &bulk("lua"));
    assert_eq!(field(entry, "reason"), &bulk("key"));
    assert_eq!(field(entry, "object"), &bulk("secret"));
    assert_eq!(field(entry, "username"), &bulk("app"));
    let info = text(field(entry, "client-info"));
    assert!(
        info.contains(" cmd=eval ") && info.contains(" user=app "),
        "{info}"
    );
    let all = admin.call(&["ACL", "LOG"]).unwrap();
    let Frame::Array(all) = &all else {
        panic!("ACL LOG: {all:?}")
    };
    assert!(
        all.iter()
            .any(|e| field(e, "reason") == &bulk("command")
                && field(e, "object") == &bulk("flushall"))
    );

    // redis.acl_check_cmd answers for the calling user without logging.
    let before = all.len();
    assert_eq!(
        app.call(&["EVAL", "return {redis.acl_check_cmd('get','app:x') and 1 or 0, redis.acl_check_cmd('get','secret') and 1 or 0, redis.acl_check_cmd('flushall') and 1 or 0}", "0"]).unwrap(),
        Frame::Array(vec![Frame::Integer(1), Frame::Integer(0), Frame::Integer(0)])
    );
    let Frame::Array(after) = admin.call(&["ACL", "LOG"]).unwrap() else {
        panic!()
    };
    assert_eq!(after.len(), before);

    // A library loaded by an administrator runs with the caller's rights.
    assert_eq!(
        admin
            .call(&["FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('peek', function(keys) return redis.call('get', keys[1]) end)"])
            .unwrap(),
        bulk("lib")
    );
    assert_eq!(
        admin.call(&["FCALL", "peek", "1", "secret"]).unwrap(),
        bulk("original")
    );
    // Declared keys are checked before the function runs...
    assert_eq!(
        app.call(&["FCALL", "peek", "1", "secret"]).unwrap(),
        error("NOPERM No permissions to access a key")
    );
    // ...and keys it was not told about are checked by each redis.call.
    assert_eq!(
        app.call(&["EVAL", "return redis.call('get', ARGV[1])", "0", "secret"]).unwrap(),
        error("ERR ACL failure in script: No permissions to access a key script: 9769d4f2aac8a14015734fe7006aaf1532343e9c, on @user_script:1.")
    );

    // Without +eval, no script runs at all.
    let mut noeval = server.client().unwrap();
    assert_eq!(noeval.call(&["AUTH", "noeval", "pw"]).unwrap(), Frame::ok());
    assert_eq!(
        noeval.call(&["EVAL", "return 1", "0"]).unwrap(),
        error("NOPERM User noeval has no permissions to run the 'eval' command")
    );
}

/// Waits until `client` gets BUSY for PING (the script passed its threshold).
fn wait_busy(client: &mut Client) -> Frame {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let reply = client.call(&["PING"]).unwrap();
        if reply != Frame::simple("PONG") || Instant::now() > deadline {
            return reply;
        }
        sleep(Duration::from_millis(20));
    }
}

#[test]
fn busy_scripts_answer_busy_and_can_be_killed() {
    let server = start();
    let mut other = server.client().unwrap();
    assert_eq!(
        other.call(&["SCRIPT", "KILL"]).unwrap(),
        error("NOTBUSY No scripts in execution right now.")
    );
    assert_eq!(
        other
            .call(&["CONFIG", "SET", "busy-reply-threshold", "100"])
            .unwrap(),
        Frame::ok()
    );
    let mut runner = server.client().unwrap();
    runner.send(&["EVAL", "while true do end", "0"]).unwrap();
    let busy =
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
    assert_eq!(wait_busy(&mut other), error(busy));
    assert_eq!(other.call(&["GET", "k"]).unwrap(), error(busy));
    assert_eq!(
        other.call(&["FUNCTION", "KILL"]).unwrap(),
        error(busy),
        "FUNCTION KILL does not kill EVAL scripts"
    );
    assert_eq!(other.call(&["SCRIPT", "KILL"]).unwrap(), Frame::ok());
    assert_eq!(
        runner.read_frame().unwrap(),
        error("ERR Script killed by user with SCRIPT KILL... script: 694a5fe1ddb97a4c6a1bf299d9537c7d3d0f84e7, on @user_script:1.")
    );
    assert_eq!(other.call(&["PING"]).unwrap(), Frame::simple("PONG"));
    assert_eq!(
        other.call(&["SCRIPT", "KILL"]).unwrap(),
        error("NOTBUSY No scripts in execution right now.")
    );
    // The runner's connection works again; pcall cannot swallow a kill.
    runner
        .send(&[
            "EVAL",
            "while true do pcall(function() while true do end end) end",
            "0",
        ])
        .unwrap();
    wait_busy(&mut other);
    assert_eq!(other.call(&["SCRIPT", "KILL"]).unwrap(), Frame::ok());
    let Frame::Error(killed) = runner.read_frame().unwrap() else {
        panic!("the script was not killed")
    };
    assert!(killed.starts_with(b"ERR Script killed by user with SCRIPT KILL..."));

    // A script that wrote cannot be killed; SHUTDOWN NOSAVE still works.
    runner
        .send(&["EVAL", "redis.call('set','x','1') while true do end", "0"])
        .unwrap();
    wait_busy(&mut other);
    let Frame::Error(unkillable) = other.call(&["SCRIPT", "KILL"]).unwrap() else {
        panic!("SCRIPT KILL of a script that wrote")
    };
    assert!(unkillable.starts_with(b"UNKILLABLE Sorry the script already executed write commands"));
    other.send(&["SHUTDOWN", "NOSAVE"]).unwrap();
    other.wait_closed().unwrap();
}

#[test]
fn busy_functions_are_killed_with_function_kill() {
    let server = start();
    let mut other = server.client().unwrap();
    other
        .call(&["CONFIG", "SET", "busy-reply-threshold", "100"])
        .unwrap();
    assert_eq!(
        other
            .call(&["FUNCTION", "LOAD", "#!lua name=spin\nredis.register_function('spin', function() while true do end end)"])
            .unwrap(),
        bulk("spin")
    );
    let mut runner = server.client().unwrap();
    runner.send(&["FCALL", "spin", "0"]).unwrap();
    let busy =
        "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
    assert_eq!(wait_busy(&mut other), error(busy));
    // FUNCTION STATS answers while the function runs.
    let stats = other.call(&["FUNCTION", "STATS"]).unwrap();
    let Frame::Array(stats) = &stats else {
        panic!("FUNCTION STATS: {stats:?}")
    };
    assert_eq!(stats[0], bulk("running_script"));
    assert_eq!(field(&stats[1], "name"), &bulk("spin"));
    assert_eq!(other.call(&["SCRIPT", "KILL"]).unwrap(), error(busy));
    assert_eq!(other.call(&["FUNCTION", "KILL"]).unwrap(), Frame::ok());
    assert_eq!(
        runner.read_frame().unwrap(),
        error("ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2.")
    );
}

/// A blocking command called from a script answers at once (7.2 runs it
/// as its non-blocking form), and the calling client is not left blocked.
#[test]
fn blocking_commands_in_scripts_answer_at_once() {
    let server = start();
    let mut c = server.client().unwrap();
    c.set_timeout(Duration::from_secs(2)).unwrap();
    for script in [
        "return redis.call('blpop', 'none', 0)",
        "return redis.call('bzpopmin', 'none', 0)",
        "return redis.call('xread', 'BLOCK', 0, 'STREAMS', 'none', '$')",
    ] {
        assert_eq!(
            c.call(&["EVAL", script, "0"]).unwrap(),
            Frame::Null,
            "{script}"
        );
    }
    assert_eq!(c.call(&["PING"]).unwrap(), Frame::simple("PONG"));
    let mut probe = server.client().unwrap();
    let Frame::Bulk(info) = probe.call(&["INFO", "clients"]).unwrap() else {
        panic!("INFO is a bulk string")
    };
    assert!(String::from_utf8_lossy(&info).contains("blocked_clients:0"));
}

/// INFO and MEMORY called from a script answer (the running script holds
/// the scripting engine, whose figures they report).
#[test]
fn scripts_may_ask_info_and_memory() {
    let server = start();
    let mut c = server.client().unwrap();
    c.set_timeout(Duration::from_secs(3)).unwrap();
    for script in [
        "return redis.call('info', 'memory')",
        "return redis.call('info')",
        "return #redis.call('memory', 'stats')",
        "return redis.call('memory', 'doctor')",
    ] {
        let reply = c.call(&["EVAL", script, "0"]).unwrap();
        assert!(!reply.is_error(), "{script}: {reply:?}");
    }
    assert_eq!(c.call(&["PING"]).unwrap(), Frame::simple("PONG"));
}

/// Every command a script may call answers from inside one (an error is
/// fine, hanging is not), with no arguments and with a few: a handler that
/// locked something the running script holds would never return.
#[test]
fn every_command_a_script_may_call_answers() {
    let server = start();
    let mut c = server.client().unwrap();
    c.set_timeout(Duration::from_secs(5)).unwrap();
    let Frame::Array(table) = c.call(&["COMMAND"]).unwrap() else {
        panic!("COMMAND is an array")
    };
    let noscript = |flags: &Frame| matches!(flags, Frame::Array(f) | Frame::Set(f) if f.iter().any(|x| *x == Frame::simple("noscript") || *x == bulk("noscript")));
    let mut names: Vec<Vec<String>> = Vec::new();
    for entry in &table {
        let Frame::Array(fields) = entry else {
            continue;
        };
        let name = text(&fields[0]);
        let subcommands = match fields.get(9) {
            Some(Frame::Array(subs)) if !subs.is_empty() => subs.clone(),
            _ => Vec::new(),
        };
        if subcommands.is_empty() {
            if !noscript(&fields[2]) {
                names.push(vec![name]);
            }
            continue;
        }
        for sub in &subcommands {
            let Frame::Array(sub) = sub else { continue };
            if !noscript(&sub[2]) {
                names.push(text(&sub[0]).split('|').map(str::to_owned).collect());
            }
        }
    }
    assert!(names.len() > 200, "{} commands", names.len());
    for extra in [&[][..], &["k1"][..], &["k1", "1", "2", "3"][..]] {
        for parts in &names {
            let args: Vec<String> = parts
                .iter()
                .map(String::as_str)
                .chain(extra.iter().copied())
                .map(|a| format!("'{a}'"))
                .collect();
            let script = format!("return redis.pcall({})", args.join(", "));
            let reply = c.call(&["EVAL", &script, "0"]);
            assert!(reply.is_ok(), "{script}: {reply:?}");
        }
    }
    assert_eq!(c.call(&["PING"]).unwrap(), Frame::simple("PONG"));
}
