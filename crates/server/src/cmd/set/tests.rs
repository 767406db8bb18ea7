use crate::cmd::reply::testing::{bulk, err, int, Harness};
use moat_resp::Frame;

fn members(h: &mut Harness, line: &str) -> Vec<Frame> {
    match h.run(line) {
        Frame::Array(items) | Frame::Set(items) => items,
        other => panic!("not a collection: {other:?}"),
    }
}

#[test]
fn listpack_sets_of_redis_7_2() {
    let mut h = Harness::new();
    h.run("SADD s b a c");
    assert_eq!(h.run("OBJECT ENCODING s"), bulk("listpack"));
    assert_eq!(
        members(&mut h, "SMEMBERS s"),
        vec![bulk("b"), bulk("a"), bulk("c")]
    );
    h.run("SADD i 3 1 2");
    assert_eq!(h.run("OBJECT ENCODING i"), bulk("intset"));
    h.run("SADD i 05");
    assert_eq!(h.run("OBJECT ENCODING i"), bulk("listpack"));
    assert_eq!(
        members(&mut h, "SMEMBERS i"),
        vec![bulk("1"), bulk("2"), bulk("3"), bulk("05")]
    );
    let many: Vec<String> = (0..129).map(|i| format!("m{i}")).collect();
    h.run(&format!("SADD big {}", many.join(" ")));
    assert_eq!(h.run("OBJECT ENCODING big"), bulk("hashtable"));
}

#[test]
fn spop_with_count_removes_what_it_returns() {
    let mut h = Harness::new();
    h.run("SADD p 1 2 3 4 5 6 7 8 9 10");
    let mut seen = Vec::new();
    for n in [3, 6] {
        let popped = members(&mut h, &format!("SPOP p {n}"));
        assert_eq!(popped.len(), n);
        for m in popped {
            let Frame::Bulk(text) = &m else { panic!() };
            let text = String::from_utf8(text.to_vec()).unwrap();
            assert_eq!(h.run(&format!("SISMEMBER p {text}")), int(0));
            assert!(!seen.contains(&m));
            seen.push(m);
        }
    }
    assert_eq!(h.run("SCARD p"), int(1));
    assert_eq!(h.run("OBJECT ENCODING p"), bulk("intset"));
    let words: Vec<String> = (0..200).map(|i| format!("w{i}")).collect();
    h.run(&format!("SADD w {}", words.join(" ")));
    assert_eq!(members(&mut h, "SPOP w 190").len(), 190);
    assert_eq!(h.run("SCARD w"), int(10));
    // A hash table that shrank this much is rebuilt as a listpack.
    assert_eq!(h.run("OBJECT ENCODING w"), bulk("listpack"));
    assert_eq!(
        h.run("SPOP w x"),
        err("ERR value is out of range, must be positive")
    );
}

#[test]
fn srandmember_distinct_and_repeated() {
    let mut h = Harness::new();
    h.run("SADD s a b c d e");
    let distinct = members(&mut h, "SRANDMEMBER s 3");
    assert_eq!(distinct.len(), 3);
    for (i, m) in distinct.iter().enumerate() {
        assert!(!distinct[i + 1..].contains(m));
    }
    assert_eq!(members(&mut h, "SRANDMEMBER s -20").len(), 20);
    assert_eq!(h.run("SCARD s"), int(5));
}

#[test]
fn scan_walks_a_big_set_completely() {
    let mut h = Harness::new();
    let words: Vec<String> = (0..300).map(|i| format!("w{i}")).collect();
    h.run(&format!("SADD s {}", words.join(" ")));
    let mut cursor = "0".to_owned();
    let mut seen = 0;
    loop {
        let Frame::Array(reply) = h.run(&format!("SSCAN s {cursor} COUNT 13")) else {
            panic!()
        };
        let (Frame::Bulk(next), Frame::Array(items)) = (&reply[0], &reply[1]) else {
            panic!()
        };
        seen += items.len();
        cursor = String::from_utf8(next.to_vec()).unwrap();
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen, 300);
}
