//! Bounded output under load: 1000 pattern subscribers and 10 publishers
//! for a couple of seconds, while one subscriber never reads. The silent
//! one must be cut off at its `client-output-buffer-limit pubsub`, every
//! other subscriber must get every message meant for it, and the server's
//! memory must stay bounded. (Throughput against redis-server is
//! scripts/bench_pubsub.sh's job.)

use moat_resp::{decode_frame, Frame};
use moat_testkit::{encode_command, moat_server, Client};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SUBSCRIBERS: usize = 1000;
const PATTERNS: usize = 4;
const PUBLISHERS: usize = 10;

fn info_field(client: &mut Client, section: &str, field: &str) -> String {
    let Frame::Bulk(text) = client.call(&["INFO", section]).unwrap() else {
        panic!("INFO is not a bulk string")
    };
    let text = String::from_utf8_lossy(&text).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in {text}"))
        .to_owned()
}

fn client_list(client: &mut Client) -> String {
    match client.call(&["CLIENT", "LIST"]).unwrap() {
        Frame::Bulk(text) | Frame::Verbatim { text, .. } => {
            String::from_utf8_lossy(&text).into_owned()
        }
        other => panic!("{other:?}"),
    }
}

/// How many messages a subscriber of each pattern must get: unknown
/// (`u64::MAX`) until the publishers are done.
type Expected = Arc<[AtomicU64; PATTERNS]>;

/// A subscriber thread: counts the pmessages it receives until it has as
/// many as were published to its pattern (or nothing more comes for a
/// long while), then checks the connection still answers.
fn subscriber(port: u16, index: usize, expected: Expected) -> std::thread::JoinHandle<u64> {
    let pattern = format!("soak.{}.*", index % PATTERNS);
    // A thousand of them: small stacks.
    let builder = std::thread::Builder::new().stack_size(256 * 1024);
    let spawned = builder.spawn(move || {
        let mut client = Client::connect_port(port).unwrap();
        let confirmation = client.call(&["PSUBSCRIBE", &pattern]).unwrap();
        assert!(matches!(confirmation, Frame::Array(_)), "{confirmation:?}");
        client.set_timeout(Duration::from_millis(200)).unwrap();
        let mut received = 0u64;
        let mut idle_since: Option<Instant> = None;
        while received < expected[index % PATTERNS].load(Ordering::Relaxed) {
            match client.read_frame() {
                Ok(Frame::Array(items)) => {
                    assert_eq!(items[0], Frame::Bulk("pmessage".into()));
                    received += 1;
                    idle_since = None;
                }
                Ok(other) => panic!("unexpected {other:?}"),
                // A loaded machine may starve the server for a while; a
                // lost message shows as a count short of the expected one.
                Err(moat_testkit::TestkitError::Timeout(_)) => {
                    if expected[index % PATTERNS].load(Ordering::Relaxed) == u64::MAX {
                        continue;
                    }
                    let since = *idle_since.get_or_insert_with(Instant::now);
                    if since.elapsed() > Duration::from_secs(30) {
                        break;
                    }
                }
                Err(other) => panic!("subscriber on {pattern}: {other}"),
            }
        }
        client.set_timeout(Duration::from_secs(10)).unwrap();
        let pong = client.call(&["PING"]).unwrap();
        assert_eq!(
            pong,
            Frame::Array(vec![Frame::Bulk("pong".into()), Frame::Bulk("".into())])
        );
        received
    });
    spawned.expect("spawning a subscriber thread")
}

