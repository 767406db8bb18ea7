//! DUMP payloads move between the reference redis-server and moat in
//! both directions: every key of a dataset holding every type in every
//! encoding (strings int/embstr/raw, lists, intset/listpack/hashtable
//! sets, hashes, small and big sorted sets, streams with consumer
//! groups) is DUMPed on one server and RESTOREd on the other, and both
//! hold the same data afterwards.

mod dataset;

use dataset::{call, dump, populate, sorted_items, text, Encodings};
use moat_resp::Frame;
use moat_testkit::{moat_server, reference, Client, ServerProcess};

const MOAT: Option<&str> = option_env!("CARGO_BIN_EXE_moat-server");

/// DUMPs every key of databases 0 and 3 of `from` and RESTOREs it, with
/// its remaining TTL, into the same database of `to`. Returns how many
/// keys moved.
fn copy_by_dump(from: &mut Client, to: &mut Client) -> usize {
    let mut moved = 0;
    for db in ["0", "3"] {
        call(from, &["SELECT", db]);
        call(to, &["SELECT", db]);
        for key in sorted_items(call(from, &["KEYS", "*"])) {
            let Frame::Bulk(payload) = from.call(&[&b"DUMP"[..], key.as_bytes()]).unwrap() else {
                panic!("DUMP {key} gave no payload");
            };
            let ttl = match call(from, &["PTTL", &key]) {
                Frame::Integer(n) if n > 0 => n.to_string(),
                _ => "0".to_string(),
            };
            let reply = to
                .call(&[&b"RESTORE"[..], key.as_bytes(), ttl.as_bytes(), &payload])
                .unwrap();
            assert_eq!(reply, Frame::ok(), "RESTORE {key}");
            moved += 1;
        }
    }
    call(from, &["SELECT", "0"]);
    call(to, &["SELECT", "0"]);
    moved
}

fn reference_server() -> Option<ServerProcess> {
    let redis = reference::redis_server()?;
    Some(ServerProcess::start(redis, Vec::<String>::new()).unwrap())
}

#[test]
fn redis_dumps_moat_restores() {
    let Some(reference) = reference_server() else {
        return;
    };
    let mut rc = reference.client().unwrap();
    populate(&mut rc);
    let expected = dump(&mut rc, Encodings::Shared);
    let moat = moat_server(MOAT).start().unwrap();
    let mut mc = moat.client().unwrap();
    assert!(copy_by_dump(&mut rc, &mut mc) > 30);
    assert_eq!(dump(&mut mc, Encodings::Shared), expected);
}

#[test]
fn moat_dumps_redis_restores() {
    let Some(reference) = reference_server() else {
        return;
    };
    let moat = moat_server(MOAT).start().unwrap();
    let mut mc = moat.client().unwrap();
    populate(&mut mc);
    let expected = dump(&mut mc, Encodings::Shared);
    let mut rc = reference.client().unwrap();
    assert!(copy_by_dump(&mut mc, &mut rc) > 30);
    assert_eq!(dump(&mut rc, Encodings::Shared), expected);
}

