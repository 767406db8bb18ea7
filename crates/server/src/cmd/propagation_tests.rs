//! What handlers put in the propagation buffer in place of argv that
//! would not replay to the same dataset.

use super::reply::testing::Harness;
use crate::db::Own;

/// Runs `line` as dispatch does and returns what it propagates, as text.
fn propagated(h: &mut Harness, line: &str) -> Vec<String> {
    let enclosing = h.ks.propagate.begin_command();
    let dirty = h.ks.dirty;
    let db = h.client.db;
    h.run(line);
    let argv: Vec<bytes::Bytes> = line
        .split_whitespace()
        .map(|w| bytes::Bytes::copy_from_slice(w.as_bytes()))
        .collect();
    let wrote = h.ks.dirty != dirty;
    h.ks.propagate.end_command(enclosing, wrote, db, &argv);
    h.ks.propagate
        .take()
        .into_iter()
        .map(|op| {
            let words: Vec<String> = op
                .argv
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            format!("{}: {}", op.db, words.join(" "))
        })
        .collect()
}

fn harness() -> Harness {
    let mut h = Harness::new();
    h.ks.propagate.enabled = true;
    h
}

#[test]
fn relative_ttls_become_absolute() {
    let mut h = harness();
    let at = h.now_ms + 10_000;
    assert_eq!(
        propagated(&mut h, "set k v ex 10"),
        [format!("0: SET k v PXAT {at}")]
    );
    assert_eq!(
        propagated(&mut h, "psetex p 10000 v"),
        [format!("0: SET p v PXAT {at}")]
    );
    assert_eq!(
        propagated(&mut h, "expire k 10"),
        [format!("0: PEXPIREAT k {at}")]
    );
    assert_eq!(
        propagated(&mut h, "getex k px 10000"),
        [format!("0: PEXPIREAT k {at}")]
    );
    assert_eq!(propagated(&mut h, "getex k persist"), ["0: PERSIST k"]);
    assert_eq!(propagated(&mut h, "expire k -1"), ["0: DEL k"]);
    assert!(
        propagated(&mut h, "expire k 10").is_empty(),
        "no key, no write"
    );
}

#[test]
fn computed_and_random_results_are_stated() {
    let mut h = harness();
    assert_eq!(
        propagated(&mut h, "incrbyfloat f 1.5"),
        ["0: SET f 1.5 KEEPTTL"]
    );
    assert_eq!(
        propagated(&mut h, "hincrbyfloat h x 2.5"),
        ["0: HSET h x 2.5"]
    );
    propagated(&mut h, "sadd s a");
    assert_eq!(propagated(&mut h, "spop s"), ["0: SREM s a"]);
    propagated(&mut h, "sadd s a b c");
    assert_eq!(propagated(&mut h, "spop s 5"), ["0: DEL s"]);
    propagated(&mut h, "set g v");
    assert_eq!(propagated(&mut h, "getdel g"), ["0: DEL g"]);
}

#[test]
fn deterministic_writes_propagate_as_received_and_reads_not_at_all() {
    let mut h = harness();
    h.client.db = 4;
    assert_eq!(propagated(&mut h, "set a 1"), ["4: set a 1"]);
    assert_eq!(propagated(&mut h, "incr a"), ["4: incr a"]);
    assert!(propagated(&mut h, "get a").is_empty());
    assert!(propagated(&mut h, "set a 2 nx").is_empty());
    assert!(propagated(&mut h, "del nothing").is_empty());
    assert_eq!(h.ks.propagate.begin_command(), Own::AsIs);
}

#[test]
fn an_expired_key_is_deleted_before_the_command_that_found_it() {
    let mut h = harness();
    propagated(&mut h, "set k v px 5");
    h.now_ms += 10;
    assert_eq!(
        propagated(&mut h, "append k x"),
        ["0: DEL k", "0: append k x"]
    );
}

#[test]
fn commands_redis_restates_propagate_as_redis_writes_them() {
    let mut h = harness();
    let at = h.now_ms + 10_000;
    propagated(&mut h, "set s v");
    assert_eq!(propagated(&mut h, "set s w get"), ["0: set s w"]);
    assert_eq!(propagated(&mut h, "getset s x"), ["0: SET s x"]);
    assert_eq!(
        propagated(&mut h, "set s v pxat 4102444800000 get"),
        ["0: set s v pxat 4102444800000 get"]
    );
    assert_eq!(
        propagated(&mut h, "expire s 10 lt"),
        [format!("0: PEXPIREAT s {at} lt")]
    );
    propagated(&mut h, "rpush l a b c");
    assert!(propagated(&mut h, "ltrim l 0 10").is_empty());
    assert_eq!(
        propagated(&mut h, "lmpop 2 no l left count 5"),
        ["0: LPOP l 3"]
    );
    propagated(&mut h, "zadd z 1 a 2 b");
    assert_eq!(
        propagated(&mut h, "zmpop 1 z max count 5"),
        ["0: ZPOPMAX z 2"]
    );
    propagated(&mut h, "zadd z 1 a");
    assert_eq!(propagated(&mut h, "bzpopmin z 1"), ["0: ZPOPMIN z"]);
    assert_eq!(
        propagated(&mut h, "geoadd g 13.361389 38.115556 p"),
        ["0: zadd g 3479099956230698 p"]
    );
}
