use crate::cmd::reply::testing::{bulk, err, int, ok, Harness};
use moat_resp::Frame;

fn fields(h: &mut Harness, line: &str) -> Vec<Frame> {
    match h.run(line) {
        Frame::Array(items) => items,
        Frame::Map(pairs) => pairs.into_iter().flat_map(|(k, v)| [k, v]).collect(),
        other => panic!("not a collection: {other:?}"),
    }
}

#[test]
fn set_get_delete_and_empty_hashes_vanish() {
    let mut h = Harness::new();
    assert_eq!(h.run("HSET h a 1 b 2 a 3"), int(2));
    assert_eq!(h.run("HGET h a"), bulk("3"));
    assert_eq!(h.run("HMSET h c 4"), ok());
    assert_eq!(
        fields(&mut h, "HGETALL h"),
        vec![
            bulk("a"),
            bulk("3"),
            bulk("b"),
            bulk("2"),
            bulk("c"),
            bulk("4")
        ]
    );
    assert_eq!(h.run("HDEL h a b c x"), int(3));
    assert_eq!(h.run("EXISTS h"), int(0));
    assert_eq!(
        h.run("HSET h a"),
        err("ERR wrong number of arguments for 'hset' command")
    );
}

#[test]
fn counters_follow_redis_errors() {
    let mut h = Harness::new();
    assert_eq!(h.run("HINCRBY h n 5"), int(5));
    assert_eq!(h.run("HSET h s abc"), int(1));
    assert_eq!(
        h.run("HINCRBY h s 1"),
        err("ERR hash value is not an integer")
    );
    assert_eq!(
        h.run("HINCRBYFLOAT h s 1"),
        err("ERR hash value is not a float")
    );
    assert_eq!(h.run("HINCRBYFLOAT h n 1.5"), bulk("6.5"));
    assert_eq!(
        h.run("HINCRBYFLOAT h n inf"),
        err("ERR value is NaN or Infinity")
    );
    assert_eq!(
        h.run("HINCRBY h n x"),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(h.run("HSET h big 9223372036854775807"), int(1));
    assert_eq!(
        h.run("HINCRBY h big 1"),
        err("ERR increment or decrement would overflow")
    );
}

#[test]
fn encodings_switch_at_redis_thresholds() {
    let mut h = Harness::new();
    h.run("HSET h a 1");
    assert_eq!(h.run("OBJECT ENCODING h"), bulk("listpack"));
    let long = "x".repeat(65);
    h.run(&format!("HSET h b {long}"));
    assert_eq!(h.run("OBJECT ENCODING h"), bulk("hashtable"));
    assert_eq!(h.run("TYPE h"), Frame::simple("hash"));
    h.run("SET s v");
    assert_eq!(
        h.run("HGET s a"),
        err("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
}

#[test]
fn randfield_counts() {
    let mut h = Harness::new();
    h.run("HSET h a 1 b 2 c 3");
    assert_eq!(fields(&mut h, "HRANDFIELD h 10").len(), 3);
    assert_eq!(fields(&mut h, "HRANDFIELD h 2").len(), 2);
    assert_eq!(fields(&mut h, "HRANDFIELD h -7").len(), 7);
    assert_eq!(fields(&mut h, "HRANDFIELD h -2 WITHVALUES").len(), 4);
    assert_eq!(h.run("HRANDFIELD h 1 x"), err("ERR syntax error"));
    assert_eq!(h.run("HRANDFIELD nokey"), Frame::Null);
}

#[test]
fn scan_walks_a_big_hash_completely() {
    let mut h = Harness::new();
    for i in 0..300 {
        h.run(&format!("HSET h f{i} {i}"));
    }
    let mut cursor = "0".to_owned();
    let mut seen = 0;
    loop {
        let Frame::Array(reply) = h.run(&format!("HSCAN h {cursor} COUNT 7")) else {
            panic!()
        };
        let Frame::Bulk(next) = &reply[0] else {
            panic!()
        };
        let Frame::Array(items) = &reply[1] else {
            panic!()
        };
        seen += items.len() / 2;
        cursor = String::from_utf8(next.to_vec()).unwrap();
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen, 300);
}

#[test]
fn distinct_samples_keep_storage_order() {
    let mut h = Harness::new();
    h.run("HSET h a 1 b 2 c 3 d 4 e 5 f 6");
    let order = ["a", "b", "c", "d", "e", "f"];
    for _ in 0..20 {
        let picked = fields(&mut h, "HRANDFIELD h 3");
        assert_eq!(picked.len(), 3);
        let positions: Vec<usize> = picked
            .iter()
            .map(|f| order.iter().position(|o| bulk(o) == *f).unwrap())
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    }
}