#[test]
fn slow_subscriber_is_cut_off_and_the_others_get_everything() {
    let server = moat_server(option_env!("CARGO_BIN_EXE_moat-server"))
        .args(["--client-output-buffer-limit", "pubsub", "2mb", "1mb", "1"])
        .start()
        .unwrap();
    let port = server.port();
    let expected: Expected = Arc::new(std::array::from_fn(|_| AtomicU64::new(u64::MAX)));
    let subscribers: Vec<_> = (0..SUBSCRIBERS)
        .map(|i| subscriber(port, i, expected.clone()))
        .collect();

    // The silent subscriber listens to a channel of large messages and
    // never reads a byte.
    let mut silent = TcpStream::connect(("127.0.0.1", port)).unwrap();
    silent
        .write_all(&encode_command(&["SUBSCRIBE", "firehose"]))
        .unwrap();
    let mut admin = server.client().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while info_field(&mut admin, "clients", "pubsub_clients") != (SUBSCRIBERS + 1).to_string() {
        assert!(
            Instant::now() < deadline,
            "subscribers did not all subscribe"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    // Large messages to the silent subscriber, beside the publishers, until
    // PUBLISH finds nobody: it was cut off. Bounded: the limit is 2 MB and
    // the sockets hold a few more.
    let firehose = std::thread::spawn(move || {
        let mut client = Client::connect_port(port).unwrap();
        let big = "x".repeat(64 * 1024);
        for sent in 1..=2000u32 {
            match client.call(&["PUBLISH", "firehose", &big]).unwrap() {
                Frame::Integer(1) => continue,
                Frame::Integer(0) => return sent,
                other => panic!("{other:?}"),
            }
        }
        panic!("the silent subscriber was never cut off");
    });
    let publishers: Vec<_> = (0..PUBLISHERS)
        .map(|p| {
            std::thread::spawn(move || {
                let mut client = Client::connect_port(port).unwrap();
                let small = format!("publisher {p} says hello");
                let mut sent = [0u64; PATTERNS];
                let started = Instant::now();
                let mut n = 0u64;
                while started.elapsed() < Duration::from_secs(2) {
                    let pattern = (n as usize) % PATTERNS;
                    let channel = format!("soak.{pattern}.{p}");
                    match client.call(&["PUBLISH", &channel, &small]).unwrap() {
                        Frame::Integer(r) => assert_eq!(r as usize, SUBSCRIBERS / PATTERNS),
                        other => panic!("{other:?}"),
                    }
                    sent[pattern] += 1;
                    n += 1;
                }
                sent
            })
        })
        .collect();
    let mut sent = [0u64; PATTERNS];
    for publisher in publishers {
        for (total, count) in sent.iter_mut().zip(publisher.join().unwrap()) {
            *total += count;
        }
    }
    for (count, sent) in expected.iter().zip(sent) {
        count.store(sent, Ordering::Relaxed);
    }
    let big_messages = firehose.join().unwrap();
    assert!(
        big_messages > 32,
        "cut off after {big_messages} messages of 64 kB"
    );
    for (i, handle) in subscribers.into_iter().enumerate() {
        assert_eq!(
            handle.join().unwrap(),
            sent[i % PATTERNS],
            "subscriber {i} missed messages"
        );
    }
    assert!(sent.iter().all(|&n| n > 0), "{sent:?}");
    eprintln!(
        "published per pattern {sent:?}: {} deliveries to {SUBSCRIBERS} subscribers",
        sent.iter().sum::<u64>() * (SUBSCRIBERS / PATTERNS) as u64
    );

    // The silent subscriber was disconnected at its limit.
    assert_eq!(
        info_field(
            &mut admin,
            "stats",
            "client_output_buffer_limit_disconnections"
        ),
        "1"
    );
    assert!(!client_list(&mut admin).contains("cmd=subscribe "));
    silent
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut sink = vec![0u8; 1 << 16];
    loop {
        match silent.read(&mut sink) {
            Ok(0) => break,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("silent subscriber was not disconnected: {e}"),
        }
    }
    // The server keeps serving.
    assert_eq!(admin.call(&["PING"]).unwrap(), Frame::simple("PONG"));
    let used: u64 = info_field(&mut admin, "memory", "used_memory")
        .parse()
        .unwrap();
    assert!(used < 256 << 20, "used_memory {used}");
}

#[test]
fn queued_output_shows_in_client_list_and_drains() {
    // No limit: the silent subscriber accumulates, CLIENT LIST shows it.
    let server = moat_server(option_env!("CARGO_BIN_EXE_moat-server"))
        .args(["--client-output-buffer-limit", "pubsub", "0", "0", "0"])
        .start()
        .unwrap();
    let mut silent = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    silent
        .write_all(&encode_command(&["SUBSCRIBE", "firehose"]))
        .unwrap();
    let mut admin = server.client().unwrap();
    while info_field(&mut admin, "clients", "pubsub_clients") != "1" {
        std::thread::sleep(Duration::from_millis(10));
    }
    let big = "y".repeat(64 * 1024);
    for _ in 0..512 {
        admin.send(&["PUBLISH", "firehose", &big]).unwrap();
    }
    for _ in 0..512 {
        assert_eq!(admin.read_frame().unwrap(), Frame::Integer(1));
    }
    let omem_of_subscriber = |admin: &mut Client| -> u64 {
        let list = client_list(admin);
        let line = list
            .lines()
            .find(|l| l.contains("cmd=subscribe"))
            .expect("subscriber listed")
            .to_owned();
        line.split(' ')
            .find_map(|f| f.strip_prefix("omem="))
            .unwrap()
            .parse()
            .unwrap()
    };
    let queued = omem_of_subscriber(&mut admin);
    assert!(queued > 1 << 20, "omem={queued}");
    // Reading everything empties the queue.
    let mut pending = bytes::BytesMut::new();
    let mut messages = 0;
    let mut chunk = vec![0u8; 1 << 16];
    silent
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    while messages < 513 {
        let n = silent.read(&mut chunk).unwrap();
        assert!(n > 0, "closed");
        pending.extend_from_slice(&chunk[..n]);
        while let Some(_frame) = decode_frame(&mut pending).unwrap() {
            messages += 1;
        }
    }
    // The server counts the bytes as written once its write returns, which
    // can be just after the reader already has them: poll briefly.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let mut omem = omem_of_subscriber(&mut admin);
    while omem != 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
        omem = omem_of_subscriber(&mut admin);
    }
    assert_eq!(omem, 0);
}
