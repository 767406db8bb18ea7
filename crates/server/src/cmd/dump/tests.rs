use crate::cmd::reply::testing::{bulk, int, Harness};
use bytes::Bytes;
use moat_config::NotifyFlags;
use moat_resp::Frame;

fn payload(h: &mut Harness, key: &str) -> Vec<u8> {
    match h.run(&format!("dump {key}")) {
        Frame::Bulk(b) => b.to_vec(),
        other => panic!("DUMP {key} answered {other:?}"),
    }
}

fn restore(h: &mut Harness, key: &str, ttl: &str, payload: &[u8], options: &[&str]) -> Frame {
    let mut argv: Vec<&[u8]> = vec![b"restore", key.as_bytes(), ttl.as_bytes(), payload];
    argv.extend(options.iter().map(|o| o.as_bytes()));
    h.run_args(&argv)
}

fn err(text: &str) -> Frame {
    Frame::error(text)
}

/// What the command propagates, as dispatch would take it.
fn propagated(h: &mut Harness, argv: &[&[u8]]) -> (Frame, Vec<Vec<Bytes>>) {
    h.ks.propagate.enabled = true;
    let enclosing = h.ks.propagate.begin_command();
    let dirty = h.ks.dirty;
    let reply = h.run_args(argv);
    let owned: Vec<Bytes> = argv.iter().map(|a| Bytes::copy_from_slice(a)).collect();
    let wrote = h.ks.dirty != dirty;
    h.ks.propagate
        .end_command(enclosing, wrote, h.client.db, &owned);
    let ops =
        h.ks.propagate
            .take()
            .into_iter()
            .map(|op| op.argv)
            .collect();
    (reply, ops)
}

#[test]
fn every_type_round_trips() {
    let mut h = Harness::new();
    for line in [
        "set s hello",
        "set i 12345",
        "rpush l a b 3",
        "sadd si 1 2 3",
        "sadd sl a b",
        "hset h f v g 7",
        "zadd z 1 a 2.5 b",
    ] {
        h.run(line);
    }
    h.run("xadd x 1-1 f v");
    for key in ["s", "i", "l", "si", "sl", "h", "z", "x"] {
        let before = h.ks.db(0).find(key.as_bytes()).map(|slot| {
            let e = h.ks.db(0).entry(slot).unwrap();
            (e.value.clone(), e.value.encoding())
        });
        let p = payload(&mut h, key);
        let copy = format!("{key}-copy");
        assert_eq!(restore(&mut h, &copy, "0", &p, &[]), Frame::ok(), "{key}");
        let slot = h.ks.db(0).find(copy.as_bytes()).unwrap();
        let e = h.ks.db(0).entry(slot).unwrap();
        assert_eq!(Some((e.value.clone(), e.value.encoding())), before, "{key}");
    }
    assert_eq!(h.run("dump nosuch"), Frame::Null);
}

