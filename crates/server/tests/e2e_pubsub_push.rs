//! Out-of-band output seen frame by frame with the testkit client: RESP3
//! pushes, messages ordered around their (un)subscribe confirmations,
//! MONITOR lines, and output counted in CLIENT LIST.

use bytes::Bytes;
use moat_resp::Frame;
use moat_testkit::{moat_server, Client, ServerProcess};

fn moat() -> ServerProcess {
    moat_server(option_env!("CARGO_BIN_EXE_moat-server"))
        .start()
        .unwrap()
}

fn bulk(s: &str) -> Frame {
    Frame::Bulk(Bytes::copy_from_slice(s.as_bytes()))
}

fn push(items: &[&str], count: Option<i64>) -> Frame {
    let mut frames: Vec<Frame> = items.iter().map(|s| bulk(s)).collect();
    if let Some(n) = count {
        frames.push(Frame::Integer(n));
    }
    Frame::Push(frames)
}

#[test]
fn resp3_subscriber_gets_push_frames_and_may_run_any_command() {
    let server = moat();
    let mut sub = server.client().unwrap();
    let mut other = server.client().unwrap();
    assert!(!sub.hello3().unwrap().is_error());
    assert_eq!(
        sub.call(&["SUBSCRIBE", "ch"]).unwrap(),
        push(&["subscribe", "ch"], Some(1))
    );
    assert_eq!(sub.call(&["GET", "k"]).unwrap(), Frame::Null);
    assert_eq!(sub.call(&["PING"]).unwrap(), Frame::simple("PONG"));
    assert_eq!(
        other.call(&["PUBLISH", "ch", "hello"]).unwrap(),
        Frame::Integer(1)
    );
    assert_eq!(
        sub.read_frame().unwrap(),
        push(&["message", "ch", "hello"], None)
    );
    // Publishing to itself: the push follows the PUBLISH reply (7.2).
    sub.send(&["PUBLISH", "ch", "self"]).unwrap();
    assert_eq!(sub.read_frame().unwrap(), Frame::Integer(1));
    assert_eq!(
        sub.read_frame().unwrap(),
        push(&["message", "ch", "self"], None)
    );
    assert_eq!(
        sub.call(&["UNSUBSCRIBE"]).unwrap(),
        push(&["unsubscribe", "ch"], Some(0))
    );
    assert_eq!(
        other.call(&["PUBLISH", "ch", "nobody"]).unwrap(),
        Frame::Integer(0)
    );
}

#[test]
fn one_client_counts_once_per_matching_subscription() {
    let server = moat();
    let mut sub = server.client().unwrap();
    let mut publisher = server.client().unwrap();
    sub.send(&["PSUBSCRIBE", "news.*", "*.eu"]).unwrap();
    assert_eq!(sub.read_push().unwrap()[2], Frame::Integer(1));
    assert_eq!(sub.read_push().unwrap()[2], Frame::Integer(2));
    assert_eq!(
        sub.call(&["SUBSCRIBE", "news.eu"]).unwrap(),
        Frame::Array(vec![bulk("subscribe"), bulk("news.eu"), Frame::Integer(3)])
    );
    assert_eq!(
        publisher.call(&["PUBLISH", "news.eu", "m"]).unwrap(),
        Frame::Integer(3)
    );
    let mut seen: Vec<Vec<Frame>> = (0..3).map(|_| sub.read_push().unwrap()).collect();
    seen.sort_by_key(|f| format!("{f:?}"));
    assert_eq!(
        seen,
        vec![
            vec![bulk("message"), bulk("news.eu"), bulk("m")],
            vec![bulk("pmessage"), bulk("*.eu"), bulk("news.eu"), bulk("m")],
            vec![bulk("pmessage"), bulk("news.*"), bulk("news.eu"), bulk("m")],
        ]
    );
    assert_eq!(
        publisher.call(&["PUBSUB", "NUMPAT"]).unwrap(),
        Frame::Integer(2)
    );
    let info = publisher.call(&["INFO", "stats"]).unwrap();
    let Frame::Bulk(text) = info else {
        panic!("{info:?}")
    };
    let text = String::from_utf8_lossy(&text);
    assert!(text.contains("pubsub_channels:1\r\n"), "{text}");
    assert!(text.contains("pubsub_patterns:2\r\n"), "{text}");
}

#[test]
fn unsubscribe_confirmation_follows_every_message_of_the_channel() {
    let server = moat();
    let mut sub = server.client().unwrap();
    let mut publisher = server.client().unwrap();
    sub.call(&["SUBSCRIBE", "busy"]).unwrap();
    for n in 0..200 {
        publisher
            .send(&["PUBLISH", "busy", &n.to_string()])
            .unwrap();
    }
    sub.send(&["UNSUBSCRIBE", "busy"]).unwrap();
    for _ in 0..200 {
        publisher.read_frame().unwrap();
    }
    // Whatever was delivered before the unsubscription precedes its
    // confirmation; nothing comes after it.
    let mut messages = 0;
    loop {
        let frame = sub.read_push().unwrap();
        if frame[0] == bulk("unsubscribe") {
            assert_eq!(frame[2], Frame::Integer(0));
            break;
        }
        assert_eq!(frame[0], bulk("message"));
        assert_eq!(frame[2], bulk(&messages.to_string()));
        messages += 1;
    }
    assert_eq!(sub.call(&["PING"]).unwrap(), Frame::simple("PONG"));
}

