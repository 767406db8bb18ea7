//! WAITAOF (Redis 7.2) against the built binary: argument errors in
//! Redis's words and order, the local fsync it waits for under each
//! `appendfsync`, blocking without blocking the server, the error when
//! the AOF is turned off under a waiting client, and MULTI. Replies are
//! compared with valkey-server 8.1 (Redis 7.2's WAITAOF) when installed.

mod support;

use moat_resp::Frame;
use moat_testkit::{Client, ServerBuilder, ServerProcess};
use std::time::{Duration, Instant};
use support::*;

fn pair(local: i64, replicas: i64) -> Frame {
    Frame::Array(vec![Frame::Integer(local), Frame::Integer(replicas)])
}

fn servers(args: &[&str]) -> Vec<(ServerProcess, &'static str)> {
    let mut out = vec![(moat().args(args).start().unwrap(), "moat")];
    if let Some(valkey) = moat_testkit::reference::valkey_server() {
        out.push((
            ServerBuilder::new(valkey).args(args).start().unwrap(),
            "valkey",
        ));
    }
    out
}

fn wait_for_rewrite(client: &mut Client) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while text(&call(client, &["INFO", "persistence"])).contains("aof_rewrite_in_progress:1") {
        assert!(Instant::now() < deadline, "rewrite never finished");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn arguments_and_the_aof_off_case_answer_as_redis() {
    let cases: &[(&[&str], Frame)] = &[
        (&["WAITAOF", "0", "0", "0"], pair(0, 0)),
        (
            &["WAITAOF", "1", "0", "0"],
            Frame::error(
                "ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.",
            ),
        ),
        (
            &["WAITAOF", "2", "0", "0"],
            Frame::error("ERR value is out of range, value must between 0 and 1"),
        ),
        (
            &["WAITAOF", "-1", "0", "0"],
            Frame::error("ERR value is out of range, value must between 0 and 1"),
        ),
        (
            &["WAITAOF", "x", "0", "0"],
            Frame::error("ERR value is not an integer or out of range"),
        ),
        (
            &["WAITAOF", "0", "-1", "0"],
            Frame::error("ERR value is out of range, must be positive"),
        ),
        (
            &["WAITAOF", "1", "abc", "0"],
            Frame::error("ERR value is out of range, must be positive"),
        ),
        (
            &["WAITAOF", "1", "0", "-5"],
            Frame::error("ERR timeout is negative"),
        ),
        (
            &["WAITAOF", "0", "0", "1.5"],
            Frame::error("ERR timeout is not an integer or out of range"),
        ),
        (
            &["WAITAOF", "0", "0"],
            Frame::error("ERR wrong number of arguments for 'waitaof' command"),
        ),
    ];
    for (server, name) in servers(&[]) {
        let mut c = server.client().unwrap();
        ok(&mut c, &["SET", "k", "v"]);
        for (command, expected) in cases {
            assert_eq!(&call(&mut c, command), expected, "{name}: {command:?}");
        }
        // No replicas: asking for one waits for the whole timeout.
        let started = Instant::now();
        assert_eq!(
            call(&mut c, &["WAITAOF", "0", "1", "100"]),
            pair(0, 0),
            "{name}"
        );
        assert!(started.elapsed() >= Duration::from_millis(100), "{name}");
    }
}

#[test]
fn the_local_fsync_is_waited_for_under_each_policy() {
    for (server, name) in servers(&["--appendonly", "yes", "--appendfsync", "everysec"]) {
        let mut c = server.client().unwrap();
        // A client that wrote nothing has nothing to wait for.
        assert_eq!(
            call(&mut c, &["WAITAOF", "1", "0", "0"]),
            pair(1, 0),
            "{name}"
        );
        // everysec: the next fsync, within about a second.
        ok(&mut c, &["SET", "a", "1"]);
        let started = Instant::now();
        assert_eq!(
            call(&mut c, &["WAITAOF", "1", "0", "0"]),
            pair(1, 0),
            "{name}"
        );
        assert!(started.elapsed() < Duration::from_secs(3), "{name}");
        // no: never fsynced, so the timeout answers with 0.
        ok(&mut c, &["CONFIG", "SET", "appendfsync", "no"]);
        ok(&mut c, &["SET", "a", "2"]);
        let started = Instant::now();
        assert_eq!(
            call(&mut c, &["WAITAOF", "1", "0", "50"]),
            pair(0, 0),
            "{name}"
        );
        assert!(started.elapsed() >= Duration::from_millis(50), "{name}");
        // always: fsynced before the write was acknowledged.
        ok(&mut c, &["CONFIG", "SET", "appendfsync", "always"]);
        ok(&mut c, &["SET", "a", "3"]);
        assert_eq!(
            call(&mut c, &["WAITAOF", "1", "0", "0"]),
            pair(1, 0),
            "{name}"
        );
        // Local done, no replica: the timeout answers [1, 0].
        assert_eq!(
            call(&mut c, &["WAITAOF", "1", "1", "50"]),
            pair(1, 0),
            "{name}"
        );
        // Inside MULTI nothing blocks: the counts of now.
        ok(&mut c, &["CONFIG", "SET", "appendfsync", "no"]);
        ok(&mut c, &["SET", "a", "4"]);
        ok(&mut c, &["MULTI"]);
        assert_eq!(
            call(&mut c, &["WAITAOF", "1", "0", "0"]),
            Frame::Simple("QUEUED".into())
        );
        assert_eq!(
            call(&mut c, &["EXEC"]),
            Frame::Array(vec![pair(0, 0)]),
            "{name}"
        );
    }
}

/// A waiting client holds nobody else up, and turning the AOF off ends
/// its wait with the error.
#[test]
fn a_blocked_waitaof_does_not_block_the_server_and_ends_when_the_aof_stops() {
    for (server, name) in servers(&["--appendonly", "yes", "--appendfsync", "no"]) {
        let mut waiter = server.client().unwrap();
        ok(&mut waiter, &["SET", "w", "1"]);
        waiter.send(&["WAITAOF", "1", "0", "0"]).unwrap();
        let mut other = server.client().unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !text(&call(&mut other, &["INFO", "clients"])).contains("blocked_clients:1") {
            assert!(Instant::now() < deadline, "{name}: never blocked");
            std::thread::sleep(Duration::from_millis(10));
        }
        ok(&mut other, &["SET", "x", "y"]);
        assert_eq!(call(&mut other, &["GET", "x"]), Frame::Bulk("y".into()));
        ok(&mut other, &["CONFIG", "SET", "appendonly", "no"]);
        assert_eq!(
            waiter.read_frame().unwrap(),
            Frame::error(
                "ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled."
            ),
            "{name}"
        );
        assert_eq!(call(&mut waiter, &["PING"]), Frame::Simple("PONG".into()));
    }
}

/// `CONFIG SET appendonly yes`: a write made meanwhile counts once the
/// first base is in place, as Redis's AOF_WAIT_REWRITE state makes it.
#[test]
fn after_appendonly_yes_the_wait_ends_once_the_first_base_is_in() {
    for (server, name) in servers(&["--appendfsync", "everysec"]) {
        let mut c = server.client().unwrap();
        for i in 0..2000 {
            ok(&mut c, &["SET", &format!("k{i}"), &"v".repeat(100)]);
        }
        ok(&mut c, &["CONFIG", "SET", "appendonly", "yes"]);
        ok(&mut c, &["SET", "after", "1"]);
        assert_eq!(
            call(&mut c, &["WAITAOF", "1", "0", "10000"]),
            pair(1, 0),
            "{name}"
        );
        wait_for_rewrite(&mut c);
        let info = text(&call(&mut c, &["INFO", "persistence"]));
        assert!(
            info.contains("aof_last_bgrewrite_status:ok"),
            "{name}: {info}"
        );
    }
}