/// Values whose encoding is the same on both sides and too short for
/// LZF (where the compressors differ, see `accepted_differences.rs`)
/// dump to the same bytes: strings, integers, intsets, listpack hashes,
/// sorted sets and single-node lists.
#[test]
fn small_values_dump_to_the_same_bytes() {
    let Some(reference) = reference_server() else {
        return;
    };
    let moat = moat_server(MOAT).start().unwrap();
    let (mut mc, mut rc) = (moat.client().unwrap(), reference.client().unwrap());
    let setup: &[&[&str]] = &[
        &["SET", "s:short", "hello"],
        &["SET", "s:int8", "-7"],
        &["SET", "s:int16", "12345"],
        &["SET", "s:int32", "-2000000000"],
        &["SET", "s:int64", "9223372036854775807"],
        &["SET", "s:notint", "007"],
        &["SET", "s:empty", ""],
        &[
            "SET",
            "s:incompressible",
            "abcdefghijklmnopqrstuvwxyz0123456789",
        ],
        &["SADD", "set:ints", "3", "-5", "70000"],
        &["HSET", "h:small", "a", "1", "b", "-300"],
        &["ZADD", "z:small", "1.5", "a", "-2", "b"],
        &["RPUSH", "l:small", "a", "1", "-300"],
    ];
    for c in [&mut mc, &mut rc] {
        for cmd in setup {
            assert!(!matches!(call(c, cmd), Frame::Error(_)), "{cmd:?}");
        }
    }
    for cmd in setup {
        let ours = mc.call(&["DUMP", cmd[1]]).unwrap();
        let theirs = rc.call(&["DUMP", cmd[1]]).unwrap();
        assert!(matches!(ours, Frame::Bulk(_)), "{}: {ours:?}", cmd[1]);
        assert_eq!(ours, theirs, "DUMP {}", cmd[1]);
    }
    assert_eq!(
        text(&call(&mut mc, &["DUMP", "nosuch"])),
        text(&Frame::Null)
    );
}

/// What RESTORE propagates replays to the same data: a relative TTL as
/// the instant it ends (not a TTL that restarts at load), a past-TTL
/// REPLACE as the deletion it was.
#[test]
fn restores_survive_an_aof_restart() {
    let mut moat = moat_server(MOAT)
        .args(["--appendonly", "yes", "--appendfsync", "always"])
        .start()
        .unwrap();
    let mut c = moat.client().unwrap();
    call(&mut c, &["SET", "src", "hello"]);
    let Frame::Bulk(payload) = c.call(&["DUMP", "src"]).unwrap() else {
        panic!("no payload");
    };
    let restore = |c: &mut Client, args: &[&[u8]]| {
        let mut argv: Vec<&[u8]> = vec![b"RESTORE"];
        argv.extend_from_slice(args);
        assert_eq!(c.call(&argv).unwrap(), Frame::ok(), "{args:?}");
    };
    restore(&mut c, &[b"ttl", b"100000000", &payload]);
    restore(&mut c, &[b"gone", b"0", &payload]);
    restore(&mut c, &[b"gone", b"1", &payload, b"ABSTTL", b"REPLACE"]);
    let expire_at = call(&mut c, &["PEXPIRETIME", "ttl"]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    moat.restart().unwrap();
    let mut c = moat.client().unwrap();
    assert_eq!(call(&mut c, &["PEXPIRETIME", "ttl"]), expire_at);
    assert_eq!(call(&mut c, &["GET", "ttl"]), Frame::Bulk("hello".into()));
    assert_eq!(call(&mut c, &["EXISTS", "gone"]), Frame::Integer(0));
}

/// JSON documents of every type DUMP as RedisJSON's module values and
/// RESTORE whole (TTLs kept) into another moat, beside every other type.
/// No RedisJSON-enabled redis-server is available here: the payload's
/// format is checked against RedisJSON's source in the unit tests of
/// `persist::types::json`; a plain Redis refuses it as Redis without the
/// module does.
#[test]
fn json_documents_move_between_moat_servers() {
    let source = moat_server(MOAT).start().unwrap();
    let target = moat_server(MOAT).start().unwrap();
    let (mut s, mut t) = (source.client().unwrap(), target.client().unwrap());
    populate(&mut s);
    dataset::run_all(&mut s, &dataset::json_documents());
    let expected = dump(&mut s, Encodings::WithSets);
    assert!(expected["0/j:ttl"].starts_with("ReJSON-RL raw ttl "));
    assert!(copy_by_dump(&mut s, &mut t) > 40);
    assert_eq!(dump(&mut t, Encodings::WithSets), expected);

    let Some(reference) = reference_server() else {
        return;
    };
    let Frame::Bulk(payload) = s.call(&["DUMP", "j:object"]).unwrap() else {
        panic!("no payload");
    };
    let mut rc = reference.client().unwrap();
    let reply = rc.call(&[&b"RESTORE"[..], b"doc", b"0", &payload]).unwrap();
    assert_eq!(reply, Frame::error("ERR Bad data format"));
}
