//! The append-only file against the built binary: what is propagated,
//! crash safety (SIGKILL at random moments, zero acknowledged writes
//! lost), truncated files, rewrites under load, and directories that
//! moat and redis-server 7.0 read from each other.

mod support;

use moat_resp::Frame;
use moat_testkit::{Client, ServerBuilder, ServerProcess};
use rand::Rng;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::*;

fn aof_server(fsync: &str, extra: &[&str]) -> ServerProcess {
    let mut args = vec!["--appendonly", "yes", "--appendfsync", fsync];
    args.extend_from_slice(extra);
    moat().args(args).start().unwrap()
}

/// Every command of every file the manifest lists, as text words. An
/// RDB base (`aof-use-rdb-preamble yes`, the default) holds no commands.
fn logged_commands(dir: &Path) -> Vec<Vec<String>> {
    let manifest = std::fs::read_to_string(dir.join("appendonly.aof.manifest")).unwrap();
    let mut out = Vec::new();
    for line in manifest.lines() {
        let words: Vec<&str> = line.split(' ').collect();
        if words.get(5) == Some(&"h") {
            continue;
        }
        let data = std::fs::read(dir.join(words[1])).unwrap();
        if data.starts_with(b"REDIS") {
            continue;
        }
        out.extend(parse_commands(&data));
    }
    out
}

fn parse_commands(data: &[u8]) -> Vec<Vec<String>> {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split("\r\n");
    let mut out = Vec::new();
    while let Some(line) = lines.next() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let argc: usize = line[1..].parse().unwrap();
        let argv = (0..argc)
            .map(|_| {
                lines.next().unwrap();
                lines.next().unwrap().to_string()
            })
            .collect();
        out.push(argv);
    }
    out
}

fn int(frame: Frame) -> i64 {
    match frame {
        Frame::Integer(n) => n,
        Frame::Bulk(b) => String::from_utf8_lossy(&b).parse().unwrap(),
        Frame::Null => 0,
        other => panic!("not a number: {other:?}"),
    }
}

/// The whole dataset as comparable lines: db, key, type, value, and
/// whether it has a TTL.
fn dump(client: &mut Client) -> Vec<String> {
    let mut lines = Vec::new();
    for db in 0..16 {
        ok(client, &["SELECT", &db.to_string()]);
        let Frame::Array(keys) = call(client, &["KEYS", "*"]) else {
            panic!("KEYS")
        };
        for key in keys.iter().map(text) {
            let kind = text(&call(client, &["TYPE", &key]));
            let value = match kind.as_str() {
                "string" => text(&call(client, &["GET", &key])),
                "hash" => sorted(call(client, &["HGETALL", &key])),
                "set" => sorted(call(client, &["SMEMBERS", &key])),
                other => panic!("type {other}"),
            };
            let ttl = int(call(client, &["PTTL", &key])) > 0;
            lines.push(format!("{db} {key} {kind} {value} ttl={ttl}"));
        }
    }
    ok(client, &["SELECT", "0"]);
    lines.sort();
    lines
}

fn sorted(frame: Frame) -> String {
    let mut items: Vec<String> = match frame {
        Frame::Array(items) | Frame::Set(items) => items.iter().map(text).collect(),
        Frame::Map(pairs) => pairs.iter().flat_map(|(k, v)| [text(k), text(v)]).collect(),
        other => panic!("{other:?}"),
    };
    items.sort();
    items.join(",")
}

