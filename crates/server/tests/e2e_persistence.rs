//! RDB files move between the reference redis-server and moat in both
//! directions with the same data, a corrupt or truncated file stops
//! moat's start-up with a clear message, and SAVE, BGSAVE, DEBUG RELOAD
//! and the shutdown save behave as Redis's.

use moat_resp::Frame;
use moat_testkit::{moat_server, reference, Client, ServerProcess};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

const MOAT: Option<&str> = option_env!("CARGO_BIN_EXE_moat-server");

fn call(c: &mut Client, args: &[&str]) -> Frame {
    c.call(args).expect("server answers")
}

fn text(frame: &Frame) -> String {
    match frame {
        Frame::Bulk(b) | Frame::Simple(b) => String::from_utf8_lossy(b).into_owned(),
        Frame::Integer(n) => n.to_string(),
        other => format!("{other:?}"),
    }
}

fn sorted_items(frame: Frame) -> Vec<String> {
    let mut items: Vec<String> = match frame {
        Frame::Array(items) | Frame::Set(items) => items.iter().map(text).collect(),
        other => vec![format!("{other:?}")],
    };
    items.sort();
    items
}

/// Every type moat has, in every encoding Redis would pick, in two
/// databases, some keys with a TTL.
fn populate(c: &mut Client) {
    let long_text = "compressible ".repeat(200);
    let varied: String = (0..3000)
        .map(|i| char::from(b'!' + (i * 7 % 90) as u8))
        .collect();
    let mut cmds: Vec<Vec<String>> = vec![
        vec!["SET".into(), "s:short".into(), "hello".into()],
        vec!["SET".into(), "s:int8".into(), "-7".into()],
        vec!["SET".into(), "s:int16".into(), "12345".into()],
        vec!["SET".into(), "s:int32".into(), "-2000000000".into()],
        vec!["SET".into(), "s:int64".into(), "9223372036854775807".into()],
        vec!["SET".into(), "s:notint".into(), "007".into()],
        vec!["SET".into(), "s:empty".into(), "".into()],
        vec!["SET".into(), "s:long".into(), long_text],
        vec!["SET".into(), "s:varied".into(), varied],
        vec![
            "SET".into(),
            "s:ttl".into(),
            "v".into(),
            "PX".into(),
            "86400000".into(),
        ],
        vec![
            "HSET".into(),
            "h:small".into(),
            "a".into(),
            "1".into(),
            "b".into(),
            "-300".into(),
            "c".into(),
            "text".into(),
        ],
        vec![
            "HSET".into(),
            "h:longvalue".into(),
            "f".into(),
            "x".repeat(100),
        ],
        vec![
            "SADD".into(),
            "set:ints".into(),
            "1".into(),
            "-5".into(),
            "70000".into(),
            "5000000000".into(),
        ],
        vec![
            "SADD".into(),
            "set:small".into(),
            "a".into(),
            "b".into(),
            "12".into(),
        ],
        vec!["SADD".into(), "set:longmember".into(), "y".repeat(80)],
        vec!["EXPIRE".into(), "h:small".into(), "100000".into()],
        vec!["SELECT".into(), "3".into()],
        vec!["SET".into(), "db3:key".into(), "in db 3".into()],
        vec!["SADD".into(), "db3:set".into(), "only".into()],
        vec!["SELECT".into(), "0".into()],
    ];
    let mut big_hash = vec!["HSET".to_string(), "h:big".into()];
    let mut big_ints = vec!["SADD".to_string(), "set:bigints".into()];
    let mut big_set = vec!["SADD".to_string(), "set:big".into()];
    for i in 0..600 {
        big_hash.extend([format!("field{i}"), format!("value{i}")]);
        big_ints.push((i * 3).to_string());
        big_set.push(format!("member{i}"));
    }
    cmds.extend([big_hash, big_ints, big_set]);
    cmds.extend(lists_and_sorted_sets());
    for cmd in cmds {
        let args: Vec<&str> = cmd.iter().map(String::as_str).collect();
        let reply = call(c, &args);
        assert!(!matches!(reply, Frame::Error(_)), "{cmd:?}: {reply:?}");
    }
}

