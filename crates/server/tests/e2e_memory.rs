//! MEMORY over the wire: USAGE grows with the value it sizes, and STATS
//! reports what the server holds (keys, databases, the dataset growing
//! with the data and shrinking when it goes, peak above current).

use moat_resp::Frame;
use moat_testkit::{moat_server, Client};
use std::collections::HashMap;

const MOAT: Option<&str> = option_env!("CARGO_BIN_EXE_moat-server");

fn int(c: &mut Client, args: &[&str]) -> i64 {
    match c.call(args).unwrap() {
        Frame::Integer(n) => n,
        other => panic!("{args:?}: {other:?}"),
    }
}

/// MEMORY STATS as name → value (integers; doubles parsed; db maps as
/// `db.N.field`).
fn stats(c: &mut Client) -> HashMap<String, f64> {
    let Frame::Array(items) = c.call(&["MEMORY", "STATS"]).unwrap() else {
        panic!("MEMORY STATS is not an array in RESP2");
    };
    let mut out = HashMap::new();
    for pair in items.chunks(2) {
        let Frame::Bulk(name) = &pair[0] else {
            panic!("field name {:?}", pair[0]);
        };
        let name = String::from_utf8_lossy(name).into_owned();
        match &pair[1] {
            Frame::Integer(n) => {
                out.insert(name, *n as f64);
            }
            Frame::Bulk(text) => {
                let value = String::from_utf8_lossy(text).parse().unwrap();
                out.insert(name, value);
            }
            Frame::Array(inner) => {
                for kv in inner.chunks(2) {
                    if let (Frame::Bulk(k), Frame::Integer(v)) = (&kv[0], &kv[1]) {
                        out.insert(format!("{name}.{}", String::from_utf8_lossy(k)), *v as f64);
                    }
                }
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    out
}

#[test]
fn usage_grows_with_the_value() {
    let moat = moat_server(MOAT).start().unwrap();
    let mut c = moat.client().unwrap();
    for (key, add) in [
        ("str", "APPEND"),
        ("list", "RPUSH"),
        ("set", "SADD"),
        ("hash", "HSET"),
        ("zset", "ZADD"),
        ("stream", "XADD"),
    ] {
        let mut last = 0;
        for round in 0..5 {
            for i in 0..200 {
                let member = format!("{round}-{i}-{}", "m".repeat(40));
                let score = i.to_string();
                let args: Vec<&str> = match add {
                    "HSET" => vec![add, key, &member, "v"],
                    "ZADD" => vec![add, key, &score, &member],
                    "XADD" => vec![add, key, "*", "f", &member],
                    _ => vec![add, key, &member],
                };
                assert!(!matches!(c.call(&args).unwrap(), Frame::Error(_)));
            }
            let now = int(&mut c, &["MEMORY", "USAGE", key, "SAMPLES", "0"]);
            // A string's buffer grows by doubling, so it may stay put.
            assert!(
                now > last || (key == "str" && now == last),
                "{key}: {now} after {last}"
            );
            last = now;
        }
        // 1000 elements of more than 40 bytes each.
        assert!(last > 40_000, "{key}: {last}");
    }
    assert_eq!(c.call(&["MEMORY", "USAGE", "nosuch"]).unwrap(), Frame::Null);
}

#[test]
fn stats_follow_the_dataset() {
    let moat = moat_server(MOAT).start().unwrap();
    let mut c = moat.client().unwrap();
    let empty = stats(&mut c);
    assert_eq!(empty["keys.count"], 0.0);
    assert!(!empty.contains_key("db.0.overhead.hashtable.main"));
    assert!(empty["startup.allocated"] > 0.0);
    assert!(empty["total.allocated"] >= empty["startup.allocated"]);
    assert!(empty["peak.allocated"] >= empty["total.allocated"]);
    assert!(empty["clients.normal"] > 0.0);

    let value = "v".repeat(1000);
    for i in 0..5000 {
        let key = format!("key:{i}");
        c.call(&["SET", &key, &value]).unwrap();
    }
    c.call(&["SELECT", "3"]).unwrap();
    c.call(&["SET", "k", "v", "EX", "100"]).unwrap();
    let full = stats(&mut c);
    assert_eq!(full["keys.count"], 5001.0);
    assert!(full["db.0.overhead.hashtable.main"] > 5000.0 * 16.0);
    assert!(full["db.3.overhead.hashtable.expires"] > 0.0);
    // The values' bytes, less what the estimate of the tables may take
    // from them.
    assert!(full["dataset.bytes"] > 0.9 * 5000.0 * 1000.0, "{full:?}");
    assert!(full["total.allocated"] > empty["total.allocated"] + 5_000_000.0);
    assert!(full["keys.bytes-per-key"] > 1000.0);
    assert!((0.0..=100.0).contains(&full["dataset.percentage"]));
    // Over 5 MB: the doctor examines the instance instead of declining.
    let Frame::Bulk(report) = c.call(&["MEMORY", "DOCTOR"]).unwrap() else {
        panic!("MEMORY DOCTOR is a bulk string in RESP2");
    };
    assert!(!String::from_utf8_lossy(&report).contains("very little memory"));

    c.call(&["FLUSHALL"]).unwrap();
    assert_eq!(c.call(&["MEMORY", "PURGE"]).unwrap(), Frame::ok());
    let flushed = stats(&mut c);
    assert_eq!(flushed["keys.count"], 0.0);
    assert!(flushed["total.allocated"] < full["total.allocated"] - 4_000_000.0);
    assert!(flushed["peak.allocated"] >= full["total.allocated"]);
}

/// The sizes add up to what the allocator counted for the same data
/// (enough of it that the tables' growth steps and the buffers are small
/// beside it):
/// for every type, the MEMORY USAGE of all keys is within a band of the
/// growth of `total.allocated`, both without the key table (above it by
/// malloc's chunk headers, which USAGE counts and `malloc_usable_size`
/// does not).
#[test]
fn usage_adds_up_to_the_allocated_bytes() {
    let moat = moat_server(MOAT).start().unwrap();
    let mut c = moat.client().unwrap();
    // A key with a short name and a small integer owns no heap block: its
    // usage is its slot in the table.
    c.call(&["SET", "k", "1"]).unwrap();
    let slot = int(&mut c, &["MEMORY", "USAGE", "k"]);
    for (kind, keys, elements) in [
        ("string", 10_000, 1),
        ("list", 100, 500),
        ("set", 10, 5000),
        ("hash", 10, 5000),
        ("zset", 10, 5000),
        ("smallhash", 2000, 10),
        ("stream", 10, 2000),
    ] {
        c.call(&["FLUSHALL"]).unwrap();
        let before = stats(&mut c)["total.allocated"];
        let mut sent = 0;
        for k in 0..keys {
            let key = format!("{kind}:{k}");
            for e in 0..elements {
                let member = format!("member-{e}-{}", "x".repeat(e % 30));
                let score = e.to_string();
                let value = format!("value-{k}-{}", "v".repeat(k % 40));
                let args: Vec<&str> = match kind {
                    "string" => vec!["SET", &key, &value],
                    "list" => vec!["RPUSH", &key, &member],
                    "set" => vec!["SADD", &key, &member],
                    "hash" | "smallhash" => vec!["HSET", &key, &member, "v"],
                    "zset" => vec!["ZADD", &key, &score, &member],
                    _ => vec!["XADD", &key, "*", "f", &member],
                };
                c.send(&args).unwrap();
                sent += 1;
                // Pipelined in batches of 100, so that buffers stay small
                // beside the data.
                if sent % 100 == 0 {
                    for _ in 0..100 {
                        assert!(!matches!(c.read_frame().unwrap(), Frame::Error(_)));
                    }
                }
            }
        }
        for _ in 0..sent % 100 {
            assert!(!matches!(c.read_frame().unwrap(), Frame::Error(_)));
        }
        // The key table (whose slots hold the entries, with spare
        // capacity as it grows) is the database's overhead in MEMORY
        // STATS; MEMORY USAGE counts each key's slot too, as Redis counts
        // a dictEntry in both. Both sides are compared without the table.
        let after = stats(&mut c);
        let table = after
            .get("db.0.overhead.hashtable.main")
            .copied()
            .unwrap_or(0.0)
            + after
                .get("db.0.overhead.hashtable.expires")
                .copied()
                .unwrap_or(0.0);
        let grown = after["total.allocated"] - before - table;
        let mut usage = 0;
        for k in 0..keys {
            usage += int(
                &mut c,
                &["MEMORY", "USAGE", &format!("{kind}:{k}"), "SAMPLES", "0"],
            );
        }
        let usage = usage - keys as i64 * slot;
        let ratio = usage as f64 / grown;
        assert!(
            (0.8..1.6).contains(&ratio),
            "{kind}: usage {usage}, allocated {grown}"
        );
    }
}
