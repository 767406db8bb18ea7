//! How many changes (`rdb_changes_since_last_save`) handlers count: one
//! per writing command unless the command states its own amount, as
//! Redis's per-command `server.dirty` amounts. The full comparison with
//! redis-server is `tests/differential_dirty.rs`; these pin the rules.

use super::reply::testing::Harness;

fn counts(setup: &[&str], line: &str) -> u64 {
    let mut h = Harness::new();
    for command in setup {
        h.run(command);
    }
    h.changes(line)
}

#[test]
fn a_key_created_then_filled_is_one_change() {
    assert_eq!(counts(&[], "SETBIT b 7 1"), 1);
    assert_eq!(counts(&[], "HINCRBY h f 1"), 1);
    assert_eq!(counts(&[], "XADD x 1-0 f v"), 1);
}

#[test]
fn commands_touching_two_keys_count_one() {
    assert_eq!(counts(&["SET a v"], "RENAME a b"), 1);
    assert_eq!(counts(&["RPUSH l a b"], "LMOVE l dst LEFT RIGHT"), 1);
}

#[test]
fn per_element_commands_count_their_elements() {
    assert_eq!(counts(&[], "LPUSH l a b c"), 3);
    assert_eq!(counts(&["SADD s a"], "SADD s a b c"), 2);
    assert_eq!(counts(&["HSET h f v"], "HSET h f v g w"), 2);
    assert_eq!(counts(&["SET a v", "SET b v"], "DEL a b c"), 2);
    assert_eq!(counts(&[], "MSET a 1 b 2 a 3"), 3);
    assert_eq!(counts(&["ZADD z 1 a"], "ZADD z 1 a 2 b 3 c"), 2);
    assert_eq!(counts(&["RPUSH l a b a c a"], "LREM l 0 a"), 3);
    assert_eq!(counts(&["SADD s a", "SADD t a"], "SMOVE s t a"), 1);
    assert_eq!(counts(&["SADD s a"], "SMOVE s t a"), 2);
}

#[test]
fn created_keys_count_in_pfadd() {
    assert_eq!(counts(&[], "PFADD p"), 1);
    assert_eq!(counts(&[], "PFADD p a"), 2);
    assert_eq!(counts(&["PFADD p a"], "PFADD p a"), 0);
}

#[test]
fn writes_that_change_nothing_count_none() {
    assert_eq!(counts(&["RPUSH l a b"], "LTRIM l 0 -1"), 0);
    assert_eq!(counts(&[], "BITFIELD b OVERFLOW FAIL INCRBY u2 0 10"), 0);
    assert_eq!(counts(&["XADD x 1-0 f v"], "XGROUP DESTROY x nogroup"), 0);
    assert_eq!(counts(&[], "DEL missing"), 0);
    assert_eq!(counts(&["SET s v"], "LPUSH s a"), 0);
}

#[test]
fn flushdb_counts_the_keys_it_removed() {
    assert_eq!(counts(&["SET a v", "SET b v"], "FLUSHDB"), 2);
    assert_eq!(counts(&[], "FLUSHDB"), 0);
}

#[test]
fn stream_groups_count_consumers_and_claims() {
    let pending = ["XADD x 1-0 f v", "XADD x 2-0 f v", "XGROUP CREATE x g 0"];
    // A consumer created, and the stream served.
    assert_eq!(counts(&pending, "XREADGROUP GROUP g c STREAMS x >"), 2);
    let read = [&pending[..], &["XREADGROUP GROUP g c STREAMS x >"]].concat();
    // A consumer created, and each record claimed.
    assert_eq!(counts(&read, "XCLAIM x g d 0 1-0 2-0"), 3);
    assert_eq!(counts(&read, "XACK x g 1-0 2-0 3-0"), 2);
}
