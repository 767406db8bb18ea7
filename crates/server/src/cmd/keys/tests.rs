//! Handler tests for the generic key commands; expected replies were
//! checked against redis-server.

use crate::cmd::reply::testing::{bulk, err, int, ok, Harness};
use bytes::Bytes;
use moat_resp::Frame;
use proptest::prelude::*;
use std::collections::BTreeSet;

fn keys_of(frame: Frame) -> BTreeSet<String> {
    let Frame::Array(items) = frame else {
        panic!("not an array: {frame:?}")
    };
    items
        .into_iter()
        .map(|item| match item {
            Frame::Bulk(b) => String::from_utf8(b.to_vec()).unwrap(),
            other => panic!("not a bulk: {other:?}"),
        })
        .collect()
}

fn set_of(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// Runs SCAN to completion with the given options; returns every key seen.
fn full_scan(h: &mut Harness, options: &str) -> BTreeSet<String> {
    let mut cursor = "0".to_owned();
    let mut seen = BTreeSet::new();
    loop {
        let Frame::Array(reply) = h.run(&format!("scan {cursor} {options}")) else {
            panic!("scan reply")
        };
        let [Frame::Bulk(next), keys] = &reply[..] else {
            panic!("scan shape")
        };
        seen.extend(keys_of(keys.clone()));
        cursor = String::from_utf8(next.to_vec()).unwrap();
        if cursor == "0" {
            return seen;
        }
    }
}

#[test]
fn del_exists_type_touch() {
    let mut h = Harness::new();
    h.run("mset a 1 b 2");
    assert_eq!(h.run("exists a a b c"), int(3));
    assert_eq!(h.run("type a"), Frame::simple("string"));
    assert_eq!(h.run("type nokey"), Frame::simple("none"));
    assert_eq!(h.run("touch a b c"), int(2));
    assert_eq!(h.run("del a c"), int(1));
    assert_eq!(h.run("unlink b a"), int(1));
    assert_eq!(h.run("dbsize"), int(0));
}

#[test]
fn rename_and_renamenx() {
    let mut h = Harness::new();
    assert_eq!(h.run("rename nokey x"), err("ERR no such key"));
    assert_eq!(h.run("renamenx nokey x"), err("ERR no such key"));
    h.run("set a 1 ex 100");
    assert_eq!(h.run("rename a a"), ok());
    assert_eq!(h.run("renamenx a a"), int(0));
    assert_eq!(h.run("rename a b"), ok());
    assert_eq!(h.run("exists a"), int(0));
    assert_eq!(h.run("ttl b"), int(100));
    h.run("set c 3");
    assert_eq!(h.run("renamenx b c"), int(0));
    assert_eq!(h.run("renamenx b d"), int(1));
    assert_eq!(h.run("rename d c"), ok());
    assert_eq!(h.run("get c"), bulk("1"));
    assert_eq!(h.run("ttl c"), int(100));
}

#[test]
fn keys_with_patterns() {
    let mut h = Harness::new();
    h.run("mset user:1 a user:2 b other c");
    assert_eq!(
        keys_of(h.run("keys *")),
        set_of(&["user:1", "user:2", "other"])
    );
    assert_eq!(keys_of(h.run("keys user:*")), set_of(&["user:1", "user:2"]));
    assert_eq!(keys_of(h.run("keys user:[2]")), set_of(&["user:2"]));
    h.run("pexpire other 10");
    h.now_ms += 11;
    assert_eq!(keys_of(h.run("keys *")), set_of(&["user:1", "user:2"]));
}

#[test]
fn scan_options_and_errors() {
    let mut h = Harness::new();
    for n in 0..50 {
        h.run(&format!("set key:{n} v"));
    }
    h.run("set other v");
    assert_eq!(full_scan(&mut h, "count 7").len(), 51);
    assert_eq!(full_scan(&mut h, "match key:1*").len(), 11);
    assert_eq!(full_scan(&mut h, "type string count 100").len(), 51);
    assert_eq!(full_scan(&mut h, "type STRING").len(), 51);
    assert_eq!(full_scan(&mut h, "type list").len(), 0);
    assert_eq!(h.run("scan 0 count 0"), err("ERR syntax error"));
    assert_eq!(
        h.run("scan 0 count x"),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(h.run("scan 0 match"), err("ERR syntax error"));
    assert_eq!(h.run("scan 0 foo bar"), err("ERR syntax error"));
    assert_eq!(h.run("scan x"), err("ERR invalid cursor"));
    assert_eq!(
        h.run("scan -1"),
        Frame::Array(vec![bulk("0"), Frame::Array(vec![])])
    );
}

#[test]
fn scan_reclaims_expired_keys() {
    let mut h = Harness::new();
    h.run("set gone v px 5");
    h.run("set kept v");
    h.now_ms += 10;
    assert_eq!(full_scan(&mut h, ""), set_of(&["kept"]));
    assert_eq!(h.ks.expired_keys, 1);
}

#[test]
fn randomkey_and_dbsize() {
    let mut h = Harness::new();
    assert_eq!(h.run("randomkey"), Frame::Null);
    h.run("set only v");
    assert_eq!(h.run("randomkey"), bulk("only"));
    assert_eq!(h.run("dbsize"), int(1));
}

#[test]
fn select_swapdb_move_copy() {
    let mut h = Harness::new();
    assert_eq!(h.run("select 16"), err("ERR DB index is out of range"));
    assert_eq!(h.run("select -1"), err("ERR DB index is out of range"));
    assert_eq!(
        h.run("select 4294967296"),
        err("ERR value is out of range, value must between -2147483648 and 2147483647")
    );
    assert_eq!(
        h.run("select x"),
        err("ERR value is not an integer or out of range")
    );
    h.run("set a 1 ex 100");
    assert_eq!(
        h.run("move a 0"),
        err("ERR source and destination objects are the same")
    );
    assert_eq!(h.run("move a 99"), err("ERR DB index is out of range"));
    assert_eq!(h.run("move nokey 1"), int(0));
    assert_eq!(h.run("move a 1"), int(1));
    assert_eq!(h.run("exists a"), int(0));
    assert_eq!(h.run("select 1"), ok());
    assert_eq!(h.client.db, 1);
    assert_eq!(h.run("ttl a"), int(100));
    assert_eq!(
        h.run("copy a a"),
        err("ERR source and destination objects are the same")
    );
    assert_eq!(h.run("copy a b db 99"), err("ERR DB index is out of range"));
    assert_eq!(h.run("copy a b db"), err("ERR syntax error"));
    assert_eq!(h.run("copy a b foo"), err("ERR syntax error"));
    assert_eq!(h.run("copy a b"), int(1));
    assert_eq!(h.run("ttl b"), int(100));
    assert_eq!(h.run("copy a b"), int(0));
    h.run("set a 2");
    assert_eq!(h.run("copy a b replace"), int(1));
    assert_eq!(h.run("get b"), bulk("2"));
    assert_eq!(h.run("ttl b"), int(-1));
    assert_eq!(h.run("copy a a db 0"), int(1));
    h.run("set c 3");
    assert_eq!(h.run("move c 0"), int(1));
    h.run("set c 4");
    assert_eq!(h.run("move c 0"), int(0));
    assert_eq!(h.run("swapdb x 1"), err("ERR invalid first DB index"));
    assert_eq!(h.run("swapdb 0 x"), err("ERR invalid second DB index"));
    assert_eq!(h.run("swapdb 0 99"), err("ERR DB index is out of range"));
    assert_eq!(h.run("swapdb 0 1"), ok());
    assert_eq!(h.run("get c"), bulk("3"));
}

#[test]
fn flush_commands() {
    let mut h = Harness::new();
    h.run("set a 1");
    h.run("select 2");
    h.run("set b 1");
    assert_eq!(h.run("flushdb x"), err("ERR syntax error"));
    assert_eq!(h.run("flushdb sync async"), err("ERR syntax error"));
    assert_eq!(h.run("flushdb async"), ok());
    assert_eq!(h.run("dbsize"), int(0));
    assert_eq!(h.ks.total_keys(), 1);
}

#[test]
fn object_subcommands() {
    let mut h = Harness::new();
    h.run("set s hello");
    h.run("set n 42");
    h.run("set big 12345");
    assert_eq!(h.run("object encoding s"), bulk("embstr"));
    assert_eq!(h.run("object encoding n"), bulk("int"));
    assert_eq!(h.run("object encoding nokey"), Frame::Null);
    assert_eq!(h.run("object refcount n"), int(2147483647));
    assert_eq!(h.run("object refcount big"), int(1));
    assert_eq!(h.run("object refcount s"), int(1));
    assert_eq!(h.run("object freq nokey"), Frame::Null);
    assert_eq!(
        h.run("object freq s"),
        err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
    );
    h.now_ms += 5_000;
    assert_eq!(h.run("object idletime s"), int(5));
    h.run("get s");
    assert_eq!(h.run("object idletime s"), int(0));
    h.ks.eviction.policy = crate::db::Policy::AllKeysLfu;
    h.run("set f v");
    assert_eq!(h.run("object freq f"), int(5));
    h.run("get f");
    assert_eq!(h.run("object freq f"), int(6));
    assert_eq!(
        h.run("object idletime f"),
        err("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
    );
    let Frame::Array(help) = h.run("object help") else {
        panic!("help is an array")
    };
    assert_eq!(help.len(), 15);
    assert_eq!(help[14], Frame::simple("    Print this help."));
}

#[test]
fn expire_family() {
    let mut h = Harness::new();
    let now = h.now_ms;
    h.run("set a 1");
    assert_eq!(
        h.run("expire a 10 nx xx"),
        err("ERR NX and XX, GT or LT options at the same time are not compatible")
    );
    assert_eq!(
        h.run("expire a 10 gt lt"),
        err("ERR GT and LT options at the same time are not compatible")
    );
    assert_eq!(
        h.run("expire a 10 nx gt"),
        err("ERR NX and XX, GT or LT options at the same time are not compatible")
    );
    assert_eq!(
        h.run("expire a x"),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        h.run("expire nokey 10 foo"),
        err("ERR Unsupported option foo")
    );
    assert_eq!(
        h.run("expire a 9223372036854775807"),
        err("ERR invalid expire time in 'expire' command")
    );
    assert_eq!(
        h.run("pexpire a 9223372036854775807"),
        err("ERR invalid expire time in 'pexpire' command")
    );
    assert_eq!(
        h.run("expireat a 9223372036854775807"),
        err("ERR invalid expire time in 'expireat' command")
    );
    assert_eq!(
        h.run("expire a -9223372036854775808"),
        err("ERR invalid expire time in 'expire' command")
    );
    assert_eq!(h.run("expire nokey 10"), int(0));
    assert_eq!(h.run("expire a 100 xx"), int(0));
    assert_eq!(h.run("expire a 100 gt"), int(0));
    assert_eq!(h.run("expire a 100 lt"), int(1));
    assert_eq!(h.run("expire a 200 nx"), int(0));
    assert_eq!(h.run("ttl a"), int(100));
    assert_eq!(h.run("expire a 50 gt"), int(0));
    assert_eq!(h.run("expire a 100 gt"), int(0));
    assert_eq!(h.run("expire a 150 gt"), int(1));
    assert_eq!(h.run("expire a 150 lt"), int(0));
    assert_eq!(h.run("pexpire a 1500 lt xx"), int(1));
    assert_eq!(h.run("pttl a"), int(1500));
    assert_eq!(h.run("ttl a"), int(2));
    assert_eq!(h.run(&format!("pexpireat a {}", now + 7000)), int(1));
    assert_eq!(h.run("pexpiretime a"), int(now + 7000));
    assert_eq!(h.run("expiretime a"), int((now + 7000) / 1000));
    assert_eq!(h.run(&format!("expireat a {}", now / 1000 + 60)), int(1));
    assert_eq!(h.run("pexpiretime a"), int((now / 1000 + 60) * 1000));
    assert_eq!(h.run("persist a"), int(1));
    assert_eq!(h.run("persist a"), int(0));
    assert_eq!(h.run("persist nokey"), int(0));
    assert_eq!(h.run("ttl a"), int(-1));
    assert_eq!(h.run("expiretime a"), int(-1));
    assert_eq!(h.run("ttl nokey"), int(-2));
    assert_eq!(h.run("pexpiretime nokey"), int(-2));
    assert_eq!(h.run("expire a -1"), int(1));
    assert_eq!(h.run("exists a"), int(0));
    h.run("set b 1");
    assert_eq!(h.run("expireat b 1"), int(1));
    assert_eq!(h.run("get b"), Frame::Null);
}

#[test]
fn expired_keys_are_invisible_everywhere() {
    let mut h = Harness::new();
    h.run("set a 1 px 10");
    h.now_ms += 11;
    assert_eq!(h.run("exists a"), int(0));
    assert_eq!(h.run("ttl a"), int(-2));
    assert_eq!(h.run("type a"), Frame::simple("none"));
    assert_eq!(h.run("rename a b"), err("ERR no such key"));
    assert_eq!(h.ks.expired_keys, 1);
}

#[test]
fn active_expiry_reclaims_without_access() {
    let mut h = Harness::new();
    for n in 0..100 {
        h.run(&format!("set k{n} v px 10"));
    }
    h.run("set keep v");
    h.now_ms += 20;
    while h.ks.db(0).len() > 1 {
        h.ks.active_expire_cycle(h.now_ms, 50);
    }
    assert_eq!(h.run("dbsize"), int(1));
    assert_eq!(h.ks.expired_keys, 100);
}

/// One step of the SCAN property test.
#[derive(Debug, Clone)]
enum Step {
    Insert(u16),
    Delete(u16),
    Scan(u8),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => any::<u16>().prop_map(|n| Step::Insert(n % 600)),
        3 => any::<u16>().prop_map(|n| Step::Delete(n % 600)),
        2 => (1u8..20).prop_map(Step::Scan),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Redis's SCAN guarantee: every key present from the start to the
    /// end of a full iteration is returned, whatever inserts and deletes
    /// (growing or shrinking the table) happen in between.
    #[test]
    fn scan_returns_every_key_present_throughout(
        initial in proptest::collection::btree_set(0u16..600, 0..300),
        steps in proptest::collection::vec(step(), 0..400),
    ) {
        let mut h = Harness::new();
        for n in &initial {
            h.run(&format!("set k{n} v"));
        }
        let mut present: BTreeSet<u16> = initial.clone();
        let mut never_removed: BTreeSet<u16> = initial;
        let mut cursor = Bytes::from_static(b"0");
        let mut returned = BTreeSet::new();
        let mut started = false;
        for step in steps.into_iter().chain(std::iter::repeat_n(Step::Scan(10), 2000)) {
            match step {
                Step::Insert(n) => {
                    h.run(&format!("set k{n} v"));
                    present.insert(n);
                }
                Step::Delete(n) => {
                    h.run(&format!("del k{n}"));
                    present.remove(&n);
                    never_removed.remove(&n);
                }
                Step::Scan(count) => {
                    let line = format!("scan {} count {count}", String::from_utf8_lossy(&cursor));
                    let Frame::Array(reply) = h.run(&line) else { panic!("scan reply") };
                    let [Frame::Bulk(next), keys] = &reply[..] else { panic!("scan shape") };
                    returned.extend(keys_of(keys.clone()));
                    cursor = next.clone();
                    started = true;
                    if &cursor[..] == b"0" {
                        break;
                    }
                }
            }
        }
        prop_assert!(started);
        for n in never_removed {
            prop_assert!(returned.contains(&format!("k{n}")), "k{} missing", n);
        }
    }
}
