//! moat-server starts from the configuration files Redis users already
//! have: the distribution's stock `redis.conf`, and a file holding every
//! directive the reference server reports through `CONFIG GET *`, each at
//! the reference's value. Every directive must be honoured or accepted
//! with a logged warning; none may stop start-up.

use moat_resp::Frame;
use moat_testkit::{moat_server, reference, ServerBuilder};
use std::path::Path;

const STOCK_CONFIG: &str = "/etc/redis/redis.conf";

/// Directives whose reference value cannot be replayed on another process
/// as is, with why.
const NOT_REPLAYED: &[(&str, &str)] = &[
    ("port", "the test harness chooses the port"),
    ("bind", "the test harness binds loopback"),
    ("dir", "the test harness chooses the directory"),
    ("daemonize", "the test harness supervises the process"),
    ("logfile", "the test harness reads the log from stdout"),
    ("pidfile", "the reference's pid file belongs to it"),
    ("unixsocket", "a socket path is per process"),
    (
        "replicaof",
        "reported empty when unset; redis-server rejects `replicaof \"\"` too",
    ),
    ("slaveof", "alias of replicaof"),
];

/// Directives that take several arguments.
const MULTI_ARGUMENT: &[&str] = &[
    "save",
    "client-output-buffer-limit",
    "oom-score-adj-values",
    "latency-tracking-info-percentiles",
];

/// Redis's quoting for a config value: safe text as is, the rest in
/// double quotes with escapes.
fn quote(value: &[u8]) -> String {
    if !value.is_empty()
        && value
            .iter()
            .all(|b| b.is_ascii_graphic() && !b"\"'\\".contains(b))
    {
        return String::from_utf8_lossy(value).into_owned();
    }
    let mut out = String::from("\"");
    for &b in value {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b' '..=b'~' => out.push(char::from(b)),
            other => out.push_str(&format!("\\x{other:02x}")),
        }
    }
    out.push('"');
    out
}

#[test]
fn every_directive_the_reference_reports_is_accepted() {
    let Some(redis) = reference::redis_server() else {
        return;
    };
    let redis = ServerBuilder::new(redis).start().unwrap();
    let Frame::Array(items) = redis
        .client()
        .unwrap()
        .call(&["CONFIG", "GET", "*"])
        .unwrap()
    else {
        panic!("CONFIG GET * did not reply an array")
    };
    let mut text = String::new();
    let mut names = Vec::new();
    for pair in items.chunks(2) {
        let (Frame::Bulk(name), Frame::Bulk(value)) = (&pair[0], &pair[1]) else {
            panic!("{pair:?}")
        };
        let name = String::from_utf8_lossy(name).into_owned();
        if NOT_REPLAYED.iter().any(|(n, _)| *n == name) {
            continue;
        }
        // Multi-valued directives are reported space-separated and
        // accepted back the same way; every other value is one argument.
        let value = if MULTI_ARGUMENT.contains(&name.as_str()) {
            String::from_utf8_lossy(value).into_owned()
        } else {
            quote(value)
        };
        text.push_str(&format!("{name} {value}\n"));
        names.push(name);
    }
    assert!(
        names.len() > 150,
        "only {} directives reported",
        names.len()
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("everything.conf");
    std::fs::write(&path, &text).unwrap();
    let moat = moat_server(option_env!("CARGO_BIN_EXE_moat-server"))
        .config_file(&path)
        .start()
        .unwrap_or_else(|e| {
            panic!("moat refused a configuration the reference accepts: {e}\n{text}")
        });
    let mut client = moat.client().unwrap();
    assert_eq!(
        client.call(&["PING"]).unwrap(),
        Frame::Simple("PONG".into())
    );
    // Every replayed directive is now readable back.
    for name in &names {
        let reply = client.call(&["CONFIG", "GET", name]).unwrap();
        assert!(
            matches!(&reply, Frame::Array(v) if v.len() == 2),
            "CONFIG GET {name}: {reply:?}"
        );
    }
}

#[test]
fn the_stock_redis_conf_starts_moat() {
    if !Path::new(STOCK_CONFIG).is_file() {
        println!("SKIPPED: {STOCK_CONFIG} not found (install redis-server)");
        return;
    }
    // The stock file daemonizes and logs to /var/log; the command line
    // overrides those, as it would for redis-server.
    let moat = moat_server(option_env!("CARGO_BIN_EXE_moat-server"))
        .config_file(STOCK_CONFIG)
        .args(["--daemonize", "no", "--logfile", "", "--pidfile", ""])
        .start()
        .unwrap();
    let mut client = moat.client().unwrap();
    assert_eq!(
        client.call(&["PING"]).unwrap(),
        Frame::Simple("PONG".into())
    );
    let log = moat.log();
    assert!(log.contains("Configuration loaded"), "{log}");
    // Directives moat does not act on yet are named in the log, not ignored silently.
    assert!(
        log.contains("is accepted but not implemented by moat yet"),
        "{log}"
    );
    // ...and only those: directives moat honours are not among them.
    for honoured in [
        "appendonly",
        "appendfilename",
        "appenddirname",
        "aof-load-truncated",
        "notify-keyspace-events",
        "hash-max-listpack-entries",
        "set-max-intset-entries",
        "zset-max-listpack-value",
        "list-max-listpack-size",
        "stream-node-max-bytes",
        "latency-tracking",
        "maxmemory-policy",
    ] {
        assert!(
            !log.contains(&format!("'{honoured}' is accepted but not implemented")),
            "{honoured}: {log}"
        );
    }
}

#[test]
fn daemonize_detaches_and_the_pid_file_lives_as_long_as_the_server() {
    let Some(binary) = option_env!("CARGO_BIN_EXE_moat-server") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("moat.pid");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let status = std::process::Command::new(binary)
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--daemonize",
            "yes",
            "--save",
            "",
        ])
        .arg("--pidfile")
        .arg(&pid_file)
        .arg("--dir")
        .arg(dir.path())
        .status()
        .unwrap();
    // The parent returns at once; the daemon keeps serving.
    assert!(status.success());
    let mut client = None;
    for _ in 0..100 {
        if let Ok(c) = moat_testkit::Client::connect_port(port) {
            client = Some(c);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let mut client = client.expect("the daemon never answered");
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // Make sure the daemon goes away even if an assertion below fails.
    struct Kill(i32);
    impl Drop for Kill {
        fn drop(&mut self) {
            // SAFETY: signalling a pid this test started.
            unsafe { libc::kill(self.0, libc::SIGKILL) };
        }
    }
    let _guard = Kill(pid);
    assert_eq!(
        client.call(&["PING"]).unwrap(),
        Frame::Simple("PONG".into())
    );
    let _ = client.call(&["SHUTDOWN"]);
    for _ in 0..100 {
        if !pid_file.exists() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("the pid file outlived the server");
}
