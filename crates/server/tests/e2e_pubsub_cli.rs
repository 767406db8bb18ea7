//! The product seeds' pub/sub scenarios with the real redis-cli: a
//! subscriber process that keeps its connection open, publishers on other
//! connections under other users, and the channel ACLs between them.

use moat_testkit::{redis_cli, reference, ServerProcess};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

/// A moat-server, or `None` (test skipped) when redis-cli is not installed.
fn moat_and_cli() -> Option<ServerProcess> {
    moat_testkit::moat_for_redis_cli(option_env!("CARGO_BIN_EXE_moat-server"))
}

fn url(server: &ServerProcess, user: &str, password: &str) -> String {
    server.url(user, password)
}

fn cli(server: &ServerProcess, args: &[&str]) -> String {
    redis_cli(server.port(), args)
        .unwrap()
        .trim_end()
        .to_owned()
}

/// A long-running `redis-cli ... SUBSCRIBE ...` whose output lines arrive
/// on a channel (raw mode: one element per line).
struct Subscriber {
    child: Child,
    lines: Receiver<String>,
}

impl Subscriber {
    fn start(args: &[&str]) -> Subscriber {
        let cli = reference::redis_cli().expect("redis-cli");
        let mut child = Command::new(cli)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Subscriber { child, lines }
    }

    fn expect(&self, expected: &[&str]) {
        for want in expected {
            let got = self
                .lines
                .recv_timeout(Duration::from_secs(10))
                .unwrap_or_else(|e| panic!("waiting for {want:?}: {e}"));
            assert_eq!(&got, want);
        }
    }

