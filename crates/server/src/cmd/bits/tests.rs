//! Handler tests for the bit commands; expected replies were checked
//! against redis-server.

use crate::cmd::reply::testing::{err, int, ok, Harness};
use moat_resp::Frame;

const OFFSET: &str = "ERR bit offset is not an integer or out of range";

#[test]
fn setbit_and_getbit() {
    let mut h = Harness::new();
    assert_eq!(h.run("setbit k 7 1"), int(0));
    assert_eq!(h.run("setbit k 7 1"), int(1));
    assert_eq!(h.run("getbit k 7"), int(1));
    assert_eq!(h.run("getbit k 6"), int(0));
    assert_eq!(h.run("getbit k 1000"), int(0));
    assert_eq!(h.run("getbit nokey 0"), int(0));
    assert_eq!(h.run("get k"), crate::cmd::reply::testing::bulk("\u{1}"));
    assert_eq!(h.run("setbit k x 1"), err(OFFSET));
    assert_eq!(h.run("setbit k -1 1"), err(OFFSET));
    assert_eq!(h.run("setbit k 4294967296 1"), err(OFFSET));
    assert_eq!(h.run("getbit k 4294967296"), err(OFFSET));
    assert_eq!(
        h.run("setbit k 1 2"),
        err("ERR bit is not an integer or out of range")
    );
    h.run("set n 5");
    assert_eq!(h.run("setbit n 0 1"), int(0));
    assert_eq!(
        h.run("object encoding n"),
        crate::cmd::reply::testing::bulk("raw")
    );
}

#[test]
fn bitcount_ranges() {
    let mut h = Harness::new();
    h.run("set a foobar");
    assert_eq!(h.run("bitcount a"), int(26));
    assert_eq!(h.run("bitcount a 0 0"), int(4));
    assert_eq!(h.run("bitcount a 1 1"), int(6));
    assert_eq!(h.run("bitcount a 1 1 byte"), int(6));
    assert_eq!(h.run("bitcount a 5 30 bit"), int(17));
    assert_eq!(h.run("bitcount a 1 1 bit"), int(1));
    assert_eq!(h.run("bitcount a -1 -2"), int(0));
    assert_eq!(h.run("bitcount a -2 -1"), int(7));
    assert_eq!(h.run("bitcount nokey"), int(0));
    assert_eq!(h.run("bitcount a 0"), err("ERR syntax error"));
    assert_eq!(h.run("bitcount a 0 1 foo"), err("ERR syntax error"));
    assert_eq!(
        h.run("bitcount a x 1"),
        err("ERR value is not an integer or out of range")
    );
}

#[test]
fn bitpos_search() {
    let mut h = Harness::new();
    h.run_args(&[b"set", b"k", b"\xff\xf0\x00"]);
    assert_eq!(h.run("bitpos k 0"), int(12));
    assert_eq!(h.run("bitpos k 1 2"), int(-1));
    assert_eq!(h.run("bitpos k 1 1"), int(8));
    assert_eq!(h.run("bitpos k 0 0 -1 bit"), int(12));
    assert_eq!(h.run("bitpos k 1 7 15 bit"), int(7));
    h.run_args(&[b"set", b"full", b"\xff\xff"]);
    assert_eq!(h.run("bitpos full 0"), int(16));
    assert_eq!(h.run("bitpos full 0 0"), int(16));
    assert_eq!(h.run("bitpos full 0 0 -1"), int(-1));
    assert_eq!(h.run("bitpos nokey 1"), int(-1));
    assert_eq!(h.run("bitpos nokey 0"), int(0));
    assert_eq!(
        h.run("bitpos k 2"),
        err("ERR The bit argument must be 1 or 0.")
    );
    assert_eq!(h.run("bitpos k 0 1 1 foo"), err("ERR syntax error"));
    h.run("set a foobar");
    assert_eq!(h.run("bitpos a 0 0 -1 bit"), int(0));
    assert_eq!(h.run("bitpos a 1 2 -1 byte"), int(17));
}

