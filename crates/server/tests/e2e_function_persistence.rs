//! FUNCTION libraries are data, as in Redis: they survive SAVE, BGSAVE,
//! the shutdown save, DEBUG RELOAD, the AOF (FUNCTION LOAD/DELETE/FLUSH/
//! RESTORE logged verbatim, FCALL as the commands it ran), AOF rewrites
//! with either base format and DEBUG LOADAOF, and RDB files and AOF
//! directories move between moat and redis-server 7.0 with their
//! libraries. FLUSHALL leaves them alone; FUNCTION FLUSH does not.

mod support;

use moat_resp::Frame;
use moat_testkit::{reference, Client, ServerBuilder, ServerProcess};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::*;

/// A library with two functions, one read-only with a description.
const LIB_A: &str = "#!lua name=liba\n\
    redis.register_function('seta', function(keys, args) \
        redis.call('SET', keys[1], args[1]) \
        return redis.call('INCR', keys[1] .. ':n') end)\n\
    redis.register_function{function_name='geta', \
        callback=function(keys) return redis.call('GET', keys[1]) end, \
        flags={'no-writes'}, description='reads a key'}";

/// A long, repetitive library: RDB writers compress it with LZF.
fn lib_b() -> String {
    let padding = "-- padding padding padding padding\n".repeat(20);
    format!(
        "#!lua name=libb\n{padding}redis.register_function('hello', function() return 'hi' end)"
    )
}

fn load_libraries(c: &mut Client) {
    assert_eq!(text(&call(c, &["FUNCTION", "LOAD", LIB_A])), "liba");
    assert_eq!(text(&call(c, &["FUNCTION", "LOAD", &lib_b()])), "libb");
}

/// FUNCTION LIST WITHCODE, one rendered entry per library, libraries
/// and their functions sorted by name (Redis lists both in its hash
/// tables' order).
fn libraries(c: &mut Client) -> Vec<String> {
    let Frame::Array(entries) = call(c, &["FUNCTION", "LIST", "WITHCODE"]) else {
        panic!("FUNCTION LIST is not an array");
    };
    let mut out: Vec<String> = entries
        .into_iter()
        .map(|entry| {
            let Frame::Array(mut fields) = entry else {
                panic!("a library is not a RESP2 map: {entry:?}");
            };
            for pair in fields.chunks_mut(2) {
                if let [Frame::Bulk(key), Frame::Array(functions)] = pair {
                    if key.as_ref() == b"functions" {
                        functions.sort_by_key(|f| format!("{f:?}"));
                    }
                }
            }
            format!("{fields:?}")
        })
        .collect();
    out.sort();
    out
}

/// The functions run and see the data.
fn assert_functions_work(c: &mut Client) {
    assert_eq!(
        call(c, &["FCALL", "seta", "1", "fk", "v1"]),
        Frame::Integer(1),
        "FCALL seta"
    );
    assert_eq!(text(&call(c, &["FCALL_RO", "geta", "1", "fk"])), "v1");
    assert_eq!(text(&call(c, &["FCALL", "hello", "0"])), "hi");
}

fn info_field(c: &mut Client, section: &str, name: &str) -> String {
    let info = text(&call(c, &["INFO", section]));
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_owned))
        .unwrap_or_default()
}