#[test]
fn errors_come_in_redis_order() {
    let mut h = Harness::new();
    h.run("set k v");
    let p = payload(&mut h, "k");
    // Options are parsed before the key is looked at.
    assert_eq!(
        restore(&mut h, "k", "0", &p, &["bogus"]),
        err("ERR syntax error")
    );
    assert_eq!(
        restore(&mut h, "k", "0", &p, &["idletime", "-1"]),
        err("ERR Invalid IDLETIME value, must be >= 0")
    );
    assert_eq!(
        restore(&mut h, "k", "0", &p, &["freq", "256"]),
        err("ERR Invalid FREQ value, must be >= 0 and <= 255")
    );
    assert_eq!(
        restore(&mut h, "k", "0", &p, &["freq", "x"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        restore(&mut h, "n", "0", &p, &["freq", "1", "idletime", "1"]),
        err("ERR syntax error")
    );
    assert_eq!(
        restore(&mut h, "n", "0", &p, &["idletime"]),
        err("ERR syntax error")
    );
    assert_eq!(
        restore(&mut h, "k", "-1", &p, &[]),
        err("BUSYKEY Target key name already exists.")
    );
    assert_eq!(
        restore(&mut h, "n", "-1", &p, &[]),
        err("ERR Invalid TTL value, must be >= 0")
    );
    assert_eq!(
        restore(&mut h, "n", "x", &p, &[]),
        err("ERR value is not an integer or out of range")
    );
    let mut bad = p.clone();
    bad[0] = 0x63;
    assert_eq!(
        restore(&mut h, "n", "0", &bad, &[]),
        err("ERR DUMP payload version or checksum are wrong")
    );
    let sealed = crate::persist::rdb::payload::seal(b"\x63".to_vec(), 10);
    assert_eq!(
        restore(&mut h, "n", "0", &sealed, &[]),
        err("ERR Bad data format")
    );
    // A refused REPLACE leaves the old value.
    assert_eq!(
        restore(&mut h, "k", "0", &sealed, &["replace"]),
        err("ERR Bad data format")
    );
    assert_eq!(h.run("get k"), bulk("v"));
}

#[test]
fn ttls_relative_absolute_and_past() {
    let mut h = Harness::new();
    h.run("set k v");
    let p = payload(&mut h, "k");
    let now = h.now_ms;
    assert_eq!(restore(&mut h, "a", "5000", &p, &[]), Frame::ok());
    assert_eq!(h.run("pttl a"), int(5000));
    let at = (now + 9000).to_string();
    assert_eq!(restore(&mut h, "b", &at, &p, &["absttl"]), Frame::ok());
    assert_eq!(h.run("pttl b"), int(9000));
    // A past absolute TTL creates nothing and writes nothing.
    let dirty = h.ks.dirty;
    assert_eq!(restore(&mut h, "c", "1", &p, &["absttl"]), Frame::ok());
    assert_eq!(h.run("exists c"), int(0));
    assert_eq!(h.ks.dirty, dirty);
    // ... and with REPLACE it deletes the old key.
    assert_eq!(
        restore(&mut h, "k", "1", &p, &["absttl", "replace"]),
        Frame::ok()
    );
    assert_eq!(h.run("exists k"), int(0));
}

#[test]
fn propagation_states_the_outcome() {
    let mut h = Harness::new();
    h.run("set k v");
    let p = payload(&mut h, "k");
    let at = (h.now_ms + 5000).to_string();
    let (reply, ops) = propagated(&mut h, &[b"restore", b"a", b"5000", &p, b"replace"]);
    assert_eq!(reply, Frame::ok());
    let expected: Vec<&[u8]> = vec![b"restore", b"a", at.as_bytes(), &p, b"replace", b"ABSTTL"];
    assert_eq!(
        ops,
        vec![expected
            .iter()
            .map(|a| Bytes::copy_from_slice(a))
            .collect::<Vec<_>>()]
    );
    let (_, ops) = propagated(&mut h, &[b"restore", b"n", b"0", &p]);
    assert_eq!(ops.len(), 1);
    assert_eq!(ops[0][2], Bytes::from_static(b"0"));
    let (_, ops) = propagated(&mut h, &[b"restore", b"k", b"1", &p, b"absttl", b"replace"]);
    assert_eq!(
        ops,
        vec![vec![Bytes::from_static(b"DEL"), Bytes::from_static(b"k")]]
    );
    let (_, ops) = propagated(&mut h, &[b"restore", b"none", b"1", &p, b"absttl"]);
    assert!(ops.is_empty());
}

#[test]
fn restore_notifies_and_sets_access_data() {
    let mut h = Harness::new();
    h.ks.notify_flags = NotifyFlags::all();
    h.run("set k v");
    let p = payload(&mut h, "k");
    h.ks.events.clear();
    assert_eq!(
        restore(&mut h, "r", "0", &p, &["idletime", "1000"]),
        Frame::ok()
    );
    let events: Vec<&str> = h.ks.events.iter().map(|e| e.event).collect();
    assert_eq!(events, ["new", "restore"]);
    assert_eq!(h.run("object idletime r"), int(1000));
    h.ks.eviction.policy = crate::db::Policy::AllKeysLfu;
    assert_eq!(restore(&mut h, "f", "0", &p, &["freq", "77"]), Frame::ok());
    assert_eq!(h.run("object freq f"), int(77));
}

/// A JSON document's payload is RedisJSON's module value; it restores
/// to the same document.
#[test]
fn json_documents_round_trip() {
    let mut h = Harness::new();
    let doc = crate::cmd::json::doc::parse(br#"{"a":[1,2.5,"\u00e9",true,null],"b":{}}"#).unwrap();
    h.ks.view(0, h.now_ms)
        .set(b"j", crate::db::Value::Json(Box::new(doc)), false);
    let p = payload(&mut h, "j");
    assert_eq!(p[0], 7, "RDB_TYPE_MODULE_2");
    assert_eq!(restore(&mut h, "k", "0", &p, &[]), Frame::ok());
    assert_eq!(
        h.run("type k"),
        Frame::Simple(Bytes::from_static(b"ReJSON-RL"))
    );
    let j =
        h.ks.db(0)
            .find(b"j")
            .and_then(|s| h.ks.db(0).entry(s))
            .map(|e| e.value.clone());
    let k =
        h.ks.db(0)
            .find(b"k")
            .and_then(|s| h.ks.db(0).entry(s))
            .map(|e| e.value.clone());
    assert!(j.is_some());
    assert_eq!(j, k);
}
