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

#[test]
fn expiry_deletions_are_unlink_under_lazyfree_lazy_expire() {
    let mut h = harness();
    h.ks.lazyfree_lazy_expire = true;
    propagated(&mut h, "set k v");
    assert_eq!(propagated(&mut h, "expire k 0"), ["0: UNLINK k"]);
    propagated(&mut h, "set k v");
    assert_eq!(propagated(&mut h, "pexpireat k 1"), ["0: UNLINK k"]);
    propagated(&mut h, "set k v");
    assert_eq!(propagated(&mut h, "getex k pxat 1"), ["0: UNLINK k"]);
    // A key found expired by a command (lazy expiry).
    propagated(&mut h, "set k v px 10");
    h.now_ms += 20;
    assert_eq!(propagated(&mut h, "get k"), ["0: UNLINK k"]);
    // Active expiry.
    propagated(&mut h, "set a v px 10");
    h.now_ms += 20;
    h.ks.active_expire_cycle(h.now_ms, 100);
    let stated: Vec<_> =
        h.ks.propagate
            .take()
            .into_iter()
            .map(|op| op.argv)
            .collect();
    assert_eq!(stated, [vec![crate::db::word("UNLINK"), "a".into()]]);
    // Off again: DEL.
    h.ks.lazyfree_lazy_expire = false;
    propagated(&mut h, "set k v");
    assert_eq!(propagated(&mut h, "expire k 0"), ["0: DEL k"]);
}

#[test]
fn group_reads_and_claims_propagate_as_idempotent_xclaims() {
    let mut h = harness();
    let t = h.now_ms;
    for id in ["1-0", "2-0", "3-0"] {
        propagated(&mut h, &format!("xadd x {id} f v"));
    }
    propagated(&mut h, "xgroup create x g 0");
    assert_eq!(
        propagated(&mut h, "xreadgroup group g a count 2 streams x >"),
        [
            format!("0: XCLAIM x g a 0 1-0 TIME {t} RETRYCOUNT 1 FORCE JUSTID LASTID 1-0"),
            format!("0: XCLAIM x g a 0 2-0 TIME {t} RETRYCOUNT 1 FORCE JUSTID LASTID 2-0"),
        ]
    );
    // Reading history propagates nothing.
    assert!(propagated(&mut h, "xreadgroup group g a streams x 0").is_empty());
    // The id as given; the group's last id after LASTID.
    assert_eq!(
        propagated(&mut h, "xclaim x g b 0 1 time 5 lastid 2-5"),
        ["0: XCLAIM x g b 0 1 TIME 5 RETRYCOUNT 3 FORCE JUSTID LASTID 2-5"]
    );
    // Nothing claimed: the moved last id alone, or nothing at all.
    assert_eq!(
        propagated(&mut h, "xclaim x g b 0 9-0 lastid 2-9"),
        ["0: XGROUP SETID x g 2-9 ENTRIESREAD 2"]
    );
    assert!(propagated(&mut h, "xclaim x g b 0 9-0 lastid 2-0").is_empty());
    // A deleted entry leaves the PEL as the claim of its record as it was.
    propagated(&mut h, "xdel x 2-0");
    assert_eq!(
        propagated(&mut h, "xautoclaim x g c 0 0 justid"),
        [
            format!("0: XCLAIM x g c 0 1-0 TIME {t} RETRYCOUNT 3 FORCE JUSTID LASTID 2-9"),
            format!("0: XCLAIM x g a 0 2-0 TIME {t} RETRYCOUNT 2 FORCE JUSTID LASTID 2-9"),
        ]
    );
    // NOACK: a new consumer's creation, then the group's new last id.
    assert_eq!(
        propagated(&mut h, "xreadgroup group g d noack streams x >"),
        [
            "0: XGROUP CREATECONSUMER x g d",
            "0: XGROUP SETID x g 3-0 ENTRIESREAD 3",
        ]
    );
}

#[test]
fn approximate_trims_and_generated_ids_are_restated_exactly() {
    let mut h = harness();
    h.ks.stream_node_limits.0 = 2;
    for id in 1..=5 {
        propagated(&mut h, &format!("xadd x {id}-0 f v"));
    }
    propagated(&mut h, "xdel x 3-0");
    // The first id counts the deleted entry still in the first node.
    assert_eq!(
        propagated(&mut h, "xtrim x minid ~ 4-0"),
        ["0: xtrim x minid = 3-0"]
    );
    assert!(propagated(&mut h, "xtrim x minid ~ 4-0").is_empty());
    assert_eq!(
        propagated(&mut h, "xadd x maxlen ~ 100 6-0 f v"),
        ["0: xadd x maxlen = 3 6-0 f v"]
    );
    assert_eq!(propagated(&mut h, "xadd x 6-* f v"), ["0: xadd x 6-1 f v"]);
    let at = h.now_ms;
    assert_eq!(
        propagated(&mut h, "xadd y * f v"),
        [format!("0: xadd y {at}-0 f v")]
    );
}
