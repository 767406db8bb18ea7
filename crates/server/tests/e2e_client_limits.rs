//! Abuse tests: one misbehaving client (or many idle ones) must not take
//! the server down, and everyone else keeps being served.

mod support;

use moat_resp::Frame;
use moat_testkit::{reference, Client, ServerBuilder, ServerProcess};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use support::{call, moat, ok};

fn pong(client: &mut Client) {
    assert_eq!(call(client, &["PING"]), Frame::Simple("PONG".into()));
}

fn info_field(client: &mut Client, section: &str, field: &str) -> u64 {
    let Frame::Bulk(text) = call(client, &["INFO", section]) else {
        panic!("INFO {section}")
    };
    let text = String::from_utf8_lossy(&text).into_owned();
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("{field} missing"))
        .trim()
        .parse()
        .unwrap()
}

/// Sends a bulk header of `declared` bytes and then data until the server
/// hangs up (or `max_bytes` were sent); returns what the server answered.
fn endless_bulk(server: &ServerProcess, declared: u64, max_bytes: usize) -> (Vec<u8>, usize) {
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let header = format!("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n${declared}\r\n");
    let mut sent = 0;
    if stream.write_all(header.as_bytes()).is_ok() {
        let chunk = vec![b'x'; 64 * 1024];
        while sent < max_bytes {
            match stream.write(&chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => sent += n,
            }
        }
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    (answer, sent)
}

#[test]
fn endless_bulk_is_cut_at_the_query_buffer_limit() {
    let server = moat()
        .args(["--client-query-buffer-limit", "1mb"])
        .start()
        .unwrap();
    let mut other = server.client().unwrap();
    let abuser = {
        let addr = server.addr();
        std::thread::spawn(move || {
            let server_addr = addr;
            let mut stream = TcpStream::connect(server_addr).unwrap();
            stream
                .set_write_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            stream
                .write_all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000000\r\n")
                .unwrap();
            let chunk = vec![b'x'; 64 * 1024];
            let mut sent = 0usize;
            while sent < 64 * 1024 * 1024 {
                match stream.write(&chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => sent += n,
                }
            }
            sent
        })
    };
    // Others are served while the abuser streams.
    for _ in 0..20 {
        pong(&mut other);
    }
    let sent = abuser.join().unwrap();
    assert!(
        sent < 16 * 1024 * 1024,
        "the server kept reading {sent} bytes past a 1mb query buffer limit"
    );
    pong(&mut other);
    assert_eq!(call(&mut other, &["EXISTS", "k"]), Frame::Integer(0));
    let log = server.log();
    assert!(
        log.contains("Closing client that reached max query buffer length: id=")
            && log.contains(
                "(qbuf initial bytes: \"*3\\r\\n$3\\r\\nSET\\r\\n$1\\r\\nk\\r\\n$100000000"
            ),
        "log: {log}"
    );
}

#[test]
fn bulk_longer_than_proto_max_bulk_len_is_refused_like_redis() {
    let args = ["--proto-max-bulk-len", "1mb"];
    let moat = moat().args(args).start().unwrap();
    // The length alone is refused, before any data.
    let (answer, _) = endless_bulk(&moat, 2 * 1024 * 1024, 0);
    assert_eq!(answer, b"-ERR Protocol error: invalid bulk length\r\n");
    pong(&mut moat.client().unwrap());
    if let Some(redis) = reference::redis_server() {
        let redis = ServerBuilder::new(redis).args(args).start().unwrap();
        let (expected, _) = endless_bulk(&redis, 2 * 1024 * 1024, 0);
        assert_eq!(answer, expected);
    }
}

#[test]
fn maxclients_rejects_the_eleventh_client() {
    let server = moat().args(["--maxclients", "10"]).start().unwrap();
    let mut clients: Vec<Client> = (0..10).map(|_| server.client().unwrap()).collect();
    for client in &mut clients {
        pong(client);
    }
    let mut eleventh = TcpStream::connect(server.addr()).unwrap();
    eleventh
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut answer = Vec::new();
    eleventh.read_to_end(&mut answer).unwrap();
    assert_eq!(answer, b"-ERR max number of clients reached\r\n");
    assert_eq!(
        info_field(&mut clients[0], "stats", "rejected_connections"),
        1
    );
    // A slot freed is a slot available.
    drop(clients.pop());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut again = server.client().unwrap();
        if again.call(&["PING"]).ok() == Some(Frame::Simple("PONG".into())) {
            break;
        }
        assert!(Instant::now() < deadline, "the freed slot never came back");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn idle_clients_are_closed_after_timeout_but_subscribers_stay() {
    const IDLE: usize = 2000;
    let server = moat().args(["--timeout", "1"]).start().unwrap();
    let mut idle: Vec<TcpStream> = (0..IDLE)
        .map(|_| TcpStream::connect(server.addr()).unwrap())
        .collect();
    let mut subscriber = server.client().unwrap();
    subscriber.call(&["SUBSCRIBE", "news"]).unwrap();
    // Every idle connection sees EOF within a few cron passes.
    let started = Instant::now();
    for stream in &mut idle {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut byte = [0u8; 1];
        match stream.read(&mut byte) {
            Ok(0) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            other => panic!("an idle client was not closed: {other:?}"),
        }
    }
    assert!(started.elapsed() < Duration::from_secs(8));
    let mut fresh = server.client().unwrap();
    pong(&mut fresh);
    ok(&mut fresh, &["SET", "still", "serving"]);
    // The subscriber was idle as long but is kept: it waits for messages.
    assert_eq!(
        call(&mut fresh, &["PUBLISH", "news", "hi"]),
        Frame::Integer(1)
    );
    let message = subscriber.read_frame().unwrap();
    assert_eq!(
        message,
        Frame::Array(vec![
            Frame::Bulk("message".into()),
            Frame::Bulk("news".into()),
            Frame::Bulk("hi".into())
        ])
    );
    // A client that keeps talking is not idle.
    let mut talker = server.client().unwrap();
    for _ in 0..6 {
        std::thread::sleep(Duration::from_millis(400));
        pong(&mut talker);
    }
}

/// Pipelines `count` GETs of a large value and never reads.
fn pipeline_without_reading(server: &ServerProcess, count: usize) -> TcpStream {
    let stream = TcpStream::connect(server.addr()).unwrap();
    let mut writer = stream.try_clone().unwrap();
    writer
        .set_write_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let request = b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n".repeat(count);
    // The server may stop reading (backpressure) or hang up: both fine.
    let _ = writer.write_all(&request);
    stream
}

fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    stream.set_read_timeout(Some(limit)).unwrap();
    let started = Instant::now();
    let mut sink = vec![0u8; 1 << 20];
    // Read slowly would count as reading: drain only after the server
    // had time to decide, then see whether the stream ends.
    std::thread::sleep(Duration::from_millis(300));
    loop {
        match stream.read(&mut sink) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
        if started.elapsed() > limit {
            return false;
        }
    }
}

#[test]
fn a_client_that_never_reads_is_bounded_without_a_limit() {
    let server = moat().start().unwrap();
    let mut admin = server.client().unwrap();
    let value = "v".repeat(1024 * 1024);
    ok(&mut admin, &["SET", "big", &value]);
    let baseline = info_field(&mut admin, "memory", "used_memory");
    // 500 MB of replies requested, none read.
    let _stuck = pipeline_without_reading(&server, 500);
    std::thread::sleep(Duration::from_millis(500));
    let held = info_field(&mut admin, "memory", "used_memory").saturating_sub(baseline);
    assert!(
        held < 32 * 1024 * 1024,
        "the server holds {held} bytes for a client that does not read"
    );
    pong(&mut admin);
}

#[test]
fn normal_class_hard_limit_closes_a_client_that_never_reads() {
    let server = moat()
        .args(["--client-output-buffer-limit", "normal", "2mb", "0", "0"])
        .start()
        .unwrap();
    let mut admin = server.client().unwrap();
    ok(&mut admin, &["SET", "big", &"v".repeat(512 * 1024)]);
    let mut stuck = pipeline_without_reading(&server, 400);
    assert!(closed_within(&mut stuck, Duration::from_secs(10)));
    assert_eq!(
        info_field(
            &mut admin,
            "stats",
            "client_output_buffer_limit_disconnections"
        ),
        1
    );
    assert!(server
        .log()
        .contains("scheduled to be closed ASAP for overcoming of output buffer limits."));
    pong(&mut admin);
    // A client that reads gets every reply, even past the limit in total.
    let mut reader = server.client().unwrap();
    for _ in 0..10 {
        assert!(
            matches!(call(&mut reader, &["GET", "big"]), Frame::Bulk(b) if b.len() == 512 * 1024)
        );
    }
}

#[test]
fn normal_class_soft_limit_closes_after_its_seconds() {
    let server = moat()
        .args(["--client-output-buffer-limit", "normal", "0", "1mb", "1"])
        .start()
        .unwrap();
    let mut admin = server.client().unwrap();
    ok(&mut admin, &["SET", "big", &"v".repeat(512 * 1024)]);
    let started = Instant::now();
    let mut stuck = pipeline_without_reading(&server, 100);
    // Give the soft limit its second before reading anything.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(closed_within(&mut stuck, Duration::from_secs(10)));
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(
        info_field(
            &mut admin,
            "stats",
            "client_output_buffer_limit_disconnections"
        ),
        1
    );
}

/// The kernel's view of the server's end of a connection (`ss -o`), or
/// `None` where `ss` is not installed.
fn server_socket_timers(server: &ServerProcess, client: &TcpStream) -> Option<String> {
    let filter = format!(
        "( sport = :{} and dport = :{} )",
        server.port(),
        client.local_addr().unwrap().port()
    );
    let out = std::process::Command::new("ss")
        .args(["-tnoH", "state", "established", &filter])
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn tcp_keepalive_is_set_on_accepted_sockets() {
    for (interval, expect_keepalive) in [("7", true), ("0", false)] {
        let server = moat().args(["--tcp-keepalive", interval]).start().unwrap();
        // A reply proves the server accepted (and configured) the socket.
        let mut probe = TcpStream::connect(server.addr()).unwrap();
        probe
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        probe.write_all(b"PING\r\n").unwrap();
        let mut pong_bytes = [0u8; 7];
        probe.read_exact(&mut pong_bytes).unwrap();
        assert_eq!(&pong_bytes, b"+PONG\r\n");
        let Some(line) = server_socket_timers(&server, &probe) else {
            eprintln!("ss is not installed: keepalive not checked");
            return;
        };
        assert!(!line.trim().is_empty(), "connection not found by ss");
        assert_eq!(
            line.contains("timer:(keepalive"),
            expect_keepalive,
            "tcp-keepalive {interval}: {line}"
        );
    }
}

/// Streams a bulk of `declared` bytes on a fresh connection until the
/// server hangs up or `max_bytes` were sent; returns the bytes sent.
fn stream_bulk(server: &ServerProcess, declared: u64, max_bytes: usize) -> usize {
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let header = format!("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n${declared}\r\n");
    stream.write_all(header.as_bytes()).unwrap();
    let chunk = vec![b'x'; 64 * 1024];
    let mut sent = 0;
    while sent < max_bytes {
        match stream.write(&chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => sent += n,
        }
        // Paced, so the cron sees the buffer grow.
        std::thread::sleep(Duration::from_millis(1));
    }
    sent
}

#[test]
fn maxmemory_clients_evicts_the_biggest_client() {
    let server = moat().args(["--maxmemory-clients", "2mb"]).start().unwrap();
    let mut others: Vec<Client> = (0..5).map(|_| server.client().unwrap()).collect();
    let sent = stream_bulk(&server, 100_000_000, 64 * 1024 * 1024);
    assert!(
        sent < 24 * 1024 * 1024,
        "a client kept {sent} bytes of query buffer under maxmemory-clients 2mb"
    );
    for client in &mut others {
        pong(client);
    }
    assert_eq!(info_field(&mut others[0], "stats", "evicted_clients"), 1);
    // CLIENT NO-EVICT protects a client, however big. Its memory still
    // counts in the total, so the others may go meanwhile, as in Redis.
    ok(&mut others[1], &["CONFIG", "SET", "maxmemory-clients", "0"]);
    let mut protected = server.client().unwrap();
    ok(&mut protected, &["CLIENT", "NO-EVICT", "on"]);
    ok(
        &mut others[1],
        &["CONFIG", "SET", "maxmemory-clients", "1mb"],
    );
    protected
        .send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\np\r\n$3000000\r\n")
        .unwrap();
    protected.send_raw(&vec![b'y'; 2_000_000]).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    protected.send_raw(&vec![b'y'; 1_000_000]).unwrap();
    protected.send_raw(b"\r\n").unwrap();
    assert_eq!(protected.read_frame().unwrap(), Frame::Simple("OK".into()));
    assert_eq!(
        call(&mut protected, &["STRLEN", "p"]),
        Frame::Integer(3_000_000)
    );
}

/// Raises this process's open-files limit to `wanted` if the system lets
/// it (root may raise the hard limit too); true when it holds.
fn raise_own_open_files_limit(wanted: u64) -> bool {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit read or write the struct they are given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return false;
        }
        if limit.rlim_cur >= wanted {
            return true;
        }
        let raised = libc::rlimit {
            rlim_cur: wanted,
            rlim_max: limit.rlim_max.max(wanted),
        };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
            return true;
        }
        let capped = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        libc::setrlimit(libc::RLIMIT_NOFILE, &capped) == 0 && limit.rlim_max >= wanted
    }
}

