//! Client-side caching end to end: RESP3 invalidation pushes as the
//! `redis` crate receives them, and what the differential scripts cannot
//! compare with the reference (random evictions from a full tracking
//! table, INFO counters, `maxmemory` evictions).

use bytes::Bytes;
use moat_resp::Frame;
use moat_testkit::{moat_server, Client, ServerProcess};
use redis::{PushInfo, PushKind, Value};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

fn moat() -> ServerProcess {
    moat_server(option_env!("CARGO_BIN_EXE_moat-server"))
        .start()
        .unwrap()
}

fn bulk(s: &str) -> Frame {
    Frame::Bulk(Bytes::copy_from_slice(s.as_bytes()))
}

fn invalidate(keys: &[&str]) -> Frame {
    Frame::Push(vec![
        bulk("invalidate"),
        Frame::Array(keys.iter().map(|k| bulk(k)).collect()),
    ])
}

/// A RESP3 `redis` connection whose pushes arrive on the receiver.
fn resp3_connection(server: &ServerProcess) -> (redis::Connection, Receiver<PushInfo>) {
    let url = format!("redis://127.0.0.1:{}/?protocol=resp3", server.port());
    let mut con = redis::Client::open(url).unwrap().get_connection().unwrap();
    let (sender, receiver) = channel();
    con.set_push_sender(sender);
    (con, receiver)
}

fn next_push(pushes: &Receiver<PushInfo>) -> PushInfo {
    pushes.recv_timeout(Duration::from_secs(10)).unwrap()
}

fn invalidated_keys(push: &PushInfo) -> Vec<String> {
    assert_eq!(push.kind, PushKind::Invalidate, "{push:?}");
    match &push.data[..] {
        [Value::Array(keys)] => keys
            .iter()
            .map(|k| redis::from_redis_value(k).unwrap())
            .collect(),
        other => panic!("not a key list: {other:?}"),
    }
}

fn info_field(client: &mut Client, section: &str, field: &str) -> i64 {
    let Frame::Bulk(text) = client.call(&["INFO", section]).unwrap() else {
        panic!("INFO is a bulk string");
    };
    let text = String::from_utf8_lossy(&text).into_owned();
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("{field} missing from INFO {section}"))
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn the_redis_crate_receives_invalidation_pushes() {
    let server = moat();
    let (mut con, pushes) = resp3_connection(&server);
    let mut writer = server.client().unwrap();
    redis::cmd("CLIENT")
        .arg(&["TRACKING", "on"])
        .exec(&mut con)
        .unwrap();
    let _: Option<String> = redis::cmd("GET").arg("user:1").query(&mut con).unwrap();
    writer.call(&["SET", "user:1", "ada"]).unwrap();
    // Pushes are read with the next reply.
    redis::cmd("PING").exec(&mut con).unwrap();
    assert_eq!(invalidated_keys(&next_push(&pushes)), ["user:1"]);
    // The client's own write: the push follows its reply.
    let name: String = redis::cmd("GET").arg("user:1").query(&mut con).unwrap();
    assert_eq!(name, "ada");
    redis::cmd("SET")
        .arg(&["user:1", "grace"])
        .exec(&mut con)
        .unwrap();
    redis::cmd("PING").exec(&mut con).unwrap();
    assert_eq!(invalidated_keys(&next_push(&pushes)), ["user:1"]);
    // A flush invalidates everything: a null.
    writer.call(&["FLUSHALL"]).unwrap();
    redis::cmd("PING").exec(&mut con).unwrap();
    let flush = next_push(&pushes);
    assert_eq!(flush.kind, PushKind::Invalidate);
    assert_eq!(flush.data, vec![Value::Nil]);
    assert!(pushes.try_recv().is_err(), "nothing else was sent");
}

#[test]
fn bcast_prefixes_through_the_redis_crate() {
    let server = moat();
    let (mut con, pushes) = resp3_connection(&server);
    let mut writer = server.client().unwrap();
    redis::cmd("CLIENT")
        .arg(&["TRACKING", "on", "BCAST", "PREFIX", "cache:"])
        .exec(&mut con)
        .unwrap();
    writer
        .call(&["MSET", "cache:b", "1", "cache:a", "2", "other", "3"])
        .unwrap();
    redis::cmd("PING").exec(&mut con).unwrap();
    assert_eq!(
        invalidated_keys(&next_push(&pushes)),
        ["cache:a", "cache:b"]
    );
}