#[test]
fn resp2_subscribed_mode_rejects_other_commands() {
    let server = moat();
    let mut sub = server.client().unwrap();
    sub.call(&["SSUBSCRIBE", "shard"]).unwrap();
    assert_eq!(
        sub.call(&["GET", "k"]).unwrap(),
        Frame::error("ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
    );
    assert_eq!(
        sub.call(&["PING"]).unwrap(),
        Frame::Array(vec![bulk("pong"), bulk("")])
    );
    assert_eq!(sub.call(&["RESET"]).unwrap(), Frame::simple("RESET"));
    assert_eq!(sub.call(&["PING"]).unwrap(), Frame::simple("PONG"));
    let mut other = server.client().unwrap();
    assert_eq!(
        other.call(&["SPUBLISH", "shard", "x"]).unwrap(),
        Frame::Integer(0)
    );
}

fn monitor_line(frame: Frame) -> String {
    match frame {
        Frame::Simple(text) => String::from_utf8(text.to_vec()).unwrap(),
        other => panic!("not a monitor line: {other:?}"),
    }
}

/// `1701420000.123456 [0 127.0.0.1:5555] "set" "k" "v"` → the part after
/// the address, after checking the timestamp and address shape.
fn monitor_args(line: &str, client: &Client) -> String {
    let (stamp, rest) = line.split_once(' ').unwrap();
    let (secs, micros) = stamp.split_once('.').unwrap();
    assert!(secs.parse::<u64>().unwrap() > 1_600_000_000, "{line}");
    assert_eq!(micros.len(), 6, "{line}");
    let _ = client;
    let rest = rest.strip_prefix('[').unwrap();
    let (origin, args) = rest.split_once("] ").unwrap();
    let (db, addr) = origin.split_once(' ').unwrap();
    assert!(addr.starts_with("127.0.0.1:"), "{line}");
    format!("{db} {args}")
}

#[test]
fn monitor_shows_commands_with_secrets_redacted() {
    let server = moat();
    let mut monitor = server.client().unwrap();
    let mut client = server.client().unwrap();
    assert_eq!(monitor.call(&["MONITOR"]).unwrap(), Frame::ok());
    client.call(&["SET", "k", "a \"quoted\"\nvalue"]).unwrap();
    client.call(&["AUTH", "someone", "secret"]).unwrap();
    client
        .call(&["ACL", "SETUSER", "someone", "on", ">secret", "+@all", "~*"])
        .unwrap();
    client
        .call(&["HELLO", "2", "AUTH", "someone", "secret"])
        .unwrap();
    client.call(&["SELECT", "1"]).unwrap();
    client.call(&["GET", "k"]).unwrap();
    let expected = [
        r#"0 "SET" "k" "a \"quoted\"\nvalue""#,
        r#"0 "AUTH" "(redacted)" "(redacted)""#,
        // ACL SETUSER is an admin command: never shown.
        r#"0 "HELLO" "2" "AUTH" "(redacted)" "(redacted)""#,
        r#"1 "SELECT" "1""#,
        r#"1 "GET" "k""#,
    ];
    for want in expected {
        let line = monitor_line(monitor.read_frame().unwrap());
        assert_eq!(monitor_args(&line, &client), want);
    }
    let list = client.call(&["CLIENT", "LIST"]).unwrap();
    let text = match list {
        Frame::Bulk(text) | Frame::Verbatim { text, .. } => {
            String::from_utf8_lossy(&text).into_owned()
        }
        other => panic!("{other:?}"),
    };
    assert!(
        text.lines()
            .any(|l| l.contains(" flags=O ") && l.contains(" cmd=monitor ")),
        "{text}"
    );
    // RESET leaves MONITOR mode.
    assert_eq!(monitor.call(&["RESET"]).unwrap(), Frame::simple("RESET"));
    client.call(&["PING"]).unwrap();
    assert_eq!(monitor.call(&["ECHO", "quiet"]).unwrap(), bulk("quiet"));
}

#[test]
fn keyspace_notifications_reach_subscribers_and_the_writer_itself() {
    let server = moat();
    let mut writer = server.client().unwrap();
    let mut listener = server.client().unwrap();
    assert_eq!(
        writer
            .call(&["CONFIG", "SET", "notify-keyspace-events", "Egx$"])
            .unwrap(),
        Frame::ok()
    );
    listener.call(&["PSUBSCRIBE", "__keyevent@0__:*"]).unwrap();
    // The active expiry cycle reclaims the key without any read and
    // announces it.
    writer.call(&["SET", "session", "v", "PX", "30"]).unwrap();
    let expected_set = Frame::Array(vec![
        bulk("pmessage"),
        bulk("__keyevent@0__:*"),
        bulk("__keyevent@0__:set"),
        bulk("session"),
    ]);
    assert_eq!(listener.read_frame().unwrap(), expected_set);
    assert_eq!(
        listener.read_push().unwrap()[2],
        bulk("__keyevent@0__:expire")
    );
    assert_eq!(
        listener.read_frame().unwrap(),
        Frame::Array(vec![
            bulk("pmessage"),
            bulk("__keyevent@0__:*"),
            bulk("__keyevent@0__:expired"),
            bulk("session"),
        ])
    );
    // A RESP3 client subscribed to its own events gets them after the
    // reply of the command that raised them (7.2).
    assert!(!writer.hello3().unwrap().is_error());
    writer.call(&["SUBSCRIBE", "__keyevent@0__:del"]).unwrap();
    writer.call(&["SET", "gone", "v"]).unwrap();
    writer.send(&["DEL", "gone"]).unwrap();
    assert_eq!(writer.read_frame().unwrap(), Frame::Integer(1));
    assert_eq!(
        writer.read_frame().unwrap(),
        push(&["message", "__keyevent@0__:del", "gone"], None)
    );
}