fn wait_until(c: &mut Client, section: &str, field: &str, value: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while info_field(c, section, field) != value {
        assert!(Instant::now() < deadline, "{field} never became {value}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn save_bgsave_and_the_shutdown_save_keep_libraries() {
    let mut moat = moat()
        .keep_persistence()
        .args(["--save", "3600 1", "--appendonly", "no"])
        .start()
        .unwrap();
    let mut c = moat.client().unwrap();
    assert_eq!(text(&call(&mut c, &["FUNCTION", "LOAD", LIB_A])), "liba");
    // A library is a change the save points count, as in Redis.
    assert_eq!(
        info_field(&mut c, "persistence", "rdb_changes_since_last_save"),
        "1"
    );
    ok(&mut c, &["SAVE"]);
    moat.restart().unwrap();
    let mut c = moat.client().unwrap();
    assert_eq!(
        call(&mut c, &["FCALL", "seta", "1", "fk", "v1"]),
        Frame::Integer(1)
    );

    assert_eq!(text(&call(&mut c, &["FUNCTION", "LOAD", &lib_b()])), "libb");
    let expected = libraries(&mut c);
    text(&call(&mut c, &["BGSAVE"]));
    wait_until(&mut c, "persistence", "rdb_bgsave_in_progress", "0");
    assert_eq!(
        info_field(&mut c, "persistence", "rdb_last_bgsave_status"),
        "ok"
    );
    let _ = c.call(&["SHUTDOWN", "NOSAVE"]);
    moat.restart().unwrap();
    let mut c = moat.client().unwrap();
    assert_eq!(libraries(&mut c), expected);
    assert_eq!(text(&call(&mut c, &["FCALL", "hello", "0"])), "hi");

    // SIGTERM with save points saves the libraries too.
    ok(&mut c, &["FUNCTION", "DELETE", "libb"]);
    drop(c);
    moat.restart().unwrap();
    let mut c = moat.client().unwrap();
    assert_eq!(libraries(&mut c).len(), 1, "{}", moat.log());
    assert_eq!(text(&call(&mut c, &["FCALL_RO", "geta", "1", "fk"])), "v1");
}

/// FLUSHALL run by a script saves (save points) while the script holds
/// the scripting engine: the save takes the libraries without it.
#[test]
fn flushall_from_a_script_saves_the_libraries() {
    let mut moat = moat()
        .keep_persistence()
        .args(["--save", "3600 1000", "--appendonly", "no"])
        .start()
        .unwrap();
    let mut c = moat.client().unwrap();
    c.set_timeout(Duration::from_secs(10)).unwrap();
    load_libraries(&mut c);
    ok(&mut c, &["SET", "gone", "1"]);
    assert_eq!(
        call(&mut c, &["EVAL", "return redis.call('FLUSHALL')", "0"]),
        Frame::ok()
    );
    let flusher = "#!lua name=flusher
        redis.register_function('flush', function() return redis.call('FLUSHALL') end)";
    assert_eq!(
        text(&call(&mut c, &["FUNCTION", "LOAD", flusher])),
        "flusher"
    );
    assert_eq!(call(&mut c, &["FCALL", "flush", "0"]), Frame::ok());
    let expected = libraries(&mut c);
    // What FLUSHALL saved, not the shutdown save.
    let _ = c.call(&["SHUTDOWN", "NOSAVE"]);
    moat.restart().unwrap();
    let mut c = moat.client().unwrap();
    assert_eq!(libraries(&mut c), expected);
    assert_eq!(call(&mut c, &["EXISTS", "gone"]), Frame::Integer(0));
    assert_functions_work(&mut c);
}

/// The same sequence on moat and on redis-server: FLUSHALL keeps the
/// libraries (and, with save points, saves them), DEBUG RELOAD brings back
/// what the file holds, FUNCTION FLUSH counts as a change.
#[test]
fn flushall_and_debug_reload_treat_libraries_as_redis_does() {
    let Some(redis) = reference::redis_server() else {
        return;
    };
    let args = [
        "--save",
        "3600 1000",
        "--appendonly",
        "no",
        "--enable-debug-command",
        "yes",
    ];
    let run = |server: ServerProcess| -> Vec<String> {
        let mut c = server.client().unwrap();
        let mut seen = Vec::new();
        let mut note = |c: &mut Client, what: &str| {
            // FLUSHALL's own count differs between 7.0 (0) and 7.2 (1, as
            // moat; e2e_persistence checks it): not compared.
            let dirty = if what.contains("FLUSHALL") {
                String::new()
            } else {
                info_field(c, "persistence", "rdb_changes_since_last_save")
            };
            seen.push(format!("{what}: dirty={dirty} {:?}", libraries(c)));
        };
        load_libraries(&mut c);
        ok(&mut c, &["SET", "k", "v"]);
        note(&mut c, "loaded");
        ok(&mut c, &["FLUSHALL"]);
        note(&mut c, "after FLUSHALL");
        ok(&mut c, &["DEBUG", "RELOAD"]);
        note(&mut c, "after DEBUG RELOAD");
        ok(&mut c, &["FUNCTION", "FLUSH"]);
        note(&mut c, "after FUNCTION FLUSH");
        ok(&mut c, &["DEBUG", "RELOAD", "NOSAVE"]);
        note(&mut c, "after DEBUG RELOAD NOSAVE");
        assert_functions_work(&mut c);
        ok(&mut c, &["FUNCTION", "FLUSH", "SYNC"]);
        ok(&mut c, &["DEBUG", "RELOAD"]);
        note(&mut c, "flushed and reloaded");
        seen
    };
    let ours = run(moat().keep_persistence().args(args).start().unwrap());
    let theirs = run(ServerBuilder::new(redis)
        .keep_persistence()
        .args(args)
        .start()
        .unwrap());
    for (ours, theirs) in ours.iter().zip(&theirs) {
        assert_eq!(ours, theirs);
    }
    assert_eq!(ours.len(), theirs.len());
    assert!(
        ours[2].contains("liba") && ours[2].contains("libb"),
        "{ours:?}"
    );
    assert!(!ours[5].contains("liba"), "{ours:?}");
}

fn copy_dump(from: &Path, to: &Path) {
    std::fs::copy(from.join("dump.rdb"), to.join("dump.rdb")).expect("copy dump.rdb");
}

#[test]
fn a_redis_rdb_with_libraries_loads_in_moat() {
    let Some(redis) = reference::redis_server() else {
        return;
    };
    let reference = ServerProcess::start(redis, Vec::<String>::new()).unwrap();
    let mut r = reference.client().unwrap();
    load_libraries(&mut r);
    ok(&mut r, &["SET", "fk", "v0"]);
    ok(&mut r, &["SAVE"]);
    let expected = libraries(&mut r);

    let mut moat = moat().start().unwrap();
    moat.stop().unwrap();
    copy_dump(reference.dir(), moat.dir());
    moat.restart().unwrap();
    let mut c = moat.client().unwrap();
    assert_eq!(libraries(&mut c), expected);
    assert_eq!(text(&call(&mut c, &["GET", "fk"])), "v0");
    assert_functions_work(&mut c);
    assert_eq!(
        call(&mut c, &["FUNCTION", "STATS"]),
        call(&mut r, &["FUNCTION", "STATS"])
    );
}

#[test]
fn a_moat_rdb_with_libraries_loads_in_redis() {
    let Some(redis) = reference::redis_server() else {
        return;
    };
    let moat = moat().start().unwrap();
    let mut c = moat.client().unwrap();
    load_libraries(&mut c);
    ok(&mut c, &["SET", "fk", "v0"]);
    ok(&mut c, &["SAVE"]);
    let expected = libraries(&mut c);

    let mut reference = ServerProcess::start(redis, Vec::<String>::new()).unwrap();
    reference.stop().unwrap();
    copy_dump(moat.dir(), reference.dir());
    reference.restart().unwrap();
    let mut r = reference.client().unwrap();
    assert_eq!(libraries(&mut r), expected, "{}", reference.log());
    assert_eq!(text(&call(&mut r, &["GET", "fk"])), "v0");
    assert_functions_work(&mut r);
}

/// A file whose libraries collide, or do not compile, stops start-up
/// with Redis's reason, as Redis's load refuses it.
#[test]
fn libraries_that_do_not_load_stop_start_up() {
    let fine = "#!lua name=x\nredis.register_function('f', function() return 1 end)";
    let cases = [
        (vec![fine, fine], "Library 'x' already exists"),
        (
            vec![
                fine,
                "#!lua name=y\nredis.register_function('f', function() return 2 end)",
            ],
            "Function f already exists",
        ),
        (
            vec!["#!lua name=z\nnot lua at all"],
            "Error compiling function",
        ),
    ];
    for (codes, reason) in cases {
        let mut file = b"REDIS0010".to_vec();
        for code in &codes {
            file.push(245);
            file.push(0x40 | (code.len() >> 8) as u8);
            file.push(code.len() as u8);
            file.extend_from_slice(code.as_bytes());
        }
        // EOF and a zero checksum (rdbchecksum no).
        file.push(255);
        file.extend_from_slice(&[0; 8]);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("dump.rdb"), &file).unwrap();
        let out = std::process::Command::new(binary())
            .args(["--port", "0", "--save", ""])
            .arg("--dir")
            .arg(dir.path())
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{reason}: started");
        assert!(
            log.contains(&format!("Failed loading library, {reason}")),
            "{log}"
        );
    }
}

// ---- AOF ----

/// Every command of the incr files the manifest lists, as text words.
fn incr_commands(dir: &Path) -> Vec<Vec<String>> {
    let manifest = std::fs::read_to_string(dir.join("appendonly.aof.manifest")).unwrap();
    let mut out = Vec::new();
    for line in manifest.lines().filter(|l| l.ends_with("type i")) {
        let name = line.split(' ').nth(1).unwrap();
        out.extend(parse_commands(&std::fs::read(dir.join(name)).unwrap()));
    }
    out
}

/// The base file the manifest lists: its name and bytes.
fn base_file(dir: &Path) -> (String, Vec<u8>) {
    let manifest = std::fs::read_to_string(dir.join("appendonly.aof.manifest")).unwrap();
    let line = manifest.lines().find(|l| l.ends_with("type b")).unwrap();
    let name = line.split(' ').nth(1).unwrap().to_string();
    let bytes = std::fs::read(dir.join(&name)).unwrap();
    (name, bytes)
}

fn parse_commands(data: &[u8]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut pos = 0;
    let line = |pos: &mut usize| -> String {
        let end = pos_of_crlf(data, *pos);
        let text = String::from_utf8_lossy(&data[*pos..end]).into_owned();
        *pos = end + 2;
        text
    };
    while pos < data.len() {
        let header = line(&mut pos);
        if header.starts_with('#') {
            continue;
        }
        let argc: usize = header[1..].parse().unwrap();
        let mut argv = Vec::new();
        for _ in 0..argc {
            let len: usize = line(&mut pos)[1..].parse().unwrap();
            argv.push(String::from_utf8_lossy(&data[pos..pos + len]).into_owned());
            pos += len + 2;
        }
        out.push(argv);
    }
    out
}

fn pos_of_crlf(data: &[u8], from: usize) -> usize {
    from + data[from..].windows(2).position(|w| w == b"\r\n").unwrap()
}

/// The function commands and an FCALL, run the same way on moat and on
/// redis-server with `appendfsync always`.
fn function_traffic(c: &mut Client) {
    load_libraries(c);
    // Failures change nothing and are not logged.
    assert!(matches!(
        call(c, &["FUNCTION", "LOAD", LIB_A]),
        Frame::Error(_)
    ));
    assert!(matches!(
        call(c, &["FUNCTION", "DELETE", "nosuch"]),
        Frame::Error(_)
    ));
    assert_eq!(
        text(&call(c, &["FUNCTION", "LOAD", "REPLACE", LIB_A])),
        "liba"
    );
    let Frame::Bulk(payload) = call(c, &["FUNCTION", "DUMP"]) else {
        panic!("FUNCTION DUMP");
    };
    ok(c, &["FUNCTION", "DELETE", "libb"]);
    ok(c, &["FUNCTION", "FLUSH", "ASYNC"]);
    let restore: Vec<&[u8]> = vec![b"FUNCTION", b"RESTORE", &payload, b"FLUSH"];
    assert_eq!(c.call(&restore).unwrap(), Frame::ok());
    ok(c, &["SELECT", "2"]);
    // Two writes: MULTI/EXEC around them.
    assert_eq!(
        call(c, &["FCALL", "seta", "1", "fk", "v1"]),
        Frame::Integer(1)
    );
    // A read-only function propagates nothing.
    assert_eq!(text(&call(c, &["FCALL_RO", "geta", "1", "fk"])), "v1");
}

#[test]
fn the_aof_logs_function_commands_as_redis_does_and_replays_them() {
    let Some(redis) = reference::redis_server() else {
        return;
    };
    let args = ["--appendonly", "yes", "--appendfsync", "always"];
    let mut server = moat().args(args).start().unwrap();
    let mut c = server.client().unwrap();
    function_traffic(&mut c);
    let expected = libraries(&mut c);
    let ours = incr_commands(&aof_dir(&server));

    let reference = ServerBuilder::new(redis).args(args).start().unwrap();
    let mut r = reference.client().unwrap();
    function_traffic(&mut r);
    let theirs = incr_commands(&aof_dir(&reference));
    // Each server restores its own FUNCTION DUMP payload, whose bytes
    // differ (RDB version, LZF): the payload is compared as a placeholder.
    let payloads = |commands: Vec<Vec<String>>| -> Vec<Vec<String>> {
        commands
            .into_iter()
            .map(|mut argv| {
                if argv[0] == "FUNCTION" && argv[1] == "RESTORE" {
                    argv[2] = "<payload>".into();
                }
                argv
            })
            .collect()
    };
    let ours = payloads(ours);
    assert_eq!(ours, payloads(theirs));
    let first_words: Vec<String> = ours
        .iter()
        .map(|argv| argv.iter().take(2).cloned().collect::<Vec<_>>().join(" "))
        .collect();
    for expected in [
        "FUNCTION LOAD",
        "FUNCTION DELETE",
        "FUNCTION FLUSH",
        "FUNCTION RESTORE",
        "MULTI",
    ] {
        assert!(first_words.iter().any(|w| w == expected), "{first_words:?}");
    }
    assert!(!ours
        .iter()
        .any(|argv| argv[0].eq_ignore_ascii_case("fcall")));

    drop(c);
    server.restart().unwrap();
    let mut c = server.client().unwrap();
    assert_eq!(libraries(&mut c), expected);
    ok(&mut c, &["SELECT", "2"]);
    assert_eq!(text(&call(&mut c, &["GET", "fk"])), "v1");
    assert_eq!(text(&call(&mut c, &["GET", "fk:n"])), "1");
    ok(&mut c, &["SELECT", "3"]);
    assert_functions_work(&mut c);
}

fn rewrite(c: &mut Client) {
    text(&call(c, &["BGREWRITEAOF"]));
    wait_until(c, "persistence", "aof_rewrite_in_progress", "0");
    assert_eq!(
        info_field(c, "persistence", "aof_last_bgrewrite_status"),
        "ok"
    );
}

/// Rewrites with both base formats keep the libraries (FUNCTION LOAD
/// commands first in a command base, FUNCTION2 records in an RDB base),
/// and so do restarts and DEBUG LOADAOF after them.
#[test]
fn rewrites_with_either_base_keep_libraries() {
    for preamble in ["yes", "no"] {
        let mut server = moat()
            .args([
                "--appendonly",
                "yes",
                "--aof-use-rdb-preamble",
                preamble,
                "--enable-debug-command",
                "yes",
            ])
            .start()
            .unwrap();
        let mut c = server.client().unwrap();
        load_libraries(&mut c);
        ok(&mut c, &["SET", "fk", "v0"]);
        rewrite(&mut c);
        let (name, bytes) = base_file(&aof_dir(&server));
        if preamble == "yes" {
            assert!(name.ends_with(".base.rdb"), "{name}");
            let code = "#!lua name=liba";
            assert!(bytes.windows(code.len()).any(|w| w == code.as_bytes()));
        } else {
            assert!(name.ends_with(".base.aof"), "{name}");
            let commands = parse_commands(&bytes);
            assert_eq!(commands[0][..2], ["FUNCTION", "LOAD"]);
            assert_eq!(commands[1][..2], ["FUNCTION", "LOAD"]);
            assert_eq!(commands[2][0], "SELECT");
            assert!(commands.iter().any(|argv| argv.join(" ") == "SET fk v0"));
        }
        assert!(incr_commands(&aof_dir(&server)).is_empty());
        let expected = libraries(&mut c);
        ok(&mut c, &["FUNCTION", "DELETE", "libb"]);
        ok(&mut c, &["DEBUG", "LOADAOF"]);
        assert_eq!(libraries(&mut c).len(), 1, "preamble {preamble}");
        text(&call(&mut c, &["FUNCTION", "LOAD", &lib_b()]));
        assert_eq!(libraries(&mut c), expected);
        drop(c);
        server.restart().unwrap();
        let mut c = server.client().unwrap();
        assert_eq!(libraries(&mut c), expected, "preamble {preamble}");
        assert_eq!(text(&call(&mut c, &["GET", "fk"])), "v0");
        assert_functions_work(&mut c);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// AOF directories with libraries, both base formats, both directions.
#[test]
fn aof_directories_with_libraries_move_between_moat_and_redis() {
    let Some(redis) = reference::redis_server() else {
        return;
    };
    for preamble in ["yes", "no"] {
        let args = ["--appendonly", "yes", "--aof-use-rdb-preamble", preamble];
        let start = |binary: Option<&PathBuf>| match binary {
            Some(redis) => ServerBuilder::new(redis).args(args).start().unwrap(),
            None => moat().args(args).start().unwrap(),
        };
        for (writer, reader) in [(None, Some(&redis)), (Some(&redis), None)] {
            let mut from = start(writer);
            let mut c = from.client().unwrap();
            assert_eq!(text(&call(&mut c, &["FUNCTION", "LOAD", LIB_A])), "liba");
            ok(&mut c, &["SET", "fk", "v0"]);
            rewrite(&mut c);
            // After the rewrite, in the incr file.
            text(&call(&mut c, &["FUNCTION", "LOAD", &lib_b()]));
            let expected = libraries(&mut c);
            drop(c);
            from.stop().unwrap();
            let mut to = start(reader);
            to.stop().unwrap();
            std::fs::remove_dir_all(aof_dir(&to)).unwrap();
            copy_dir(&aof_dir(&from), &aof_dir(&to));
            to.restart().unwrap();
            let mut c = to.client().unwrap();
            assert_eq!(
                libraries(&mut c),
                expected,
                "preamble {preamble}: {}",
                to.log()
            );
            assert_eq!(text(&call(&mut c, &["GET", "fk"])), "v0");
            assert_functions_work(&mut c);
        }
    }
}