/// The distinct keys of the next `pushes` invalidation pushes.
fn distinct_invalidated(tracker: &mut Client, pushes: usize) -> Vec<Frame> {
    let mut dropped = Vec::new();
    for _ in 0..pushes {
        let Frame::Push(items) = tracker.read_frame().unwrap() else {
            panic!("an invalidation push");
        };
        let [_, Frame::Array(keys)] = &items[..] else {
            panic!("{items:?}");
        };
        dropped.extend(keys.iter().cloned());
    }
    dropped.sort_by_key(|k| format!("{k:?}"));
    dropped.dedup();
    dropped
}

#[test]
fn a_full_table_drops_random_keys_with_invalidations() {
    let server = moat();
    let mut tracker = server.client().unwrap();
    let mut other = server.client().unwrap();
    assert!(!tracker.hello3().unwrap().is_error());
    tracker.call(&["CLIENT", "TRACKING", "on"]).unwrap();
    tracker
        .call(&["MGET", "k1", "k2", "k3", "k4", "k5"])
        .unwrap();
    assert_eq!(info_field(&mut other, "clients", "tracking_clients"), 1);
    assert_eq!(info_field(&mut other, "stats", "tracking_total_keys"), 5);
    assert_eq!(info_field(&mut other, "stats", "tracking_total_items"), 5);
    other
        .call(&["CONFIG", "SET", "tracking-table-max-keys", "2"])
        .unwrap();
    // The next command (anyone's) brings the table back under the limit.
    assert_eq!(info_field(&mut other, "stats", "tracking_total_keys"), 2);
    let dropped = distinct_invalidated(&mut tracker, 3);
    assert_eq!(dropped.len(), 3, "three distinct keys: {dropped:?}");
    assert!(dropped
        .iter()
        .all(|k| ["k1", "k2", "k3", "k4", "k5"].iter().any(|n| *k == bulk(n))));
    assert_eq!(tracker.call(&["PING"]).unwrap(), Frame::simple("PONG"));
    assert_eq!(info_field(&mut other, "stats", "tracking_total_keys"), 2);
}

/// Lowered while the tracking client sits idle, the limit still applies:
/// the cron cuts the table back, as Redis's serverCron does, and the
/// client hears of the keys dropped without sending anything.
fn idle_table_is_cut_back(server: &ServerProcess) {
    let mut tracker = server.client().unwrap();
    let mut admin = server.client().unwrap();
    assert!(!tracker.hello3().unwrap().is_error());
    tracker.call(&["CLIENT", "TRACKING", "on"]).unwrap();
    tracker.call(&["MGET", "i1", "i2", "i3"]).unwrap();
    admin
        .call(&["CONFIG", "SET", "tracking-table-max-keys", "1"])
        .unwrap();
    let dropped = distinct_invalidated(&mut tracker, 2);
    assert_eq!(dropped.len(), 2, "two distinct keys: {dropped:?}");
    admin
        .call(&["CONFIG", "SET", "tracking-table-max-keys", "0"])
        .unwrap();
}

#[test]
fn an_idle_server_cuts_the_table_back_to_a_lowered_limit() {
    idle_table_is_cut_back(&moat());
    if let Some(redis) = moat_testkit::reference::redis_server() {
        idle_table_is_cut_back(&moat_testkit::ServerBuilder::new(redis).start().unwrap());
    }
}