/// Lists small (listpack in 7.2), big (several quicklist nodes) and with
/// elements too big for a node (PLAIN nodes); sorted sets small
/// (listpack) and big or with a long member (skiplist), with infinite,
/// fractional, negative and integral scores; some with a TTL.
fn lists_and_sorted_sets() -> Vec<Vec<String>> {
    let words = |w: &str| w.split(' ').map(str::to_owned).collect::<Vec<String>>();
    let mut cmds = vec![
        words("RPUSH l:small a b 1 -300 70000 5000000000 hello"),
        words("LPUSH l:ttl x y"),
        words("EXPIRE l:ttl 100000"),
        vec![
            "RPUSH".into(),
            "l:bigelem".into(),
            "head".into(),
            "B".repeat(10_000),
            "C".repeat(70_000),
            "tail".into(),
        ],
        words("ZADD z:small 1.5 a -inf b inf c 0 d 3 e -2.25 f 1e300 g 0.1 h -0.3 i"),
        words("ZADD z:ttl 1 one 2 two"),
        words("PEXPIRE z:ttl 100000000"),
        vec![
            "ZADD".into(),
            "z:longmember".into(),
            "7".into(),
            "m".repeat(100),
        ],
        words("SELECT 3"),
        words("RPUSH db3:list only"),
        words("ZADD db3:zset 1 only"),
        words("SELECT 0"),
    ];
    let mut big_list = vec!["RPUSH".to_string(), "l:big".into()];
    let mut big_zset = vec!["ZADD".to_string(), "z:big".into()];
    for i in 0..2000 {
        big_list.push(if i % 3 == 0 {
            i.to_string()
        } else {
            format!("element-{i}")
        });
    }
    for i in 0..300 {
        big_zset.extend([format!("{}", f64::from(i) / 7.0 - 20.0), format!("m{i}")]);
    }
    big_zset.extend(words("inf top -inf bottom"));
    cmds.extend([big_list, big_zset]);
    cmds.extend(streams());
    cmds
}

/// Streams with deleted entries, several nodes, consumer groups with
/// pending entries and consumers, an empty stream, a TTL.
fn streams() -> Vec<Vec<String>> {
    let words = |w: &str| w.split(' ').map(str::to_owned).collect::<Vec<String>>();
    let mut cmds: Vec<Vec<String>> = [
        "XADD st:plain 1-1 a 1 b 2",
        "XADD st:plain 1-2 a 3 b 4",
        "XADD st:plain 2-0 other x",
        "XADD st:plain 3-0 a 5 b 6",
        "XADD st:plain 4-0 a 7 b 8",
        "XDEL st:plain 1-2",
        "XGROUP CREATE st:plain g1 0",
        "XREADGROUP GROUP g1 alice COUNT 2 STREAMS st:plain >",
        "XREADGROUP GROUP g1 bob COUNT 1 STREAMS st:plain >",
        "XACK st:plain g1 1-1",
        "XGROUP CREATE st:plain g2 $",
        "XGROUP CREATECONSUMER st:plain g2 carol",
        "XGROUP CREATE st:empty g 0 MKSTREAM",
        "XADD st:trimmed 5-5 k v",
        "XADD st:trimmed 6-6 k v",
        "XTRIM st:trimmed MAXLEN 0",
    ]
    .iter()
    .map(|c| words(c))
    .collect();
    for i in 1..=250 {
        cmds.push(words(&format!("XADD st:big {i}-0 field {i} n {}", i * 7)));
    }
    cmds.push(words("XGROUP CREATE st:big readers 100-0"));
    cmds.push(words(
        "XREADGROUP GROUP readers r1 COUNT 20 STREAMS st:big >",
    ));
    cmds.push(words("EXPIRE st:big 100000"));
    cmds
}

/// Renders a reply for comparison (nested arrays as brackets).
fn render(frame: &Frame) -> String {
    match frame {
        Frame::Array(items) | Frame::Set(items) => {
            format!(
                "[{}]",
                items.iter().map(render).collect::<Vec<_>>().join(" ")
            )
        }
        Frame::Null | Frame::NullArray => "nil".into(),
        other => text(other),
    }
}

