//! RDB files move between the reference redis-server and moat in both
//! directions with the same data, a corrupt or truncated file stops
//! moat's start-up with a clear message, and SAVE, BGSAVE, DEBUG RELOAD
//! and the shutdown save behave as Redis's.
//!
//! JSON documents are written as RedisJSON 2.x's `ReJSON-RL` module
//! values. No RedisJSON-enabled redis-server is available here, so their
//! interop is checked against the format as RedisJSON's source specifies
//! it (hand-built values load, see also `persist::types::json`) and
//! against what a plain Redis can check: the module type's name and the
//! module value framing.

use moat_resp::Frame;
use moat_testkit::{moat_server, reference, Client, ServerProcess};
use std::path::Path;
use std::time::{Duration, Instant};

mod dataset;

use dataset::{call, dump, populate, text, Encodings};

const MOAT: Option<&str> = option_env!("CARGO_BIN_EXE_moat-server");

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

/// Redis's `moduleTypeEncodeId`, for building files by hand.
fn module_type_id(name: &str, encver: u64) -> u64 {
    const CHARSET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let id = name.bytes().fold(0u64, |id, c| {
        (id << 6) | CHARSET.iter().position(|&x| x == c).unwrap() as u64
    });
    (id << 10) | encver
}

/// A file of one key `doc` of RDB type `code` followed by `value`.
fn one_value_file(code: u8, value: &[u8]) -> Vec<u8> {
    let mut file = b"REDIS0010".to_vec();
    file.extend_from_slice(&[0xfe, 0, code, 3]);
    file.extend_from_slice(b"doc");
    file.extend_from_slice(value);
    file.push(0xff);
    file.extend_from_slice(&[0; 8]);
    file
}

/// A module value of a type moat does not have stops start-up naming the
/// key and the type, in Redis's words; the pre-release module format is
/// refused as Redis refuses it. Nothing is half loaded: moat does not
/// serve.
#[test]
fn unknown_module_values_stop_start_up_by_name() {
    let mut value = vec![0x81];
    value.extend_from_slice(&module_type_id("graphdata", 1).to_be_bytes());
    value.extend_from_slice(&[5, 1, b'x', 0]);
    let (code, output) = start_on(&one_value_file(7, &value));
    assert_ne!(code, 0, "{output}");
    assert!(
        output.contains(
            "key 'doc': The RDB file contains module data I can't load: no matching module type 'graphdata'"
        ),
        "{output}"
    );
    let (code, output) = start_on(&one_value_file(6, &value));
    assert_ne!(code, 0, "{output}");
    assert!(
        output.contains("key 'doc': Pre-release module format not supported"),
        "{output}"
    );
    assert!(!output.contains("panicked"), "{output}");
}

/// A `ReJSON-RL` value written by hand as RedisJSON 2.x's `rdb_save`
/// writes it (encoding version 3: the text as one module string) loads
/// as the document; a damaged one (no EOF mark) stops start-up.
#[test]
fn rejson_values_load_and_damaged_ones_stop_start_up() {
    let text = br#"{"a":[1,2.5,"x"],"b":null}"#;
    let mut value = vec![0x81];
    value.extend_from_slice(&module_type_id("ReJSON-RL", 3).to_be_bytes());
    value.extend_from_slice(&[5, text.len() as u8]);
    value.extend_from_slice(text);
    value.push(0);
    let mut moat = moat_server(MOAT).start().unwrap();
    moat.stop().unwrap();
    std::fs::write(moat.dir().join("dump.rdb"), one_value_file(7, &value)).unwrap();
    moat.restart().unwrap();
    let mut c = moat.client().unwrap();
    assert_eq!(text_of(&mut c, &["TYPE", "doc"]), "ReJSON-RL");
    assert_eq!(
        text_of(&mut c, &["JSON.GET", "doc"]),
        String::from_utf8_lossy(text)
    );
    value.pop();
    let (code, output) = start_on(&one_value_file(7, &value));
    assert_ne!(code, 0, "{output}");
    assert!(output.contains("key 'doc': "), "{output}");
}

/// A file moat writes with JSON documents, given to a Redis without
/// RedisJSON: Redis names the module type `ReJSON-RL` in its own message
/// (its `moduleTypeNameByID` decodes the id moat wrote; a Redis that has
/// the module finds its type by the same id), then its built-in
/// redis-check-rdb walks every module value opcode by opcode up to its
/// EOF mark and finds the file sound, so the framing is Redis's.
#[test]
fn redis_checks_moat_json_documents_as_rejson_module_values() {
    let Some(redis) = reference::redis_server() else {
        return;
    };
    let moat = moat_server(MOAT).start().unwrap();
    let mut c = moat.client().unwrap();
    dataset::run_all(&mut c, &dataset::json_documents());
    assert_eq!(call(&mut c, &["SAVE"]), Frame::ok());
    let file = std::fs::read(moat.dir().join("dump.rdb")).unwrap();
    // Redis refuses to run listening nowhere: a socket in its directory.
    let (_, output) = start_binary_on(&redis, &file, &["--unixsocket", "redis.sock"]);
    assert!(
        output.contains(
            "The RDB file contains module data I can't load: no matching module type 'ReJSON-RL'"
        ),
        "{output}"
    );
    assert!(output.contains("\\o/ RDB looks OK! \\o/"), "{output}");
    assert!(output.contains("[info] 10 keys read"), "{output}");
}