    /// Waits for redis-cli to exit (the server closed the connection).
    fn wait_exit(&mut self) {
        for _ in 0..100 {
            if self.child.try_wait().unwrap().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("redis-cli subscriber is still connected");
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const EVENTLISTENER: &[&str] = &[
    "ACL",
    "SETUSER",
    "eventlistener",
    "on",
    ">ListenerPassword",
    "resetchannels",
    "&events:*",
    "+subscribe",
    "+psubscribe",
    "-publish",
];

#[test]
fn eventlistener_subscribes_and_cannot_publish() {
    let Some(server) = moat_and_cli() else { return };
    assert_eq!(cli(&server, EVENTLISTENER), "OK");
    let listener = url(&server, "eventlistener", "ListenerPassword");
    let subscriber = Subscriber::start(&["-u", &listener, "SUBSCRIBE", "events:orders"]);
    subscriber.expect(&["subscribe", "events:orders", "1"]);
    assert_eq!(
        cli(&server, &["PUBLISH", "events:orders", "order 42 shipped"]),
        "1"
    );
    subscriber.expect(&["message", "events:orders", "order 42 shipped"]);
    assert_eq!(
        cli(
            &server,
            &["-u", &listener, "PUBLISH", "events:orders", "test"]
        ),
        "NOPERM User eventlistener has no permissions to run the 'publish' command"
    );
    // Outside the allowed channels, SUBSCRIBE is denied by channel.
    assert_eq!(
        cli(&server, &["-u", &listener, "SUBSCRIBE", "billing"]),
        "NOPERM No permissions to access a channel"
    );
    let clients = cli(&server, &["CLIENT", "LIST"]);
    let line = clients
        .lines()
        .find(|l| l.contains("user=eventlistener"))
        .expect("subscriber listed");
    assert!(
        line.contains(" flags=P ") && line.contains(" sub=1 psub=0 ssub=0 "),
        "{line}"
    );
}

#[test]
fn eventproducer_publishes_only_on_its_channel() {
    let Some(server) = moat_and_cli() else { return };
    let setuser = [
        "ACL",
        "SETUSER",
        "eventproducer",
        "on",
        ">ProducerPassword",
        "resetchannels",
        "&notifications:orders",
        "+publish",
        "-subscribe",
        "-psubscribe",
    ];
    assert_eq!(cli(&server, &setuser), "OK");
    let watcher = Subscriber::start(&[
        "-p",
        &server.port().to_string(),
        "PSUBSCRIBE",
        "notifications:*",
    ]);
    watcher.expect(&["psubscribe", "notifications:*", "1"]);
    let producer = url(&server, "eventproducer", "ProducerPassword");
    assert_eq!(
        cli(
            &server,
            &[
                "-u",
                &producer,
                "PUBLISH",
                "notifications:orders",
                "new order"
            ]
        ),
        "1"
    );
    watcher.expect(&[
        "pmessage",
        "notifications:*",
        "notifications:orders",
        "new order",
    ]);
    for channel in ["notifications:payments", "events:orders"] {
        assert_eq!(
            cli(&server, &["-u", &producer, "PUBLISH", channel, "x"]),
            "NOPERM No permissions to access a channel"
        );
    }
    assert_eq!(
        cli(
            &server,
            &["-u", &producer, "SUBSCRIBE", "notifications:orders"]
        ),
        "NOPERM User eventproducer has no permissions to run the 'subscribe' command"
    );
    assert_eq!(
        cli(
            &server,
            &["-u", &producer, "PSUBSCRIBE", "notifications:orders"]
        ),
        "NOPERM User eventproducer has no permissions to run the 'psubscribe' command"
    );
}

#[test]
fn monitor_roles_split_over_two_users_and_two_connections() {
    let Some(server) = moat_and_cli() else { return };
    let subscriber_rules = [
        "ACL",
        "SETUSER",
        "monitor-subscriber",
        "on",
        ">MonitorSubPassword",
        "resetchannels",
        "allchannels",
        "+subscribe",
        "+psubscribe",
        "-publish",
    ];
    let publisher_rules = [
        "ACL",
        "SETUSER",
        "monitor-publisher",
        "on",
        ">MonitorPubPassword",
        "resetchannels",
        "&monitor:control",
        "+publish",
        "-subscribe",
        "-psubscribe",
    ];
    assert_eq!(cli(&server, &subscriber_rules), "OK");
    assert_eq!(cli(&server, &publisher_rules), "OK");
    let sub_url = url(&server, "monitor-subscriber", "MonitorSubPassword");
    let pub_url = url(&server, "monitor-publisher", "MonitorPubPassword");
    // allchannels: any pattern may be subscribed, `*` included.
    let subscriber = Subscriber::start(&["-u", &sub_url, "PSUBSCRIBE", "*"]);
    subscriber.expect(&["psubscribe", "*", "1"]);
    assert_eq!(
        cli(
            &server,
            &["-u", &pub_url, "PUBLISH", "monitor:control", "reload"]
        ),
        "1"
    );
    subscriber.expect(&["pmessage", "*", "monitor:control", "reload"]);
    // Other users' traffic on any channel reaches the subscriber too.
    assert_eq!(cli(&server, &["PUBLISH", "metrics:cpu", "42"]), "1");
    subscriber.expect(&["pmessage", "*", "metrics:cpu", "42"]);
    assert_eq!(
        cli(&server, &["-u", &pub_url, "PUBLISH", "metrics:cpu", "1"]),
        "NOPERM No permissions to access a channel"
    );
    assert_eq!(
        cli(&server, &["-u", &pub_url, "SUBSCRIBE", "monitor:control"]),
        "NOPERM User monitor-publisher has no permissions to run the 'subscribe' command"
    );
    assert_eq!(
        cli(
            &server,
            &["-u", &sub_url, "PUBLISH", "monitor:control", "x"]
        ),
        "NOPERM User monitor-subscriber has no permissions to run the 'publish' command"
    );
}

#[test]
fn subscriber_whose_user_loses_the_channel_is_disconnected() {
    let Some(server) = moat_and_cli() else { return };
    assert_eq!(cli(&server, EVENTLISTENER), "OK");
    let listener = url(&server, "eventlistener", "ListenerPassword");
    let mut lost = Subscriber::start(&["-u", &listener, "SUBSCRIBE", "events:orders"]);
    lost.expect(&["subscribe", "events:orders", "1"]);
    let kept = Subscriber::start(&["-u", &listener, "PSUBSCRIBE", "events:*"]);
    kept.expect(&["psubscribe", "events:*", "1"]);
    // Adding a pattern is no shrink: nobody is disconnected.
    assert_eq!(
        cli(&server, &["ACL", "SETUSER", "eventlistener", "&audit:*"]),
        "OK"
    );
    assert_eq!(
        cli(&server, &["PUBLISH", "events:orders", "still here"]),
        "2"
    );
    lost.expect(&["message", "events:orders", "still here"]);
    kept.expect(&["pmessage", "events:*", "events:orders", "still here"]);
    // Now only the literal pattern events:* remains: the channel
    // subscriber is still matched by it, and the pattern subscriber's
    // pattern is literally allowed; replacing it with events:o* drops both.
    assert_eq!(
        cli(
            &server,
            &[
                "ACL",
                "SETUSER",
                "eventlistener",
                "resetchannels",
                "&events:*"
            ]
        ),
        "OK"
    );
    assert_eq!(cli(&server, &["PUBSUB", "NUMPAT"]), "1");
    assert_eq!(
        cli(
            &server,
            &[
                "ACL",
                "SETUSER",
                "eventlistener",
                "resetchannels",
                "&events:o*"
            ]
        ),
        "OK"
    );
    let mut kept = kept;
    kept.wait_exit();
    assert_eq!(
        cli(&server, &["PUBSUB", "NUMSUB", "events:orders"]),
        "events:orders\n1"
    );
    assert_eq!(
        cli(
            &server,
            &["ACL", "SETUSER", "eventlistener", "resetchannels"]
        ),
        "OK"
    );
    lost.wait_exit();
    assert_eq!(
        cli(&server, &["PUBSUB", "NUMSUB", "events:orders"]),
        "events:orders\n0"
    );
    assert_eq!(cli(&server, &["PUBSUB", "NUMPAT"]), "0");
}

#[test]
fn redis_cli_monitor_prints_redis_lines() {
    let Some(server) = moat_and_cli() else { return };
    let monitor = Subscriber::start(&["-p", &server.port().to_string(), "MONITOR"]);
    monitor.expect(&["OK"]);
    assert_eq!(cli(&server, &["SET", "k", "v"]), "OK");
    assert_eq!(
        cli(&server, &["-u", &url(&server, "default", "x"), "GET", "k"]),
        "v"
    );
    for want in [
        r#""SET" "k" "v""#,
        r#""AUTH" "(redacted)" "(redacted)""#,
        r#""GET" "k""#,
    ] {
        let line = monitor.lines.recv_timeout(Duration::from_secs(10)).unwrap();
        // `1701420000.123456 [0 127.0.0.1:5555] "SET" "k" "v"`
        let (stamp, rest) = line.split_once(' ').unwrap();
        assert!(stamp.len() == 17 && stamp.as_bytes()[10] == b'.', "{line}");
        assert!(rest.starts_with("[0 127.0.0.1:"), "{line}");
        assert!(rest.ends_with(&format!("] {want}")), "{line}");
    }
}
