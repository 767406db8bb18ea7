//! Blocked clients end to end: a consumer thread on BRPOP fed by a
//! producer through the `redis` crate, ACL rules checked again when a
//! blocked client is woken (Redis 7.2), CLIENT UNBLOCK with real client
//! ids (compared with the reference server), and the registry cleaned when
//! a blocked client goes away.

use moat_resp::Frame;
use moat_testkit::{moat_server, reference, Client, ServerBuilder, ServerProcess};
use std::time::{Duration, Instant};

fn moat() -> ServerProcess {
    moat_server(option_env!("CARGO_BIN_EXE_moat-server"))
        .start()
        .unwrap()
}

fn bulk(text: &str) -> Frame {
    Frame::Bulk(bytes::Bytes::copy_from_slice(text.as_bytes()))
}

fn text(frame: &Frame) -> String {
    match frame {
        Frame::Bulk(b) | Frame::Simple(b) | Frame::Error(b) => String::from_utf8_lossy(b).into(),
        other => format!("{other:?}"),
    }
}

/// The value of `field` in `INFO section`.
fn info_field(client: &mut Client, section: &str, field: &str) -> String {
    let info = text(&client.call(&["INFO", section]).unwrap());
    info.lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .unwrap_or_default()
        .to_owned()
}

/// Waits until the server reports `count` blocked clients.
fn wait_blocked(client: &mut Client, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while info_field(client, "clients", "blocked_clients") != count.to_string() {
        assert!(Instant::now() < deadline, "never {count} blocked clients");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn client_id(client: &mut Client) -> i64 {
    match client.call(&["CLIENT", "ID"]).unwrap() {
        Frame::Integer(id) => id,
        other => panic!("CLIENT ID answered {other:?}"),
    }
}

#[test]
fn consumer_thread_receives_what_the_producer_pushes() {
    let server = moat();
    let url = format!("redis://127.0.0.1:{}/", server.port());
    let consumer_url = url.clone();
    let consumer = std::thread::spawn(move || {
        let mut con = redis::Client::open(consumer_url)
            .unwrap()
            .get_connection()
            .unwrap();
        let mut received = Vec::new();
        for _ in 0..3 {
            let (key, value): (String, String) = redis::cmd("BRPOP")
                .arg("jobs")
                .arg(5)
                .query(&mut con)
                .unwrap();
            assert_eq!(key, "jobs");
            received.push(value);
        }
        received
    });
    let mut producer = redis::Client::open(url).unwrap().get_connection().unwrap();
    let mut probe = server.client().unwrap();
    wait_blocked(&mut probe, 1);
    assert_eq!(
        info_field(&mut probe, "clients", "clients_in_timeout_table"),
        "1"
    );
    for job in ["job1", "job2", "job3"] {
        let _: i64 = redis::cmd("LPUSH")
            .arg("jobs")
            .arg(job)
            .query(&mut producer)
            .unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(consumer.join().unwrap(), ["job1", "job2", "job3"]);
    wait_blocked(&mut probe, 0);
}

#[test]
fn a_woken_client_is_checked_again_by_acl() {
    let server = moat();
    let mut admin = server.client().unwrap();
    let ok = Frame::Simple(bytes::Bytes::from_static(b"OK"));
    assert_eq!(
        admin
            .call(&["ACL", "SETUSER", "alice", "on", "nopass", "~q*", "+blpop", "+rpush"])
            .unwrap(),
        ok
    );
    let mut alice = server.client().unwrap();
    assert_eq!(alice.call(&["AUTH", "alice", "x"]).unwrap(), ok);
    alice.send(&["BLPOP", "queue", "0"]).unwrap();
    wait_blocked(&mut admin, 1);
    assert_eq!(
        info_field(&mut admin, "clients", "clients_in_timeout_table"),
        "0",
        "no timeout"
    );
    let list = text(&admin.call(&["CLIENT", "LIST"]).unwrap());
    assert!(
        list.lines()
            .any(|l| l.contains("flags=b ") && l.contains("cmd=blpop") && l.contains("user=alice")),
        "{list}"
    );
    assert_eq!(
        info_field(&mut admin, "clients", "total_blocking_keys"),
        "1"
    );
    // Losing the command while blocked: NOPERM when woken.
    assert_eq!(
        admin.call(&["ACL", "SETUSER", "alice", "-blpop"]).unwrap(),
        ok
    );
    assert_eq!(
        admin.call(&["RPUSH", "queue", "v"]).unwrap(),
        Frame::Integer(1)
    );
    assert_eq!(
        alice.read_frame().unwrap(),
        Frame::error("NOPERM User alice has no permissions to run the 'blpop' command")
    );
    wait_blocked(&mut admin, 0);
    let stats = info_field(&mut admin, "commandstats", "cmdstat_blpop");
    assert!(stats.contains("rejected_calls=1"), "{stats}");
    let log = format!("{:?}", admin.call(&["ACL", "LOG", "1"]).unwrap());
    for expected in ["command", "toplevel", "blpop", "alice"] {
        assert!(log.contains(expected), "{expected} not in {log}");
    }
    // The element is still there for the next client.
    assert_eq!(admin.call(&["LLEN", "queue"]).unwrap(), Frame::Integer(1));

    // Losing the key pattern while blocked.
    assert_eq!(
        admin.call(&["ACL", "SETUSER", "alice", "+blpop"]).unwrap(),
        ok
    );
    alice.send(&["BLPOP", "qempty", "0"]).unwrap();
    wait_blocked(&mut admin, 1);
    assert_eq!(
        admin
            .call(&["ACL", "SETUSER", "alice", "resetkeys", "~other*"])
            .unwrap(),
        ok
    );
    assert_eq!(
        admin.call(&["RPUSH", "qempty", "v"]).unwrap(),
        Frame::Integer(1)
    );
    assert_eq!(
        alice.read_frame().unwrap(),
        Frame::error("NOPERM No permissions to access a key")
    );
    let log = format!("{:?}", admin.call(&["ACL", "LOG", "1"]).unwrap());
    assert!(log.contains("key") && log.contains("qempty"), "{log}");
    wait_blocked(&mut admin, 0);
}

/// CLIENT UNBLOCK both ways, with ids as the server reports them.
fn unblock_transcript(server: &ServerProcess) -> Vec<Frame> {
    let mut admin = server.client().unwrap();
    let mut blocked = server.client().unwrap();
    let id = client_id(&mut blocked).to_string();
    let mut out = Vec::new();
    for (command, reason) in [
        (vec!["BLPOP", "nokey", "0"], "TIMEOUT"),
        (vec!["BZPOPMIN", "nokey", "0"], "ERROR"),
        (vec!["WAIT", "1", "0"], "TIMEOUT"),
        (vec!["BLMOVE", "nokey", "dst", "LEFT", "LEFT", "0"], "ERROR"),
    ] {
        blocked.send(&command).unwrap();
        wait_blocked(&mut admin, 1);
        out.push(admin.call(&["CLIENT", "UNBLOCK", &id, reason]).unwrap());
        out.push(blocked.read_frame().unwrap());
        wait_blocked(&mut admin, 0);
        out.push(admin.call(&["CLIENT", "UNBLOCK", &id, reason]).unwrap());
    }
    // The client works normally afterwards.
    out.push(blocked.call(&["PING"]).unwrap());
    out
}

#[test]
fn client_unblock_matches_redis() {
    let server = moat();
    let ours = unblock_transcript(&server);
    assert_eq!(ours[0], Frame::Integer(1));
    assert_eq!(ours[1], Frame::NullArray);
    assert_eq!(
        ours[4],
        Frame::error("UNBLOCKED client unblocked via CLIENT UNBLOCK")
    );
    assert_eq!(ours[7], Frame::Integer(0), "WAIT times out with 0");
    let Some(redis) = reference::redis_server() else {
        return;
    };
    let reference = ServerBuilder::new(redis).start().unwrap();
    assert_eq!(ours, unblock_transcript(&reference));
}

#[test]
fn a_killed_or_timed_out_client_leaves_the_registry() {
    let server = moat();
    let mut admin = server.client().unwrap();
    let mut victim = server.client().unwrap();
    let id = client_id(&mut victim).to_string();
    victim.send(&["BLPOP", "k", "0"]).unwrap();
    wait_blocked(&mut admin, 1);
    assert_eq!(
        admin.call(&["CLIENT", "KILL", "ID", &id]).unwrap(),
        Frame::Integer(1)
    );
    wait_blocked(&mut admin, 0);
    assert_eq!(
        info_field(&mut admin, "clients", "total_blocking_keys"),
        "0"
    );
    // A disconnected waiter does not swallow the element.
    let mut waiter = server.client().unwrap();
    waiter.send(&["BLPOP", "k", "0"]).unwrap();
    wait_blocked(&mut admin, 1);
    drop(waiter);
    wait_blocked(&mut admin, 0);
    assert_eq!(admin.call(&["RPUSH", "k", "v"]).unwrap(), Frame::Integer(1));
    assert_eq!(
        admin.call(&["BLPOP", "k", "0"]).unwrap(),
        Frame::Array(vec![bulk("k"), bulk("v")])
    );
    // A timeout: reply after about the timeout, pipelined commands after it.
    let started = Instant::now();
    admin.send_raw(b"BLPOP k 0.2\r\nPING\r\n").unwrap();
    assert_eq!(admin.read_frame().unwrap(), Frame::NullArray);
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(
        admin.read_frame().unwrap(),
        Frame::Simple(bytes::Bytes::from_static(b"PONG"))
    );
    let stats = info_field(&mut admin, "commandstats", "cmdstat_blpop");
    assert!(
        stats.starts_with("calls=2,"),
        "counted once per command: {stats}"
    );
}

/// Redis 7.2 wakes a blocked XREADGROUP when its key is deleted or changes
/// type, or its group is destroyed, and the re-run answers the error
/// (7.0, the differential reference, keeps some of them waiting or words
/// the error otherwise); a blocked XREAD keeps waiting through a deletion.
#[test]
fn xreadgroup_is_unblocked_when_its_group_goes_away() {
    let server = moat();
    let mut admin = server.client().unwrap();
    let mut reader = server.client().unwrap();
    let nogroup = "NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option";
    let block = [
        "XREADGROUP",
        "GROUP",
        "g",
        "c",
        "BLOCK",
        "0",
        "STREAMS",
        "s",
        ">",
    ];
    let cases: [(&[&str], &str); 3] = [
        (&["DEL", "s"], nogroup),
        (
            &["SET", "s", "now a string"],
            "WRONGTYPE Operation against a key holding the wrong kind of value",
        ),
        (&["XGROUP", "DESTROY", "s", "g"], nogroup),
    ];
    for (change, error) in cases {
        admin.call(&["DEL", "s"]).unwrap();
        admin
            .call(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"])
            .unwrap();
        reader.send(&block).unwrap();
        wait_blocked(&mut admin, 1);
        admin.call(change).unwrap();
        let reply = reader.read_frame().unwrap();
        assert_eq!(reply, Frame::Error(error.into()), "after {change:?}");
        wait_blocked(&mut admin, 0);
    }

    reader
        .send(&["XREAD", "BLOCK", "0", "STREAMS", "t", "$"])
        .unwrap();
    wait_blocked(&mut admin, 1);
    admin.call(&["XADD", "t", "1-1", "f", "v"]).unwrap();
    assert!(matches!(reader.read_frame().unwrap(), Frame::Array(_)));
    reader
        .send(&["XREAD", "BLOCK", "0", "STREAMS", "t", "$"])
        .unwrap();
    wait_blocked(&mut admin, 1);
    admin.call(&["DEL", "t"]).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(info_field(&mut admin, "clients", "blocked_clients"), "1");
    admin.call(&["XADD", "t", "2-1", "f", "v"]).unwrap();
    let reply = reader.read_frame().unwrap();
    assert!(format!("{reply:?}").contains("2-1"), "{reply:?}");
}