/// The fields of a flat key/value reply that are kept.
fn fields_of(frame: &Frame, keep: &[&str]) -> String {
    let Frame::Array(items) = frame else {
        return render(frame);
    };
    items
        .chunks(2)
        .filter(|kv| keep.contains(&text(&kv[0]).as_str()))
        .map(|kv| {
            format!(
                "{}={}",
                text(&kv[0]),
                kv.get(1).map(render).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A stream's entries, node count, counters, groups, PEL and consumers
/// (idle times left out: they differ by nature).
fn stream_summary(c: &mut Client, key: &str) -> String {
    let mut out = vec![render(&call(c, &["XRANGE", key, "-", "+"]))];
    out.push(fields_of(
        &call(c, &["XINFO", "STREAM", key]),
        &[
            "length",
            "radix-tree-keys",
            "last-generated-id",
            "max-deleted-entry-id",
            "entries-added",
            "recorded-first-entry-id",
            "groups",
        ],
    ));
    let Frame::Array(groups) = call(c, &["XINFO", "GROUPS", key]) else {
        return "bad XINFO GROUPS".into();
    };
    for group in groups {
        let line = fields_of(
            &group,
            &[
                "name",
                "consumers",
                "pending",
                "last-delivered-id",
                "entries-read",
                "lag",
            ],
        );
        let Frame::Array(items) = &group else {
            continue;
        };
        let name = text(&items[1]);
        out.push(line);
        if let Frame::Array(pending) = call(c, &["XPENDING", key, &name, "-", "+", "1000"]) {
            for p in pending {
                if let Frame::Array(p) = p {
                    // id, consumer, idle, delivery count: idle left out.
                    out.push(format!("{} {} {}", text(&p[0]), text(&p[1]), text(&p[3])));
                }
            }
        }
        if let Frame::Array(consumers) = call(c, &["XINFO", "CONSUMERS", key, &name]) {
            for consumer in consumers {
                out.push(fields_of(&consumer, &["name", "pending"]));
            }
        }
    }
    out.join("\n")
}

/// A sorted set's members and scores in order, scores compared as
/// doubles (7.0 and 7.2 print fractional scores with different digits).
fn zset_items(frame: Frame) -> String {
    let Frame::Array(items) = frame else {
        return format!("{frame:?}");
    };
    items
        .chunks(2)
        .map(|pair| {
            let member = text(&pair[0]);
            let score = pair.get(1).map(text).unwrap_or_default();
            match score.parse::<f64>() {
                Ok(score) => format!("{member}={score:?}"),
                Err(_) => format!("{member}=bad score {score}"),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Which `OBJECT ENCODING`s a comparison includes.
#[derive(Clone, Copy, PartialEq)]
enum Encodings {
    /// Strings, hashes and sorted sets: Redis 7.0 and 7.2 agree on them.
    Shared,
    /// Sets and lists too, against a server with Redis 7.2's listpack sets
    /// and lists (7.0 has only quicklists).
    WithSets,
}

/// Everything observable about the keys of databases 0 and 3.
fn dump(c: &mut Client, encodings: Encodings) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for db in ["0", "3"] {
        call(c, &["SELECT", db]);
        out.insert(format!("{db}/dbsize"), text(&call(c, &["DBSIZE"])));
        for key in sorted_items(call(c, &["KEYS", "*"])) {
            let kind = text(&call(c, &["TYPE", &key]));
            let value = match kind.as_str() {
                "string" => text(&call(c, &["GET", &key])),
                "hash" => sorted_items(call(c, &["HGETALL", &key])).join(","),
                "set" => sorted_items(call(c, &["SMEMBERS", &key])).join(","),
                "list" => match call(c, &["LRANGE", &key, "0", "-1"]) {
                    Frame::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(","),
                    other => format!("{other:?}"),
                },
                "zset" => zset_items(call(c, &["ZRANGE", &key, "0", "-1", "WITHSCORES"])),
                "stream" => stream_summary(c, &key),
                other => format!("unexpected type {other}"),
            };
            let encoding = text(&call(c, &["OBJECT", "ENCODING", &key]));
            // Redis 7.0 has no listpack sets or lists; 7.2 (and moat) do.
            let encoding = if (kind == "set" || kind == "list") && encodings == Encodings::Shared {
                String::new()
            } else {
                encoding
            };
            let ttl = match call(c, &["PTTL", &key]) {
                Frame::Integer(n) if n > 0 => "ttl",
                Frame::Integer(-1) => "persistent",
                _ => "bad ttl",
            };
            out.insert(
                format!("{db}/{key}"),
                format!("{kind} {encoding} {ttl} {value}"),
            );
        }
    }
    call(c, &["SELECT", "0"]);
    out
}

fn copy_dump(from: &Path, to: &Path) {
    std::fs::copy(from.join("dump.rdb"), to.join("dump.rdb")).expect("copy dump.rdb");
}

#[test]
fn redis_writes_moat_loads() {
    let Some(redis) = reference::redis_server() else {
        return;
    };
    let reference = ServerProcess::start(redis, Vec::<String>::new()).unwrap();
    let mut rc = reference.client().unwrap();
    populate(&mut rc);
    assert_eq!(call(&mut rc, &["SAVE"]), Frame::ok());
    let expected = dump(&mut rc, Encodings::Shared);

    let mut moat = moat_server(MOAT).start().unwrap();
    moat.stop().unwrap();
    copy_dump(reference.dir(), moat.dir());
    moat.restart().unwrap();
    let mut mc = moat.client().unwrap();
    assert_eq!(dump(&mut mc, Encodings::Shared), expected);
    assert!(moat.log().contains("DB loaded from disk"), "{}", moat.log());
}

#[test]
fn moat_writes_redis_loads() {
    let Some(redis) = reference::redis_server() else {
        return;
    };
    let moat = moat_server(MOAT).start().unwrap();
    let mut mc = moat.client().unwrap();
    populate(&mut mc);
    assert_eq!(call(&mut mc, &["SAVE"]), Frame::ok());
    let expected = dump(&mut mc, Encodings::Shared);

    let mut reference = ServerProcess::start(redis, Vec::<String>::new()).unwrap();
    reference.stop().unwrap();
    copy_dump(moat.dir(), reference.dir());
    reference.restart().unwrap();
    let mut rc = reference.client().unwrap();
    assert_eq!(
        dump(&mut rc, Encodings::Shared),
        expected,
        "{}",
        reference.log()
    );
}

/// A module value (what RedisJSON's documents are in Redis) is refused
/// by key name, not dropped.
#[test]
fn module_values_stop_start_up_by_name() {
    let mut file = b"REDIS0010".to_vec();
    file.extend_from_slice(&[0xfe, 0, 7, 3]);
    file.extend_from_slice(b"doc");
    file.extend_from_slice(&[0x81; 12]);
    file.push(0xff);
    file.extend_from_slice(&[0; 8]);
    let (code, output) = start_on(&file);
    assert_ne!(code, 0);
    assert!(
        output.contains("key 'doc': module values are not supported"),
        "{output}"
    );
}

/// SAVE of a dataset with a value moat cannot write yet fails, names the
/// key, and leaves the previous file alone.
#[test]
fn unsavable_values_fail_save_by_name() {
    let moat = moat_server(MOAT).start().unwrap();
    let mut c = moat.client().unwrap();
    call(&mut c, &["RPUSH", "l", "a"]);
    assert_eq!(call(&mut c, &["SAVE"]), Frame::ok());
    let before = std::fs::read(moat.dir().join("dump.rdb")).unwrap();
    call(&mut c, &["JSON.SET", "doc", "$", "[1]"]);
    assert!(matches!(call(&mut c, &["SAVE"]), Frame::Error(_)));
    assert!(
        moat.log()
            .contains("key 'doc': JSON documents cannot be saved to RDB"),
        "{}",
        moat.log()
    );
    assert_eq!(std::fs::read(moat.dir().join("dump.rdb")).unwrap(), before);
}

/// DEBUG RELOAD (save, flush, load) keeps every value and encoding.
#[test]
fn debug_reload_keeps_lists_sorted_sets_and_streams() {
    let moat = moat_server(MOAT)
        .args(["--enable-debug-command", "yes"])
        .start()
        .unwrap();
    let mut c = moat.client().unwrap();
    populate(&mut c);
    let before = dump(&mut c, Encodings::WithSets);
    assert!(before["0/l:small"].starts_with("list listpack persistent a,b,1,-300,"));
    assert!(before["0/l:big"].starts_with("list quicklist persistent "));
    assert!(before["0/l:bigelem"].starts_with("list quicklist persistent head,BBB"));
    assert!(before["0/z:small"].starts_with("zset listpack persistent b=-inf,f=-2.25,"));
    assert!(before["0/z:big"].starts_with("zset skiplist persistent bottom=-inf,"));
    assert!(before["0/z:ttl"].starts_with("zset listpack ttl "));
    let plain = &before["0/st:plain"];
    assert!(plain.contains("name=g1 consumers=2 pending=2"), "{plain}");
    assert!(plain.contains("\n2-0 alice 1\n3-0 bob 1\n"), "{plain}");
    assert!(plain.contains("max-deleted-entry-id=1-2"), "{plain}");
    let empty = &before["0/st:empty"];
    assert!(
        empty.starts_with("stream stream persistent []\nlength=0"),
        "{empty}"
    );
    assert!(before["0/st:big"].contains("name=readers consumers=1 pending=20"));
    assert_eq!(call(&mut c, &["DEBUG", "RELOAD"]), Frame::ok());
    assert_eq!(dump(&mut c, Encodings::WithSets), before);
}

/// Runs moat on a directory holding `file` as dump.rdb until it exits
/// (or serves, which counts as a success and is stopped).
fn start_on(file: &[u8]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dump.rdb"), file).unwrap();
    let mut child = std::process::Command::new(MOAT.expect("moat-server built"))
        .args(["--port", "0", "--save", ""])
        .arg("--dir")
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            return (status.code().unwrap_or(-1), text);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return (0, "started and served".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn corrupt_and_truncated_files_stop_start_up() {
    let moat = moat_server(MOAT).start().unwrap();
    let mut mc = moat.client().unwrap();
    populate(&mut mc);
    assert_eq!(call(&mut mc, &["SAVE"]), Frame::ok());
    let file = std::fs::read(moat.dir().join("dump.rdb")).unwrap();
    let (code, output) = start_on(&file);
    assert_eq!(code, 0, "the intact file loads: {output}");
    let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 1..=6 {
        let cut = file.len() * i / 7;
        cases.push((format!("cut at {cut}"), file[..cut].to_vec()));
    }
    cases.push((
        "cut before checksum".into(),
        file[..file.len() - 3].to_vec(),
    ));
    for i in 0..6 {
        let at = 9 + (file.len() - 9) * i / 6;
        let mut bad = file.clone();
        bad[at] ^= 0x5a;
        cases.push((format!("flip at {at}"), bad));
    }
    let mut bad_magic = file.clone();
    bad_magic[0] = b'X';
    cases.push(("bad magic".into(), bad_magic));
    for (name, bytes) in cases {
        let (code, output) = start_on(&bytes);
        assert_ne!(code, 0, "{name}: moat started");
        assert!(
            output.contains("Fatal error loading the DB"),
            "{name}: {output}"
        );
        assert!(!output.contains("panicked"), "{name}: {output}");
    }
}

fn info_field(c: &mut Client, name: &str) -> String {
    let info = text(&call(c, &["INFO", "persistence"]));
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_owned))
        .unwrap_or_default()
}

#[test]
fn bgsave_lastsave_info_and_reload() {
    let mut moat = moat_server(MOAT)
        .args(["--enable-debug-command", "yes"])
        .start()
        .unwrap();
    let mut c = moat.client().unwrap();
    call(&mut c, &["SET", "k", "v"]);
    call(&mut c, &["SADD", "s", "1", "2"]);
    // SADD counts each added member, as in Redis.
    assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "3");
    assert_eq!(
        call(&mut c, &["BGSAVE"]),
        Frame::Simple(bytes::Bytes::from_static(b"Background saving started"))
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while info_field(&mut c, "rdb_bgsave_in_progress") != "0" {
        assert!(Instant::now() < deadline, "BGSAVE never finished");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(info_field(&mut c, "rdb_last_bgsave_status"), "ok");
    assert_eq!(info_field(&mut c, "rdb_saves"), "1");
    assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "0");
    assert_eq!(
        text(&call(&mut c, &["LASTSAVE"])),
        info_field(&mut c, "rdb_last_save_time")
    );
    call(&mut c, &["SET", "after", "x"]);
    assert_eq!(call(&mut c, &["DEBUG", "RELOAD"]), Frame::ok());
    assert_eq!(text(&call(&mut c, &["GET", "after"])), "x");
    assert_eq!(info_field(&mut c, "rdb_last_load_keys_loaded"), "3");
    assert_eq!(text(&call(&mut c, &["OBJECT", "ENCODING", "s"])), "intset");
    // Without save points SIGTERM does not save, but SHUTDOWN SAVE does.
    call(&mut c, &["SET", "late", "y"]);
    let _ = c.call(&["SHUTDOWN", "SAVE"]);
    moat.restart().unwrap();
    let mut c = moat.client().unwrap();
    assert_eq!(text(&call(&mut c, &["GET", "late"])), "y");
    assert!(!moat
        .dir()
        .join(format!("temp-{}.rdb", std::process::id()))
        .exists());
}

#[test]
fn sigterm_saves_when_save_points_are_configured() {
    let mut moat = moat_server(MOAT)
        .keep_persistence()
        .args(["--save", "3600", "1"])
        .start()
        .unwrap();
    let mut c = moat.client().unwrap();
    call(&mut c, &["HSET", "h", "f", "v"]);
    call(&mut c, &["SET", "ttl", "v", "EX", "1000"]);
    moat.restart().unwrap();
    let mut c = moat.client().unwrap();
    assert_eq!(text(&call(&mut c, &["HGET", "h", "f"])), "v");
    assert!(matches!(call(&mut c, &["TTL", "ttl"]), Frame::Integer(n) if n > 990));
    assert!(moat
        .log()
        .contains("Saving the final RDB snapshot before exiting."));
}

/// FLUSHALL with save points rewrites the file (an empty dataset) and
/// counts as one change, as in Redis.
#[test]
fn flushall_resets_the_file() {
    let mut moat = moat_server(MOAT)
        .keep_persistence()
        .args(["--save", "3600", "1000"])
        .start()
        .unwrap();
    let mut c = moat.client().unwrap();
    call(&mut c, &["SET", "k", "v"]);
    assert_eq!(call(&mut c, &["SAVE"]), Frame::ok());
    assert_eq!(call(&mut c, &["FLUSHALL"]), Frame::ok());
    assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "1");
    let _ = c.call(&["SHUTDOWN", "NOSAVE"]);
    moat.restart().unwrap();
    let mut c = moat.client().unwrap();
    assert_eq!(call(&mut c, &["DBSIZE"]), Frame::Integer(0));
}

/// A failed background save with save points configured refuses writes
/// (and PING) with MISCONF until a save succeeds again.
#[test]
fn failed_bgsave_stops_writes_until_a_save_succeeds() {
    let moat = moat_server(MOAT)
        .keep_persistence()
        .args(["--save", "3600", "1000"])
        .start()
        .unwrap();
    let mut c = moat.client().unwrap();
    // A directory where the file belongs makes the final rename fail.
    std::fs::create_dir(moat.dir().join("dump.rdb")).unwrap();
    call(&mut c, &["BGSAVE"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while info_field(&mut c, "rdb_last_bgsave_status") != "err" {
        assert!(Instant::now() < deadline, "BGSAVE never failed");
        std::thread::sleep(Duration::from_millis(20));
    }
    match call(&mut c, &["SET", "k", "v"]) {
        Frame::Error(e) => {
            assert!(e.starts_with(b"MISCONF Redis is configured to save RDB snapshots"))
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(call(&mut c, &["PING"]), Frame::Error(_)));
    assert_eq!(call(&mut c, &["GET", "k"]), Frame::Null);
    std::fs::remove_dir(moat.dir().join("dump.rdb")).unwrap();
    while info_field(&mut c, "rdb_bgsave_in_progress") != "0" {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(call(&mut c, &["SAVE"]), Frame::ok());
    assert_eq!(call(&mut c, &["SET", "k", "v"]), Frame::ok());
}

/// Valkey 8.1 writes RDB version 11 with Redis 7.2's encodings (listpack
/// sets, type 20): moat reads it as it reads Redis 7.2's files.
#[test]
fn version_11_files_load() {
    let Some(valkey) = reference::valkey_server() else {
        return;
    };
    let server = ServerProcess::start(valkey, Vec::<String>::new()).unwrap();
    let mut vc = server.client().unwrap();
    populate(&mut vc);
    assert_eq!(call(&mut vc, &["SAVE"]), Frame::ok());
    let file = std::fs::read(server.dir().join("dump.rdb")).unwrap();
    assert_eq!(&file[..9], b"REDIS0011");
    let expected = dump(&mut vc, Encodings::WithSets);
    let mut moat = moat_server(MOAT).start().unwrap();
    moat.stop().unwrap();
    copy_dump(server.dir(), moat.dir());
    moat.restart().unwrap();
    let mut mc = moat.client().unwrap();
    assert_eq!(dump(&mut mc, Encodings::WithSets), expected);
    call(&mut mc, &["SELECT", "3"]);
    assert_eq!(
        text(&call(&mut mc, &["OBJECT", "ENCODING", "db3:set"])),
        "listpack"
    );
}

/// Keys whose TTL passed while the file sat on disk are skipped at load
/// and counted, as Redis does.
#[test]
fn keys_expired_in_the_file_are_skipped_and_counted() {
    let mut moat = moat_server(MOAT).start().unwrap();
    let mut c = moat.client().unwrap();
    call(&mut c, &["SET", "kept", "v", "PX", "100000"]);
    call(&mut c, &["SET", "gone", "v", "PX", "400"]);
    assert_eq!(call(&mut c, &["SAVE"]), Frame::ok());
    std::thread::sleep(Duration::from_millis(600));
    moat.restart().unwrap();
    let mut c = moat.client().unwrap();
    assert_eq!(call(&mut c, &["EXISTS", "kept", "gone"]), Frame::Integer(1));
    assert_eq!(info_field(&mut c, "rdb_last_load_keys_loaded"), "1");
    assert_eq!(info_field(&mut c, "rdb_last_load_keys_expired"), "1");
    assert!(moat
        .log()
        .contains("Done loading RDB, keys loaded: 1, keys expired: 1."));
}

/// Under LRU and LFU policies the file carries each key's idle time or
/// access counter (IDLE and FREQ opcodes) and both servers keep them.
#[test]
fn idle_times_and_lfu_counters_travel_with_the_keys() {
    let Some(redis) = reference::redis_server() else {
        return;
    };
    let lfu = ["--maxmemory-policy", "allkeys-lfu"];
    let reference = ServerProcess::start(redis.clone(), lfu).unwrap();
    let mut rc = reference.client().unwrap();
    call(&mut rc, &["SET", "hot", "v"]);
    for _ in 0..200 {
        call(&mut rc, &["GET", "hot"]);
    }
    let freq = call(&mut rc, &["OBJECT", "FREQ", "hot"]);
    assert!(matches!(freq, Frame::Integer(n) if n > 5), "{freq:?}");
    assert_eq!(call(&mut rc, &["SAVE"]), Frame::ok());
    let mut moat = moat_server(MOAT).args(lfu).start().unwrap();
    moat.stop().unwrap();
    copy_dump(reference.dir(), moat.dir());
    moat.restart().unwrap();
    let mut mc = moat.client().unwrap();
    assert_eq!(call(&mut mc, &["OBJECT", "FREQ", "hot"]), freq);

    let lru = ["--maxmemory-policy", "allkeys-lru"];
    let moat = moat_server(MOAT).args(lru).start().unwrap();
    let mut mc = moat.client().unwrap();
    call(&mut mc, &["SET", "cold", "v"]);
    std::thread::sleep(Duration::from_millis(2100));
    assert_eq!(call(&mut mc, &["SAVE"]), Frame::ok());
    let mut reference = ServerProcess::start(redis, lru).unwrap();
    reference.stop().unwrap();
    copy_dump(moat.dir(), reference.dir());
    reference.restart().unwrap();
    let mut rc = reference.client().unwrap();
    let idle = call(&mut rc, &["OBJECT", "IDLETIME", "cold"]);
    assert!(
        matches!(idle, Frame::Integer(n) if (2..10).contains(&n)),
        "{idle:?}"
    );
}

/// `INFO persistence` has the reference's fields in the reference's order.
#[test]
fn info_persistence_fields_match_the_reference() {
    let Some(redis) = reference::redis_server() else {
        return;
    };
    let names = |c: &mut Client| -> Vec<String> {
        text(&call(c, &["INFO", "persistence"]))
            .lines()
            .filter_map(|l| l.split_once(':').map(|(name, _)| name.to_owned()))
            .collect()
    };
    let reference = ServerProcess::start(redis, Vec::<String>::new()).unwrap();
    let moat = moat_server(MOAT).start().unwrap();
    let expected = names(&mut reference.client().unwrap());
    assert_eq!(names(&mut moat.client().unwrap()), expected);
}