/// A mixed dataset: strings, hashes, sets, TTLs, two databases.
fn write_mixed(client: &mut Client, prefix: &str) {
    for i in 0..50 {
        ok(client, &["SET", &format!("{prefix}s{i}"), &format!("v{i}")]);
    }
    for i in 0..10 {
        call(
            client,
            &[
                "HSET",
                &format!("{prefix}h{i}"),
                "a",
                "1",
                "b",
                &i.to_string(),
            ],
        );
        call(
            client,
            &["SADD", &format!("{prefix}set{i}"), "x", "y", &i.to_string()],
        );
    }
    call(client, &["SADD", &format!("{prefix}ints"), "1", "2", "3"]);
    let big: Vec<String> = (0..200).map(|i| format!("m{i}")).collect();
    let mut sadd = vec!["SADD".to_string(), format!("{prefix}bigset")];
    sadd.extend(big);
    let sadd: Vec<&str> = sadd.iter().map(String::as_str).collect();
    call(client, &sadd);
    ok(client, &["SET", &format!("{prefix}ttl"), "v", "EX", "1000"]);
    call(client, &["EXPIRE", &format!("{prefix}s1"), "5000"]);
    call(client, &["INCRBYFLOAT", &format!("{prefix}float"), "1.25"]);
    call(
        client,
        &["HINCRBYFLOAT", &format!("{prefix}h1"), "f", "0.5"],
    );
    ok(client, &["SELECT", "3"]);
    ok(client, &["SET", &format!("{prefix}in3"), "three"]);
    ok(client, &["SELECT", "0"]);
}

#[test]
fn commands_are_logged_in_replayable_form() {
    let mut server = aof_server("always", &[]);
    let mut c = server.client().unwrap();
    ok(&mut c, &["SET", "plain", "1"]);
    ok(&mut c, &["SET", "ex", "v", "EX", "100"]);
    ok(&mut c, &["SETEX", "setex", "100", "v"]);
    assert_eq!(int(call(&mut c, &["EXPIRE", "plain", "100"])), 1);
    assert_eq!(text(&call(&mut c, &["INCRBYFLOAT", "f", "2.5"])), "2.5");
    call(&mut c, &["SADD", "s", "a", "b", "c"]);
    let popped = text(&call(&mut c, &["SPOP", "s"]));
    call(&mut c, &["GETEX", "ex", "PERSIST"]);
    ok(&mut c, &["SET", "gone", "x"]);
    call(&mut c, &["GETDEL", "gone"]);
    call(&mut c, &["GET", "plain"]);
    call(&mut c, &["SET", "missing", "x", "XX"]);
    ok(&mut c, &["MULTI"]);
    call(&mut c, &["INCR", "n"]);
    call(&mut c, &["INCR", "n"]);
    call(&mut c, &["EXEC"]);
    ok(&mut c, &["SELECT", "5"]);
    ok(&mut c, &["SET", "k5", "v"]);
    let words = logged_commands(&aof_dir(&server));
    let names: Vec<String> = words.iter().map(|w| w[0].to_ascii_uppercase()).collect();
    assert!(!names.contains(&"GET".to_string()), "{names:?}");
    let find = |key: &str| -> Vec<String> {
        words
            .iter()
            .find(|w| w.get(1).map(String::as_str) == Some(key) && w[0] != "SELECT")
            .unwrap_or_else(|| panic!("{key} not logged: {words:?}"))
            .clone()
    };
    assert_eq!(find("ex")[3], "PXAT");
    assert_eq!(find("setex")[0], "SET");
    assert_eq!(find("setex")[3], "PXAT");
    assert!(words.iter().any(|w| w[0] == "PEXPIREAT" && w[1] == "plain"));
    assert_eq!(find("f"), ["SET", "f", "2.5", "KEEPTTL"]);
    assert!(words.iter().any(|w| w == &["SREM", "s", popped.as_str()]));
    assert!(words.iter().any(|w| w == &["PERSIST", "ex"]));
    assert!(words.iter().any(|w| w == &["DEL", "gone"]));
    assert!(!words
        .iter()
        .any(|w| w.get(1).map(String::as_str) == Some("missing")));
    let multi = names.iter().position(|n| n == "MULTI").unwrap();
    assert_eq!(names[multi + 1..multi + 4], ["INCR", "INCR", "EXEC"]);
    let select5 = words.iter().position(|w| w == &["SELECT", "5"]).unwrap();
    assert_eq!(words[select5 + 1][1], "k5");
    let before = dump(&mut c);
    drop(c);
    server.kill().unwrap();
    server.restart().unwrap();
    let mut c = server.client().unwrap();
    assert_eq!(dump(&mut c), before);
}