#[test]
fn bitop_operations() {
    let mut h = Harness::new();
    h.run_args(&[b"set", b"a", b"\xf0\x0f"]);
    h.run_args(&[b"set", b"b", b"\xff"]);
    assert_eq!(h.run("bitop and d a b"), int(2));
    assert_eq!(
        h.run_args(&[b"get", b"d"]),
        Frame::Bulk(bytes::Bytes::from_static(b"\xf0\x00"))
    );
    assert_eq!(h.run("bitop or d a b"), int(2));
    assert_eq!(
        h.run_args(&[b"get", b"d"]),
        Frame::Bulk(bytes::Bytes::from_static(b"\xff\x0f"))
    );
    assert_eq!(h.run("bitop xor d a b"), int(2));
    assert_eq!(
        h.run_args(&[b"get", b"d"]),
        Frame::Bulk(bytes::Bytes::from_static(b"\x0f\x0f"))
    );
    assert_eq!(h.run("bitop not d a"), int(2));
    assert_eq!(
        h.run_args(&[b"get", b"d"]),
        Frame::Bulk(bytes::Bytes::from_static(b"\x0f\xf0"))
    );
    assert_eq!(
        h.run("object encoding d"),
        crate::cmd::reply::testing::bulk("raw")
    );
    assert_eq!(
        h.run("bitop not d a b"),
        err("ERR BITOP NOT must be called with a single source key.")
    );
    assert_eq!(h.run("bitop foo d a"), err("ERR syntax error"));
    assert_eq!(h.run("bitop and d x y"), int(0));
    assert_eq!(h.run("exists d"), int(0));
}

#[test]
fn bitfield_operations() {
    let mut h = Harness::new();
    assert_eq!(
        h.run(
            "bitfield k incrby u2 100 1 overflow sat incrby u2 102 5 overflow fail incrby u2 102 5"
        ),
        Frame::Array(vec![int(1), int(3), Frame::Null])
    );
    assert_eq!(
        h.run("object encoding k"),
        crate::cmd::reply::testing::bulk("raw")
    );
    assert_eq!(
        h.run("bitfield n set u8 0 -1 get u8 0"),
        Frame::Array(vec![int(0), int(255)])
    );
    assert_eq!(
        h.run("bitfield n set i8 #1 -100 get i8 8"),
        Frame::Array(vec![int(0), int(-100)])
    );
    assert_eq!(
        h.run("bitfield n incrby i8 8 -100"),
        Frame::Array(vec![int(56)])
    );
    assert_eq!(
        h.run("bitfield n overflow fail incrby i8 8 100"),
        Frame::Array(vec![Frame::Null])
    );
    assert_eq!(
        h.run("bitfield_ro n get u8 0"),
        Frame::Array(vec![int(255)])
    );
    assert_eq!(
        h.run("bitfield nokey get i64 0"),
        Frame::Array(vec![int(0)])
    );
    assert_eq!(h.run("bitfield nokey"), Frame::Array(vec![]));
    assert_eq!(h.run("exists nokey"), int(0));
    assert_eq!(
        h.run("bitfield_ro n set u8 0 1"),
        err("ERR BITFIELD_RO only supports the GET subcommand")
    );
    assert_eq!(
        h.run("bitfield n overflow foo"),
        err("ERR Invalid OVERFLOW type specified")
    );
    assert_eq!(h.run("bitfield n get u64 0"), err("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."));
    assert_eq!(h.run("bitfield n get i8 -1"), err(OFFSET));
    assert_eq!(h.run("bitfield n get i8"), err("ERR syntax error"));
    assert_eq!(
        h.run("bitfield n set i8 0 x"),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(h.run("set s v"), ok());
    assert_eq!(h.run("bitfield s get u8 0"), Frame::Array(vec![int(118)]));
}