#[test]
fn ten_thousand_idle_connections_are_held_while_others_are_served() {
    const IDLE: usize = 10_000;
    if !raise_own_open_files_limit(IDLE as u64 + 500) {
        println!("SKIPPED: this process cannot open {IDLE} sockets (ulimit -n)");
        return;
    }
    let server = moat().args(["--maxclients", "10100"]).start().unwrap();
    let mut idle = Vec::with_capacity(IDLE);
    for _ in 0..IDLE {
        idle.push(TcpStream::connect(server.addr()).unwrap());
    }
    let mut client = server.client().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while info_field(&mut client, "clients", "connected_clients") < IDLE as u64 + 1 {
        assert!(
            Instant::now() < deadline,
            "the idle clients were not all accepted"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    pong(&mut client);
    ok(&mut client, &["SET", "k", "v"]);
    assert_eq!(call(&mut client, &["GET", "k"]), Frame::Bulk("v".into()));
    // A few of the idle ones, spread over the accept order, still answer.
    for stream in idle.iter_mut().step_by(997) {
        stream.write_all(b"PING\r\n").unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut reply = [0u8; 7];
        stream.read_exact(&mut reply).unwrap();
        assert_eq!(&reply, b"+PONG\r\n");
    }
    // An idle connection costs the server little: its session, no
    // buffers (Redis: about 13 KiB each, its reply buffer).
    let idle_memory = info_field(&mut client, "memory", "used_memory");
    assert!(
        idle_memory < (IDLE as u64) * 10 * 1024,
        "used_memory {idle_memory} with {IDLE} idle clients"
    );
    // Connections that were used and went idle release their buffers
    // again (after 2 s idle, at the next clients cron).
    for stream in idle.iter_mut().take(2000) {
        stream.write_all(b"PING\r\n").unwrap();
    }
    for stream in idle.iter_mut().take(2000) {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut reply = [0u8; 7];
        stream.read_exact(&mut reply).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let used = info_field(&mut client, "memory", "used_memory");
        if used <= idle_memory + 2000 * 1024 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "used buffers not released: {used} vs {idle_memory} before"
        );
    }
    drop(idle);
    let deadline = Instant::now() + Duration::from_secs(20);
    while info_field(&mut client, "clients", "connected_clients") > 1 {
        assert!(
            Instant::now() < deadline,
            "closed clients were not released"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn maxclients_is_reduced_to_what_the_open_files_limit_allows() {
    // More clients than the system grants descriptors (fs.nr_open bounds
    // even root's limit): the server starts anyway,
    // with maxclients lowered to its open-files limit minus the 32 it
    // keeps for itself, and says so in Redis's words.
    let Some(binary) = option_env!("CARGO_BIN_EXE_moat-server") else {
        return;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let nr_open: u64 = std::fs::read_to_string("/proc/sys/fs/nr_open")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let requested = nr_open + 1000;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("moat.log");
    let mut child = std::process::Command::new(binary)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--maxclients", &requested.to_string(), "--logfile"])
        .arg(&log)
        .arg("--dir")
        .arg(dir.path())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut client = loop {
        if let Ok(client) = Client::connect_port(port) {
            break client;
        }
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    };
    let reply = call(&mut client, &["CONFIG", "GET", "maxclients"]);
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let soft: u64 = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok())
        .unwrap();
    let expected = (soft - 32).to_string();
    assert_eq!(
        reply,
        Frame::Array(vec![
            Frame::Bulk("maxclients".into()),
            Frame::Bulk(expected.clone().into())
        ])
    );
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.contains(&format!(
            "You requested maxclients of {requested} requiring at least {} max file descriptors.",
            requested + 32
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "maxclients has been reduced to {expected} to compensate for low ulimit."
        )),
        "{log}"
    );
}