#[test]
fn expired_keys_are_logged_as_deletions() {
    let server = aof_server("always", &[]);
    let mut c = server.client().unwrap();
    ok(&mut c, &["SET", "lazy", "v", "PX", "30"]);
    ok(&mut c, &["SET", "active", "v", "PX", "30"]);
    std::thread::sleep(Duration::from_millis(60));
    assert_eq!(call(&mut c, &["GET", "lazy"]), Frame::Null);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        // The everysec tick writes what the expiry cycle fed.
        let words = logged_commands(&aof_dir(&server));
        let deleted = |key: &str| words.iter().any(|w| w[0] == "DEL" && w[1] == key);
        if deleted("lazy") && deleted("active") {
            // The read that found the key expired is not logged.
            assert!(
                !words.iter().any(|w| w[0].eq_ignore_ascii_case("get")),
                "{words:?}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "{words:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// What the writers know: per thread, the last index acknowledged.
struct Writers {
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<i64>>>,
    handles: Vec<std::thread::JoinHandle<()>>,
}

/// `threads` clients each SET `t<n>:<i>` and INCR `c<n>` in turn,
/// starting after what they already wrote, until the server goes away.
fn start_writers(server: &ServerProcess, threads: usize, acked: Vec<i64>) -> Writers {
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(acked));
    let handles = (0..threads)
        .map(|n| {
            let mut client = server.client().unwrap();
            let (stop, acked) = (stop.clone(), acked.clone());
            std::thread::spawn(move || {
                let mut i = acked.lock().unwrap()[n] + 1;
                while !stop.load(Ordering::Relaxed) {
                    let set = client.call(&["SET", &format!("t{n}:{i}"), &i.to_string()]);
                    let incr = client.call(&["INCR", &format!("c{n}")]);
                    match (set, incr) {
                        (Ok(Frame::Simple(_)), Ok(Frame::Integer(_))) => {
                            acked.lock().unwrap()[n] = i;
                            i += 1;
                        }
                        _ => return,
                    }
                }
            })
        })
        .collect();
    Writers {
        stop,
        acked,
        handles,
    }
}

impl Writers {
    fn finish(self) -> Vec<i64> {
        self.stop.store(true, Ordering::Relaxed);
        for handle in self.handles {
            handle.join().unwrap();
        }
        let acked = self.acked.lock().unwrap().clone();
        acked
    }
}

/// Every acknowledged write is there; returns how many writes past the
/// acknowledged ones made it too (replies lost with the process).
fn check_acknowledged(client: &mut Client, acked: &[i64]) -> usize {
    let mut extra = 0;
    for (n, &last) in acked.iter().enumerate() {
        if last < 0 {
            continue;
        }
        let counter = int(call(client, &["GET", &format!("c{n}")]));
        assert!(
            counter > last,
            "thread {n}: counter {counter}, acknowledged {last}"
        );
        for i in [0, last / 2, last] {
            let value = call(client, &["GET", &format!("t{n}:{i}")]);
            assert_eq!(text(&value), i.to_string(), "thread {n} write {i} lost");
        }
        extra += (counter - last - 1) as usize;
    }
    extra
}

fn crash_rounds(fsync: &str, kills: usize) -> (usize, usize) {
    let threads = 4;
    let mut server = aof_server(fsync, &[]);
    let mut acked = vec![-1; threads];
    let mut rng = rand::thread_rng();
    let mut total_acked = 0;
    let mut in_flight = 0;
    for _ in 0..kills {
        let writers = start_writers(&server, threads, acked.clone());
        std::thread::sleep(Duration::from_millis(rng.gen_range(50..300)));
        server.kill().unwrap();
        acked = writers.finish();
        server.restart().unwrap();
        let mut client = server.client().unwrap();
        in_flight += check_acknowledged(&mut client, &acked);
        // Writes past the acknowledged ones are fine; the counters the
        // next round continues from are what the server has.
        for (n, last) in acked.iter_mut().enumerate() {
            let counter = int(call(&mut client, &["GET", &format!("c{n}")]));
            *last = counter - 1;
        }
        total_acked = acked.iter().map(|a| (a + 1) as usize).sum();
    }
    (total_acked, in_flight)
}

#[test]
fn always_loses_no_acknowledged_write_across_kills() {
    let (writes, in_flight) = crash_rounds("always", 20);
    assert!(writes > 100, "too few writes to mean anything: {writes}");
    eprintln!("appendfsync always: {writes} writes, 20 kills, 0 acknowledged writes lost, {in_flight} unacknowledged ones kept");
}

#[test]
fn everysec_loses_nothing_to_a_process_crash() {
    // The incr file is written before each reply, so a killed process
    // (not a killed machine) loses nothing even between fsyncs; only
    // the kernel's copy is at most a second ahead of the disk.
    let (writes, _) = crash_rounds("everysec", 8);
    eprintln!(
        "appendfsync everysec: {writes} writes, 8 kills, 0 seconds of acknowledged writes lost"
    );
}

/// Builds a directory with `n` SETs in the incr file, stops the server
/// and returns the incr file's bytes and where each command ends.
fn written_incr(n: usize) -> (ServerProcess, PathBuf, Vec<u8>, Vec<usize>) {
    let mut server = aof_server("always", &[]);
    let mut c = server.client().unwrap();
    for i in 0..n {
        ok(&mut c, &["SET", &format!("k{i}"), &"x".repeat(i % 7)]);
    }
    drop(c);
    server.stop().unwrap();
    let incr = aof_dir(&server).join("appendonly.aof.1.incr.aof");
    let data = std::fs::read(&incr).unwrap();
    let mut ends = Vec::new();
    let mut pos = 0;
    // Cumulative end offsets, from the command texts themselves.
    for command in parse_commands(&data) {
        let mut encoded = format!("*{}\r\n", command.len());
        for arg in &command {
            encoded.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        pos += encoded.len();
        ends.push(pos);
    }
    assert_eq!(pos, data.len());
    (server, incr, data, ends)
}

#[test]
fn truncated_tail_loads_with_a_warning_or_refuses_to_start() {
    let (mut server, incr, data, ends) = written_incr(40);
    let mut rng = rand::thread_rng();
    for _ in 0..8 {
        let cut = rng.gen_range(1..data.len());
        if ends.contains(&cut) {
            // A cut between commands is no truncation at all.
            continue;
        }
        // The first command is the SELECT.
        let complete_sets = ends
            .iter()
            .filter(|&&end| end <= cut)
            .count()
            .saturating_sub(1);
        std::fs::write(&incr, &data[..cut]).unwrap();

        let refused = run_to_exit(
            &binary(),
            &[
                "--port",
                "0",
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--aof-load-truncated",
                "no",
                "--dir",
                server.dir().to_str().unwrap(),
            ],
            server.dir(),
        );
        assert_eq!(refused.code, Some(1), "cut {cut}: {}", refused.output());
        assert!(
            refused.output().contains(
                "Unexpected end of file reading the append only file appendonly.aof.1.incr.aof"
            ),
            "{}",
            refused.output()
        );
        assert_eq!(
            std::fs::read(&incr).unwrap().len(),
            cut,
            "refusal changed the file"
        );

        server.restart().unwrap();
        let mut c = server.client().unwrap();
        assert_eq!(
            int(call(&mut c, &["DBSIZE"])),
            complete_sets as i64,
            "cut {cut}"
        );
        assert!(server.log().contains(
            "!!! Warning: short read while loading the AOF file appendonly.aof.1.incr.aof!!!"
        ));
        assert!(server.log().contains(
            "AOF appendonly.aof.1.incr.aof loaded anyway because aof-load-truncated is enabled"
        ));
        // The tail was cut off: appends now follow a whole command.
        ok(&mut c, &["SET", "after", "cut"]);
        drop(c);
        server.kill().unwrap();
        server.restart().unwrap();
        let mut c = server.client().unwrap();
        assert_eq!(text(&call(&mut c, &["GET", "after"])), "cut");
        drop(c);
        server.stop().unwrap();
    }
}

#[test]
fn garbage_in_the_file_refuses_to_start() {
    let (server, incr, mut data, _) = written_incr(5);
    data.extend_from_slice(b"SET x y\r\n*1\r\n$4\r\nPING\r\n");
    std::fs::write(&incr, &data).unwrap();
    let exit = start_must_fail(
        server.dir(),
        &[
            "--appendonly",
            "yes",
            "--dir",
            server.dir().to_str().unwrap(),
        ],
    );
    assert!(
        exit.output()
            .contains("Bad file format reading the append only file appendonly.aof.1.incr.aof"),
        "{}",
        exit.output()
    );
}

#[test]
fn rewrite_under_write_load_keeps_every_write() {
    let mut server = aof_server("everysec", &[]);
    let mut setup = server.client().unwrap();
    write_mixed(&mut setup, "pre:");
    let writers = start_writers(&server, 3, vec![-1; 3]);
    for _ in 0..4 {
        std::thread::sleep(Duration::from_millis(150));
        let reply = call(&mut setup, &["BGREWRITEAOF"]);
        assert_eq!(
            text(&reply),
            "Background append only file rewriting started"
        );
        wait_for_rewrite(&mut setup);
    }
    std::thread::sleep(Duration::from_millis(100));
    let acked = writers.finish();
    let before = dump(&mut setup);
    let info = text(&call(&mut setup, &["INFO", "persistence"]));
    assert!(info.contains("aof_rewrites:4"), "{info}");
    drop(setup);
    server.kill().unwrap();
    server.restart().unwrap();
    let mut c = server.client().unwrap();
    check_acknowledged(&mut c, &acked);
    assert_eq!(dump(&mut c), before);
    // One base, one incr, no history left behind.
    let manifest =
        std::fs::read_to_string(aof_dir(&server).join("appendonly.aof.manifest")).unwrap();
    assert_eq!(manifest.lines().count(), 2, "{manifest}");
    assert!(
        manifest.starts_with("file appendonly.aof.5.base.rdb seq 5 type b\n"),
        "{manifest}"
    );
    let files = std::fs::read_dir(aof_dir(&server)).unwrap().count();
    assert_eq!(files, 3);
}

fn wait_for_rewrite(client: &mut Client) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while text(&call(client, &["INFO", "persistence"])).contains("aof_rewrite_in_progress:1") {
        assert!(Instant::now() < deadline, "rewrite never finished");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn auto_rewrite_triggers_on_growth() {
    let server = aof_server(
        "no",
        &[
            "--auto-aof-rewrite-min-size",
            "20000",
            "--auto-aof-rewrite-percentage",
            "50",
        ],
    );
    let mut c = server.client().unwrap();
    for i in 0..400 {
        ok(&mut c, &["SET", &format!("key:{i}"), &"v".repeat(60)]);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info = text(&call(&mut c, &["INFO", "persistence"]));
        if !info.contains("aof_rewrites:0") && info.contains("aof_rewrite_in_progress:0") {
            break;
        }
        assert!(Instant::now() < deadline, "no automatic rewrite: {info}");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(server.log().contains("Starting automatic rewriting of AOF"));
}

#[test]
fn config_set_appendonly_yes_starts_with_a_rewrite() {
    let mut server = moat().start().unwrap();
    let mut c = server.client().unwrap();
    write_mixed(&mut c, "before:");
    ok(&mut c, &["CONFIG", "SET", "appendonly", "yes"]);
    write_mixed(&mut c, "after:");
    wait_for_rewrite(&mut c);
    let before = dump(&mut c);
    drop(c);
    server.kill().unwrap();
    let dir = server.dir().to_path_buf();
    let mut restarted = moat()
        .args(["--appendonly", "yes", "--dir", dir.to_str().unwrap()])
        .start()
        .unwrap();
    let mut c = restarted.client().unwrap();
    assert_eq!(dump(&mut c), before);
    ok(&mut c, &["CONFIG", "SET", "appendonly", "no"]);
    ok(&mut c, &["SET", "not-logged", "1"]);
    drop(c);
    restarted.stop().unwrap();
    let words = logged_commands(&dir.join("appendonlydir"));
    assert!(!words
        .iter()
        .any(|w| w.get(1).map(String::as_str) == Some("not-logged")));
}

#[test]
fn timestamp_annotations_are_written_and_read() {
    let mut server = aof_server("always", &["--aof-timestamp-enabled", "yes"]);
    let mut c = server.client().unwrap();
    ok(&mut c, &["SET", "a", "1"]);
    drop(c);
    server.kill().unwrap();
    let incr = std::fs::read_to_string(aof_dir(&server).join("appendonly.aof.1.incr.aof")).unwrap();
    assert!(incr.starts_with("#TS:"), "{incr}");
    server.restart().unwrap();
    let mut c = server.client().unwrap();
    assert_eq!(text(&call(&mut c, &["GET", "a"])), "1");
}

#[test]
fn redis_reads_a_directory_moat_wrote() {
    let Some(redis) = moat_testkit::reference::redis_server() else {
        return;
    };
    let mut server = aof_server("everysec", &[]);
    let mut c = server.client().unwrap();
    write_mixed(&mut c, "base:");
    text(&call(&mut c, &["BGREWRITEAOF"]));
    wait_for_rewrite(&mut c);
    write_mixed(&mut c, "incr:");
    call(&mut c, &["SPOP", "base:bigset", "5"]);
    let expected = dump(&mut c);
    drop(c);
    server.stop().unwrap();
    let reference = ServerBuilder::new(redis)
        .args([
            "--appendonly",
            "yes",
            "--dir",
            server.dir().to_str().unwrap(),
        ])
        .start()
        .unwrap();
    let mut r = reference.client().unwrap();
    assert_eq!(dump(&mut r), expected);
}

#[test]
fn moat_reads_a_directory_redis_wrote() {
    let Some(redis) = moat_testkit::reference::redis_server() else {
        return;
    };
    let mut reference = ServerBuilder::new(redis)
        .args([
            "--appendonly",
            "yes",
            "--aof-use-rdb-preamble",
            "no",
            "--appendfsync",
            "always",
        ])
        .start()
        .unwrap();
    let mut r = reference.client().unwrap();
    write_mixed(&mut r, "base:");
    text(&call(&mut r, &["BGREWRITEAOF"]));
    wait_for_rewrite(&mut r);
    write_mixed(&mut r, "incr:");
    ok(&mut r, &["MULTI"]);
    call(&mut r, &["INCR", "counter"]);
    call(&mut r, &["SPOP", "base:bigset"]);
    call(&mut r, &["EXEC"]);
    let expected = dump(&mut r);
    drop(r);
    reference.stop().unwrap();
    let server = moat()
        .args([
            "--appendonly",
            "yes",
            "--dir",
            reference.dir().to_str().unwrap(),
        ])
        .start()
        .unwrap();
    let mut c = server.client().unwrap();
    assert_eq!(dump(&mut c), expected);
    // moat keeps appending to Redis's last incr file.
    ok(&mut c, &["SET", "from-moat", "1"]);
    let manifest = std::fs::read_to_string(
        reference
            .dir()
            .join("appendonlydir/appendonly.aof.manifest"),
    )
    .unwrap();
    assert!(
        manifest.contains("type b") && manifest.contains("type i"),
        "{manifest}"
    );
}

#[test]
fn a_single_file_aof_is_moved_into_the_directory() {
    let mut server = moat().start().unwrap();
    server.stop().unwrap();
    std::fs::write(
        server.dir().join("appendonly.aof"),
        "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$3\r\nold\r\n$5\r\nstyle\r\n",
    )
    .unwrap();
    let restarted = moat()
        .args([
            "--appendonly",
            "yes",
            "--dir",
            server.dir().to_str().unwrap(),
        ])
        .start()
        .unwrap();
    let mut c = restarted.client().unwrap();
    assert_eq!(text(&call(&mut c, &["GET", "old"])), "style");
    let dir = server.dir().join("appendonlydir");
    let manifest = std::fs::read_to_string(dir.join("appendonly.aof.manifest")).unwrap();
    assert_eq!(
        manifest,
        "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    assert!(!server.dir().join("appendonly.aof").exists());
    assert!(restarted
        .log()
        .contains("Successfully migrated an old-style AOF into the AOF directory"));
}

#[test]
fn turning_the_aof_on_again_never_replays_a_past_run() {
    let mut first = aof_server("always", &[]);
    let mut c = first.client().unwrap();
    ok(&mut c, &["SET", "stale", "old"]);
    drop(c);
    first.stop().unwrap();
    let dir = first.dir().to_str().unwrap().to_string();
    let mut off = moat().args(["--dir", &dir]).start().unwrap();
    let mut c = off.client().unwrap();
    ok(&mut c, &["SET", "fresh", "1"]);
    ok(&mut c, &["CONFIG", "SET", "appendonly", "yes"]);
    ok(&mut c, &["SET", "after", "1"]);
    drop(c);
    // Killed whether or not the rewrite finished.
    off.kill().unwrap();
    let on = moat()
        .args(["--appendonly", "yes", "--dir", &dir])
        .start()
        .unwrap();
    let mut c = on.client().unwrap();
    assert_eq!(call(&mut c, &["GET", "stale"]), Frame::Null);
    assert_eq!(text(&call(&mut c, &["GET", "after"])), "1");
}

/// Every value type survives a rewrite (its base is rebuilt from the
/// keyspace) and a restart; the list, sorted set and stream also load in
/// redis-server 7.0.15 from the same directory.
#[test]
fn every_type_survives_a_rewrite_and_a_restart() {
    let mut server = aof_server("everysec", &[]);
    let mut c = server.client().unwrap();
    let big: Vec<String> = (0..300).map(|i| format!("e{i}")).collect();
    let mut rpush = vec!["RPUSH", "list"];
    rpush.extend(big.iter().map(String::as_str));
    call(&mut c, &rpush);
    call(
        &mut c,
        &[
            "ZADD", "zset", "1.5", "a", "-inf", "b", "inf", "c", "0.1", "d",
        ],
    );
    call(&mut c, &["XADD", "stream", "1-1", "f", "v"]);
    call(&mut c, &["XADD", "stream", "2-1", "g", "w"]);
    call(&mut c, &["XDEL", "stream", "2-1"]);
    call(&mut c, &["XGROUP", "CREATE", "stream", "grp", "0"]);
    call(
        &mut c,
        &[
            "XREADGROUP",
            "GROUP",
            "grp",
            "alice",
            "COUNT",
            "1",
            "STREAMS",
            "stream",
            ">",
        ],
    );
    call(
        &mut c,
        &["XGROUP", "CREATECONSUMER", "stream", "grp", "bob"],
    );
    call(&mut c, &["XADD", "empty", "5-5", "x", "y"]);
    call(&mut c, &["XDEL", "empty", "5-5"]);
    call(
        &mut c,
        &[
            "JSON.SET",
            "doc",
            "$",
            r#"{"a":[1,2.5,"x"],"b":{"c":null,"d":true}}"#,
        ],
    );
    let probes: Vec<Vec<&str>> = vec![
        vec!["LRANGE", "list", "0", "-1"],
        vec!["ZRANGE", "zset", "0", "-1", "WITHSCORES"],
        vec!["XRANGE", "stream", "-", "+"],
        vec!["XINFO", "GROUPS", "stream"],
        vec!["XPENDING", "stream", "grp"],
        vec!["XINFO", "STREAM", "empty"],
        vec!["JSON.GET", "doc", "$"],
    ];
    let snapshot = |c: &mut Client| -> Vec<String> {
        probes.iter().map(|p| format!("{:?}", call(c, p))).collect()
    };
    let before = snapshot(&mut c);
    text(&call(&mut c, &["BGREWRITEAOF"]));
    wait_for_rewrite(&mut c);
    drop(c);
    server.restart().unwrap();
    let mut c = server.client().unwrap();
    assert_eq!(snapshot(&mut c), before);
    let Some(redis) = moat_testkit::reference::redis_server() else {
        return;
    };
    drop(c);
    server.stop().unwrap();
    // Redis has no JSON module: leave the document out of its directory.
    let reference_dir = tempfile::tempdir().unwrap();
    let mut server = aof_server("everysec", &[]);
    let mut c = server.client().unwrap();
    call(&mut c, &rpush);
    call(
        &mut c,
        &[
            "ZADD", "zset", "1.5", "a", "-inf", "b", "inf", "c", "0.25", "d",
        ],
    );
    call(&mut c, &["XADD", "stream", "1-1", "f", "v"]);
    call(&mut c, &["XGROUP", "CREATE", "stream", "grp", "0"]);
    call(
        &mut c,
        &[
            "XREADGROUP",
            "GROUP",
            "grp",
            "alice",
            "COUNT",
            "1",
            "STREAMS",
            "stream",
            ">",
        ],
    );
    text(&call(&mut c, &["BGREWRITEAOF"]));
    wait_for_rewrite(&mut c);
    let expected: Vec<String> = probes[..3]
        .iter()
        .map(|p| format!("{:?}", call(&mut c, p)))
        .collect();
    drop(c);
    server.stop().unwrap();
    copy_dir(
        &aof_dir(&server),
        &reference_dir.path().join("appendonlydir"),
    );
    let reference = ServerBuilder::new(redis)
        .args([
            "--appendonly",
            "yes",
            "--dir",
            reference_dir.path().to_str().unwrap(),
        ])
        .start()
        .unwrap();
    let mut r = reference.client().unwrap();
    let got: Vec<String> = probes[..3]
        .iter()
        .map(|p| format!("{:?}", call(&mut r, p)))
        .collect();
    assert_eq!(got, expected);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// FLUSHALL (a session handler, not a data handler) reaches the AOF too,
/// so a restart does not bring flushed keys back.
#[test]
fn flushall_is_logged_and_replayed() {
    let mut server = aof_server("always", &[]);
    let mut c = server.client().unwrap();
    call(&mut c, &["SET", "gone", "1"]);
    call(&mut c, &["FLUSHALL"]);
    call(&mut c, &["SET", "kept", "2"]);
    let logged = logged_commands(&aof_dir(&server));
    assert!(
        logged
            .iter()
            .any(|argv| argv[0].eq_ignore_ascii_case("flushall")),
        "{logged:?}"
    );
    drop(c);
    server.restart().unwrap();
    let mut c = server.client().unwrap();
    assert_eq!(call(&mut c, &["EXISTS", "gone"]), Frame::Integer(0));
    assert_eq!(call(&mut c, &["GET", "kept"]), Frame::Bulk("2".into()));
}

/// The commands a restart replays from the AOF are counted nowhere, as
/// Redis's loader runs them without `call()`.
fn replayed_commands_are_not_counted(builder: ServerBuilder) {
    let mut server = builder
        .args(["--appendonly", "yes", "--appendfsync", "always"])
        .start()
        .unwrap();
    let mut c = server.client().unwrap();
    for i in 0..5 {
        c.call(&["SET", &format!("k{i}"), "v"]).unwrap();
    }
    c.call(&["INCR", "n"]).unwrap();
    drop(c);
    server.kill().unwrap();
    server.restart().unwrap();
    let mut c = server.client().unwrap();
    assert_eq!(c.call(&["DBSIZE"]).unwrap(), Frame::Integer(6));
    let Frame::Bulk(stats) = c.call(&["INFO", "commandstats"]).unwrap() else {
        panic!("INFO is a bulk string");
    };
    let stats = String::from_utf8_lossy(&stats).into_owned();
    assert!(!stats.contains("cmdstat_set:"), "{stats}");
    assert!(!stats.contains("cmdstat_incr:"), "{stats}");
    assert!(stats.contains("cmdstat_dbsize:calls=1,"), "{stats}");
}

#[test]
fn replayed_commands_count_nowhere() {
    replayed_commands_are_not_counted(moat());
    if let Some(redis) = moat_testkit::reference::redis_server() {
        replayed_commands_are_not_counted(ServerBuilder::new(redis));
    }
}