#[test]
fn info_counts_prefixes_and_clients() {
    let server = moat();
    let mut a = server.client().unwrap();
    let mut b = server.client().unwrap();
    let mut probe = server.client().unwrap();
    a.call(&[
        "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "x", "PREFIX", "y",
    ])
    .unwrap();
    b.call(&["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "y"])
        .unwrap();
    assert_eq!(info_field(&mut probe, "clients", "tracking_clients"), 2);
    assert_eq!(
        info_field(&mut probe, "stats", "tracking_total_prefixes"),
        2
    );
    drop(a);
    // The disconnection is noticed when the connection's task ends.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while info_field(&mut probe, "clients", "tracking_clients") != 1 {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(
        info_field(&mut probe, "stats", "tracking_total_prefixes"),
        1
    );
    b.call(&["RESET"]).unwrap();
    assert_eq!(info_field(&mut probe, "clients", "tracking_clients"), 0);
    assert_eq!(
        info_field(&mut probe, "stats", "tracking_total_prefixes"),
        0
    );
}

#[test]
fn evicted_keys_are_invalidated_before_the_next_reply() {
    let server = moat();
    let mut tracker = server.client().unwrap();
    let mut admin = server.client().unwrap();
    assert!(!tracker.hello3().unwrap().is_error());
    admin.call(&["SET", "big", "value"]).unwrap();
    tracker.call(&["CLIENT", "TRACKING", "on"]).unwrap();
    tracker.call(&["GET", "big"]).unwrap();
    admin
        .call(&["CONFIG", "SET", "maxmemory-policy", "allkeys-random"])
        .unwrap();
    admin.call(&["CONFIG", "SET", "maxmemory", "1"]).unwrap();
    // The cron or the next command evicts; either way the push comes
    // ahead of the tracking client's next reply.
    assert_eq!(tracker.call(&["PING"]).unwrap(), invalidate(&["big"]));
    assert_eq!(tracker.read_frame().unwrap(), Frame::simple("PONG"));
    admin.call(&["CONFIG", "SET", "maxmemory", "0"]).unwrap();
    assert_eq!(info_field(&mut admin, "stats", "evicted_keys"), 1);
}

#[test]
fn a_pipelined_batch_is_broadcast_as_one_array() {
    let server = moat();
    let mut bcast = server.client().unwrap();
    let mut writer = server.client().unwrap();
    assert!(!bcast.hello3().unwrap().is_error());
    bcast
        .call(&["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "p:"])
        .unwrap();
    // Both requests in one write: one batch, as one event-loop turn in Redis.
    writer
        .send_raw(b"*3\r\n$3\r\nSET\r\n$3\r\np:2\r\n$1\r\nx\r\n*3\r\n$3\r\nSET\r\n$3\r\np:1\r\n$1\r\ny\r\n")
        .unwrap();
    assert_eq!(writer.read_frame().unwrap(), Frame::ok());
    assert_eq!(writer.read_frame().unwrap(), Frame::ok());
    assert_eq!(bcast.read_frame().unwrap(), invalidate(&["p:1", "p:2"]));
    // The BCAST client's own batch: the array follows its replies.
    bcast
        .send_raw(b"*3\r\n$3\r\nSET\r\n$3\r\np:3\r\n$1\r\nx\r\n*1\r\n$4\r\nPING\r\n")
        .unwrap();
    assert_eq!(bcast.read_frame().unwrap(), Frame::ok());
    assert_eq!(bcast.read_frame().unwrap(), Frame::simple("PONG"));
    assert_eq!(bcast.read_frame().unwrap(), invalidate(&["p:3"]));
}

#[test]
fn a_woken_blocked_read_remembers_its_keys() {
    // Redis 7.2 re-runs the woken command through call(): its keys are
    // tracked again (7.0 did not; see accepted_differences.rs).
    let server = moat();
    let mut tracker = server.client().unwrap();
    let mut writer = server.client().unwrap();
    assert!(!tracker.hello3().unwrap().is_error());
    tracker.call(&["CLIENT", "TRACKING", "on"]).unwrap();
    tracker
        .send(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"])
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while info_field(&mut writer, "clients", "blocked_clients") != 1 {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(5));
    }
    writer.call(&["XADD", "s", "1-1", "f", "v"]).unwrap();
    assert_eq!(tracker.read_frame().unwrap(), invalidate(&["s"]));
    assert!(matches!(tracker.read_frame().unwrap(), Frame::Map(_)));
    writer.call(&["XADD", "s", "2-1", "f", "v"]).unwrap();
    assert_eq!(tracker.call(&["PING"]).unwrap(), invalidate(&["s"]));
    assert_eq!(tracker.read_frame().unwrap(), Frame::simple("PONG"));
}
