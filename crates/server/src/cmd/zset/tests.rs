use crate::cmd::reply::testing::{bulk, err, int, Harness};
use moat_resp::Frame;

#[test]
fn rank_with_score_is_7_2() {
    let mut h = Harness::new();
    h.run("ZADD z 1.5 a 2 b");
    assert_eq!(
        h.run("ZRANK z b WITHSCORE"),
        Frame::Array(vec![int(1), Frame::Double(2.0)])
    );
    assert_eq!(
        h.run("ZREVRANK z b withscore"),
        Frame::Array(vec![int(0), Frame::Double(2.0)])
    );
    assert_eq!(h.run("ZRANK z nomember WITHSCORE"), Frame::NullArray);
    assert_eq!(h.run("ZRANK nokey a WITHSCORE"), Frame::NullArray);
    assert_eq!(h.run("ZRANK z a WITHSCORES"), err("ERR syntax error"));
}

#[test]
fn scores_keep_their_exact_value() {
    let mut h = Harness::new();
    h.run("ZADD z 0.1 a");
    assert_eq!(h.run("ZSCORE z a"), Frame::Double(0.1));
    assert_eq!(h.run("ZINCRBY z 0.2 a"), Frame::Double(0.1 + 0.2));
    let Frame::Array(page) = h.run("ZSCAN z 0") else {
        panic!()
    };
    assert_eq!(
        page[1],
        Frame::Array(vec![bulk("a"), bulk("0.30000000000000004")])
    );
}

#[test]
fn encodings_switch_at_thresholds() {
    let mut h = Harness::new();
    let pairs: Vec<String> = (0..128).map(|i| format!("{i} m{i}")).collect();
    h.run(&format!("ZADD z {}", pairs.join(" ")));
    assert_eq!(h.run("OBJECT ENCODING z"), bulk("listpack"));
    h.run("ZADD z 1000 extra");
    assert_eq!(h.run("OBJECT ENCODING z"), bulk("skiplist"));
    assert_eq!(h.run("ZCARD z"), int(129));
    assert_eq!(h.run("ZRANK z m5"), int(5));
    assert_eq!(h.run("ZREVRANK z extra"), int(0));
    h.run("ZRANGESTORE small z 0 9");
    assert_eq!(h.run("OBJECT ENCODING small"), bulk("listpack"));
    h.run("ZUNIONSTORE copy 1 z");
    assert_eq!(h.run("OBJECT ENCODING copy"), bulk("skiplist"));
    assert_eq!(h.run("TYPE z"), Frame::simple("zset"));
}

#[test]
fn nan_results_are_refused_and_change_nothing() {
    let mut h = Harness::new();
    h.run("ZADD z +inf a");
    assert_eq!(
        h.run("ZINCRBY z -inf a"),
        err("ERR resulting score is not a number (NaN)")
    );
    assert_eq!(h.run("ZSCORE z a"), Frame::Double(f64::INFINITY));
}

#[test]
fn scan_walks_a_big_zset_completely() {
    let mut h = Harness::new();
    let pairs: Vec<String> = (0..300).map(|i| format!("{i} m{i}")).collect();
    h.run(&format!("ZADD z {}", pairs.join(" ")));
    let mut cursor = "0".to_owned();
    let mut seen = 0;
    loop {
        let Frame::Array(reply) = h.run(&format!("ZSCAN z {cursor} COUNT 11")) else {
            panic!()
        };
        let (Frame::Bulk(next), Frame::Array(items)) = (&reply[0], &reply[1]) else {
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