fn text_of(c: &mut Client, args: &[&str]) -> String {
    text(&call(c, args))
}

/// JSON documents of every type go into the file and come back after a
/// restart with their TTLs, beside every other type; BGSAVE with save
/// points configured succeeds with documents in the dataset, so writes
/// go on.
#[test]
fn json_documents_survive_save_and_restart() {
    let mut moat = moat_server(MOAT)
        .keep_persistence()
        .args(["--save", "3600", "1000", "--appendonly", "no"])
        .start()
        .unwrap();
    let mut c = moat.client().unwrap();
    populate(&mut c);
    dataset::run_all(&mut c, &dataset::json_documents());
    let before = dump(&mut c, Encodings::WithSets);
    assert!(
        before["0/j:ttl"].starts_with("ReJSON-RL raw ttl "),
        "{before:?}"
    );
    assert_eq!(before["3/db3:json"], r#"ReJSON-RL raw persistent {"db":3}"#);
    call(&mut c, &["BGSAVE"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while info_field(&mut c, "rdb_bgsave_in_progress") != "0"
        || info_field(&mut c, "rdb_changes_since_last_save") != "0"
    {
        assert!(Instant::now() < deadline, "BGSAVE never finished");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(info_field(&mut c, "rdb_last_bgsave_status"), "ok");
    assert_eq!(call(&mut c, &["SET", "after", "bgsave"]), Frame::ok());
    call(&mut c, &["DEL", "after"]);
    assert_eq!(call(&mut c, &["SAVE"]), Frame::ok());
    drop(c);
    moat.stop().unwrap();
    moat.restart().unwrap();
    let mut c = moat.client().unwrap();
    assert_eq!(dump(&mut c, Encodings::WithSets), before);
}

/// DEBUG OBJECT's serializedlength of a document is its module value's
/// size: the 9-byte id, the STRING opcode, the text as an RDB string and
/// the EOF mark.
#[test]
fn debug_object_sizes_json_documents() {
    let moat = moat_server(MOAT)
        .args(["--enable-debug-command", "yes"])
        .start()
        .unwrap();
    let mut c = moat.client().unwrap();
    call(&mut c, &["JSON.SET", "doc", "$", r#"{"a":1}"#]);
    let line = text_of(&mut c, &["DEBUG", "OBJECT", "doc"]);
    assert!(line.contains(" serializedlength:19 "), "{line}");
}

/// DEBUG RELOAD (save, flush, load) keeps every value and encoding,
/// JSON documents included.
#[test]
fn debug_reload_keeps_lists_sorted_sets_streams_and_json() {
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
    dataset::run_all(&mut c, &dataset::json_documents());
    let before = dump(&mut c, Encodings::WithSets);
    assert_eq!(call(&mut c, &["DEBUG", "RELOAD"]), Frame::ok());
    assert_eq!(dump(&mut c, Encodings::WithSets), before);
}

/// Runs moat on a directory holding `file` as dump.rdb until it exits
/// (or serves, which counts as a success and is stopped).
fn start_on(file: &[u8]) -> (i32, String) {
    start_binary_on(Path::new(MOAT.expect("moat-server built")), file, &[])
}

/// [`start_on`] for any server binary taking Redis's arguments, run in
/// the file's directory.
fn start_binary_on(binary: &Path, file: &[u8], extra: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dump.rdb"), file).unwrap();
    let mut child = std::process::Command::new(binary)
        .current_dir(dir.path())
        .args(["--port", "0", "--save", ""])
        .args(extra)
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
/// leaves no change to save, as Redis 7.0.15 and Valkey 8.1 report.
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
    assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "0");
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
    // A transaction queued before the failure: its EXEC is a write.
    let mut tx = moat.client().unwrap();
    assert_eq!(call(&mut tx, &["MULTI"]), Frame::ok());
    assert_eq!(
        call(&mut tx, &["SET", "queued", "v"]),
        Frame::simple("QUEUED")
    );
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
    match call(&mut tx, &["EXEC"]) {
        Frame::Error(e) => assert!(
            e.starts_with(b"EXECABORT Transaction discarded because of: MISCONF "),
            "{}",
            String::from_utf8_lossy(&e)
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(call(&mut c, &["GET", "queued"]), Frame::Null);
    assert_eq!(
        call(&mut tx, &["EXEC"]),
        Frame::error("ERR EXEC without MULTI")
    );
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
