//! A dataset of every type moat has, in every encoding Redis would pick,
//! and a summary of everything observable about it, so that two servers
//! holding "the same data" can be compared: shared by the RDB file tests
//! (`e2e_persistence`) and the DUMP/RESTORE tests (`e2e_dump`).
// Each test file uses a different part of this module.
#![allow(dead_code)]

use moat_resp::Frame;
use moat_testkit::Client;
use std::collections::BTreeMap;

pub fn call(c: &mut Client, args: &[&str]) -> Frame {
    c.call(args).expect("server answers")
}

pub fn text(frame: &Frame) -> String {
    match frame {
        Frame::Bulk(b) | Frame::Simple(b) => String::from_utf8_lossy(b).into_owned(),
        Frame::Integer(n) => n.to_string(),
        other => format!("{other:?}"),
    }
}

pub fn sorted_items(frame: Frame) -> Vec<String> {
    let mut items: Vec<String> = match frame {
        Frame::Array(items) | Frame::Set(items) => items.iter().map(text).collect(),
        other => vec![format!("{other:?}")],
    };
    items.sort();
    items
}

/// Every type moat has, in every encoding Redis would pick, in two
/// databases, some keys with a TTL.
pub fn populate(c: &mut Client) {
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

/// JSON documents (moat only: the reference server has no RedisJSON)
/// of every JSON type: nested objects and arrays, strings with unicode
/// and escapes, integers (i64 limits and above), floats, booleans, null;
/// one with a TTL and one in database 3, and one long enough for LZF.
pub fn json_documents() -> Vec<Vec<String>> {
    let long = format!("[{}]", vec![r#"{"k":"repeated text"}"#; 300].join(","));
    let docs = [
        (
            "j:object",
            r#"{"a":{"b":{"c":[1,[2,[3,{"d":null}]]]}},"e":[],"f":{}}"#,
        ),
        (
            "j:strings",
            r#"["caf\u00e9","\u263a \ud83d\ude00 ü","\"quoted\" \\ \/ \n\t\r\b\f\u0001",""]"#,
        ),
        (
            "j:numbers",
            r#"[0,-1,42,9223372036854775807,-9223372036854775808,18446744073709551615,2.5,-0.125,1e300,1.0,3.5e-10]"#,
        ),
        ("j:scalars", r#"{"t":true,"f":false,"n":null}"#),
        ("j:int", "12345"),
        ("j:string", r#""top-level string""#),
        ("j:null", "null"),
        ("j:ttl", r#"{"expires":true}"#),
        ("j:long", long.as_str()),
    ];
    let mut cmds: Vec<Vec<String>> = docs
        .iter()
        .map(|(key, doc)| vec!["JSON.SET".into(), (*key).into(), "$".into(), (*doc).into()])
        .collect();
    cmds.push(vec!["PEXPIRE".into(), "j:ttl".into(), "86400000".into()]);
    cmds.push(vec!["SELECT".into(), "3".into()]);
    cmds.push(vec![
        "JSON.SET".into(),
        "db3:json".into(),
        "$".into(),
        r#"{"db":3}"#.into(),
    ]);
    cmds.push(vec!["SELECT".into(), "0".into()]);
    cmds
}

/// Runs `cmds`, each of which must succeed.
pub fn run_all(c: &mut Client, cmds: &[Vec<String>]) {
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
pub fn lists_and_sorted_sets() -> Vec<Vec<String>> {
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
pub fn streams() -> Vec<Vec<String>> {
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
pub fn render(frame: &Frame) -> String {
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
pub fn fields_of(frame: &Frame, keep: &[&str]) -> String {
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
pub fn stream_summary(c: &mut Client, key: &str) -> String {
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
pub fn zset_items(frame: Frame) -> String {
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
pub enum Encodings {
    /// Strings, hashes and sorted sets: Redis 7.0 and 7.2 agree on them.
    Shared,
    /// Sets and lists too, against a server with Redis 7.2's listpack sets
    /// and lists (7.0 has only quicklists).
    WithSets,
}

/// Everything observable about the keys of databases 0 and 3.
pub fn dump(c: &mut Client, encodings: Encodings) -> BTreeMap<String, String> {
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
                "ReJSON-RL" => text(&call(c, &["JSON.GET", &key])),
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
