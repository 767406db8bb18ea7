//! Handler tests for the string commands; expected replies were checked
//! against redis-server.

use crate::cmd::reply::testing::{bulk, err, int, ok, Harness};
use crate::db::Ttl;
use moat_resp::Frame;

const SYNTAX: &str = "ERR syntax error";
const NOT_INT: &str = "ERR value is not an integer or out of range";
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn ttl(h: &mut Harness, key: &str) -> Ttl {
    let now = h.now_ms;
    h.ks.view(0, now).ttl(key.as_bytes())
}

fn encoding(h: &mut Harness, key: &str) -> &'static str {
    let now = h.now_ms;
    h.ks.view(0, now)
        .lookup(key.as_bytes(), crate::db::Access::Peek)
        .map_or("none", |v| v.encoding())
}

#[test]
fn get_and_set_basics() {
    let mut h = Harness::new();
    assert_eq!(h.run("GET k"), Frame::Null);
    assert_eq!(h.run("SET k v"), ok());
    assert_eq!(h.run("get k"), bulk("v"));
    assert_eq!(h.run("set n 123"), ok());
    assert_eq!(encoding(&mut h, "n"), "int");
    assert_eq!(h.run("get n"), bulk("123"));
    assert_eq!(encoding(&mut h, "k"), "embstr");
}

#[test]
fn set_conditions_and_get() {
    let mut h = Harness::new();
    assert_eq!(h.run("set k v xx"), Frame::Null);
    assert_eq!(h.run("set k v nx"), ok());
    assert_eq!(h.run("set k w nx"), Frame::Null);
    assert_eq!(h.run("set k w nx get"), bulk("v"));
    assert_eq!(h.run("get k"), bulk("v"));
    assert_eq!(h.run("set k w xx get"), bulk("v"));
    assert_eq!(h.run("set k x get"), bulk("w"));
    assert_eq!(h.run("set new x get"), Frame::Null);
    assert_eq!(h.run("get new"), bulk("x"));
}

#[test]
fn set_option_errors() {
    let mut h = Harness::new();
    for line in [
        "set k v nx xx",
        "set k v xx nx",
        "set k v ex 10 px 10",
        "set k v keepttl ex 1",
        "set k v ex 1 keepttl",
        "set k v ex",
        "set k v persist",
        "set k v foo",
        "set k v exat 1 pxat 1",
    ] {
        assert_eq!(h.run(line), err(SYNTAX), "{line}");
    }
    for line in [
        "set k v ex 0",
        "set k v exat -1",
        "set k v ex 9223372036854775807",
        "set k v px 9223372036854775807",
    ] {
        assert_eq!(
            h.run(line),
            err("ERR invalid expire time in 'set' command"),
            "{line}"
        );
    }
    assert_eq!(h.run("set k v ex abc"), err(NOT_INT));
    assert_eq!(h.run("set k v ex 5 ex 10"), ok());
    assert_eq!(ttl(&mut h, "k"), Ttl::At(h.now_ms + 10_000));
    assert_eq!(
        h.run("setex k 0 v"),
        err("ERR invalid expire time in 'setex' command")
    );
    assert_eq!(
        h.run("psetex k -1 v"),
        err("ERR invalid expire time in 'psetex' command")
    );
    assert_eq!(h.run("setex k abc v"), err(NOT_INT));
}

#[test]
fn set_expiry_forms() {
    let mut h = Harness::new();
    let now = h.now_ms;
    h.run("set a v ex 10");
    assert_eq!(ttl(&mut h, "a"), Ttl::At(now + 10_000));
    h.run("set a v px 10");
    assert_eq!(ttl(&mut h, "a"), Ttl::At(now + 10));
    h.run(&format!("set a v exat {}", now / 1000 + 100));
    assert_eq!(ttl(&mut h, "a"), Ttl::At((now / 1000 + 100) * 1000));
    h.run(&format!("set a v pxat {}", now + 5));
    assert_eq!(ttl(&mut h, "a"), Ttl::At(now + 5));
    h.run("set a w keepttl");
    assert_eq!(ttl(&mut h, "a"), Ttl::At(now + 5));
    h.run("set a w");
    assert_eq!(ttl(&mut h, "a"), Ttl::Persistent);
    assert_eq!(h.run("set a v pxat 1"), ok());
    assert_eq!(h.run("get a"), Frame::Null);
    assert_eq!(h.run("setex s 10 v"), ok());
    assert_eq!(ttl(&mut h, "s"), Ttl::At(now + 10_000));
    assert_eq!(h.run("psetex s 10 v"), ok());
    assert_eq!(ttl(&mut h, "s"), Ttl::At(now + 10));
}

#[test]
fn lazy_expiry_on_get() {
    let mut h = Harness::new();
    h.run("set k v px 100");
    h.now_ms += 100;
    assert_eq!(h.run("get k"), bulk("v"));
    h.now_ms += 1;
    assert_eq!(h.run("get k"), Frame::Null);
    assert_eq!(h.ks.expired_keys, 1);
}

#[test]
fn set_with_a_past_instant_stores_an_expired_key() {
    // SET checks no instant against the clock (EXPIRE and GETEX do): the
    // key is stored, counted, and expires at its first lookup.
    let mut h = Harness::new();
    assert_eq!(h.run("set k v pxat 1"), ok());
    assert_eq!(h.ks.view(0, h.now_ms).len(), 1);
    assert_eq!(h.run("get k"), Frame::Null);
    assert_eq!(h.ks.expired_keys, 1);
    assert_eq!(h.ks.view(0, h.now_ms).len(), 0);
    h.run("set g v");
    assert_eq!(h.run("getex g pxat 1"), bulk("v"));
    assert_eq!(h.ks.view(0, h.now_ms).len(), 0);
}

#[test]
fn setnx_getset_getdel() {
    let mut h = Harness::new();
    assert_eq!(h.run("setnx k v"), int(1));
    assert_eq!(h.run("setnx k w"), int(0));
    assert_eq!(h.run("getset k w"), bulk("v"));
    assert_eq!(h.run("getset other w"), Frame::Null);
    assert_eq!(h.run("getdel k"), bulk("w"));
    assert_eq!(h.run("getdel k"), Frame::Null);
    assert_eq!(h.run("get k"), Frame::Null);
}

#[test]
fn getset_drops_ttl() {
    let mut h = Harness::new();
    h.run("set k v ex 100");
    h.run("getset k w");
    assert_eq!(ttl(&mut h, "k"), Ttl::Persistent);
}

#[test]
fn getex_options() {
    let mut h = Harness::new();
    let now = h.now_ms;
    assert_eq!(h.run("getex k ex 0"), Frame::Null);
    assert_eq!(h.run("getex k ex abc"), Frame::Null);
    h.run("set k v");
    assert_eq!(
        h.run("getex k ex 0"),
        err("ERR invalid expire time in 'getex' command")
    );
    assert_eq!(h.run("getex k ex abc"), err(NOT_INT));
    assert_eq!(h.run("getex k px 5 persist"), err(SYNTAX));
    assert_eq!(h.run("getex k keepttl"), err(SYNTAX));
    assert_eq!(h.run("getex k nx"), err(SYNTAX));
    assert_eq!(h.run("getex k ex 10"), bulk("v"));
    assert_eq!(ttl(&mut h, "k"), Ttl::At(now + 10_000));
    assert_eq!(h.run("getex k"), bulk("v"));
    assert_eq!(ttl(&mut h, "k"), Ttl::At(now + 10_000));
    assert_eq!(h.run("getex k persist"), bulk("v"));
    assert_eq!(ttl(&mut h, "k"), Ttl::Persistent);
    assert_eq!(h.run("getex k pxat 1"), bulk("v"));
    assert_eq!(h.run("get k"), Frame::Null);
}

#[test]
fn wrong_type_errors() {
    let mut h = Harness::new();
    h.ks.view(0, 0).set(b"k", other_type_value(), false);
    for line in [
        "get k",
        "getset k v",
        "getdel k",
        "getex k",
        "set k v get",
        "append k x",
        "strlen k",
        "incr k",
        "incrbyfloat k 1",
        "getrange k 0 1",
        "setrange k 0 x",
    ] {
        assert_eq!(h.run(line), err(WRONGTYPE), "{line}");
    }
    assert_eq!(h.run("mget k"), Frame::Array(vec![Frame::Null]));
    assert_eq!(h.run("set k v"), ok());
}

/// A value of a type other than string.
fn other_type_value() -> crate::db::Value {
    crate::db::Value::List(crate::db::ListValue::default())
}

#[test]
fn mget_mset_msetnx() {
    let mut h = Harness::new();
    assert_eq!(h.run("mset a 1 b 2"), ok());
    assert_eq!(
        h.run("mget a b c"),
        Frame::Array(vec![bulk("1"), bulk("2"), Frame::Null])
    );
    assert_eq!(
        h.run("mset a"),
        err("ERR wrong number of arguments for 'mset' command")
    );
    assert_eq!(
        h.run("mset a 1 b"),
        err("ERR wrong number of arguments for 'mset' command")
    );
    assert_eq!(
        h.run("msetnx a 1 b"),
        err("ERR wrong number of arguments for 'msetnx' command")
    );
    assert_eq!(h.run("msetnx a 9 c 3"), int(0));
    assert_eq!(h.run("get c"), Frame::Null);
    assert_eq!(h.run("msetnx c 3 d 4"), int(1));
    assert_eq!(h.run("mget c d"), Frame::Array(vec![bulk("3"), bulk("4")]));
}

#[test]
fn append_and_strlen() {
    let mut h = Harness::new();
    assert_eq!(h.run("append newk 12"), int(2));
    assert_eq!(encoding(&mut h, "newk"), "int");
    assert_eq!(h.run("set n 10"), ok());
    assert_eq!(h.run("append n 5"), int(3));
    assert_eq!(encoding(&mut h, "n"), "raw");
    assert_eq!(h.run("get n"), bulk("105"));
    assert_eq!(h.run("strlen n"), int(3));
    assert_eq!(h.run("strlen nokey"), int(0));
    h.run("set i -1234");
    assert_eq!(h.run("strlen i"), int(5));
    h.ks.proto_max_bulk_len = 4;
    assert_eq!(
        h.run("append n xx"),
        err("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
    );
}

#[test]
fn counters() {
    let mut h = Harness::new();
    assert_eq!(h.run("incr c"), int(1));
    assert_eq!(h.run("incrby c 10"), int(11));
    assert_eq!(h.run("decr c"), int(10));
    assert_eq!(h.run("decrby c 4"), int(6));
    assert_eq!(h.run("incrby c x"), err(NOT_INT));
    assert_eq!(
        h.run("decrby c -9223372036854775808"),
        err("ERR decrement would overflow")
    );
    h.run("set big 9223372036854775807");
    assert_eq!(
        h.run("incr big"),
        err("ERR increment or decrement would overflow")
    );
    h.run("set z 0123");
    assert_eq!(h.run("incr z"), err(NOT_INT));
    h.run("set s abc");
    assert_eq!(h.run("decr s"), err(NOT_INT));
    h.run("set t 5 ex 100");
    h.run("incr t");
    assert!(matches!(ttl(&mut h, "t"), Ttl::At(_)));
    assert_eq!(encoding(&mut h, "t"), "int");
}

#[test]
fn incrbyfloat_formats_and_errors() {
    let mut h = Harness::new();
    assert_eq!(h.run("incrbyfloat f 10.5"), bulk("10.5"));
    assert_eq!(h.run("incrbyfloat f 0.1"), bulk("10.6"));
    assert_eq!(h.run("incrbyfloat f -5.6"), bulk("5"));
    assert_eq!(encoding(&mut h, "f"), "embstr");
    assert_eq!(h.run("incrbyfloat big 1e20"), bulk("100000000000000000000"));
    assert_eq!(h.run("incrbyfloat g 1.5e-10"), bulk("0.00000000015"));
    assert_eq!(h.run("incrbyfloat h -0"), bulk("0"));
    assert_eq!(
        h.run("incrbyfloat f x"),
        err("ERR value is not a valid float")
    );
    assert_eq!(
        h.run("incrbyfloat f inf"),
        err("ERR increment would produce NaN or Infinity")
    );
    h.run("set s 12 ex 100");
    assert_eq!(h.run("incrbyfloat s 1"), bulk("13"));
    assert!(matches!(ttl(&mut h, "s"), Ttl::At(_)));
    h.run_args(&[b"set", b"sp", b" 12"]);
    assert_eq!(
        h.run("incrbyfloat sp 1"),
        err("ERR value is not a valid float")
    );
}

#[test]
fn getrange_indexes() {
    let mut h = Harness::new();
    h.run("set k Hello");
    assert_eq!(h.run("getrange k 0 3"), bulk("Hell"));
    assert_eq!(h.run("getrange k -3 -1"), bulk("llo"));
    assert_eq!(h.run("getrange k 0 -1"), bulk("Hello"));
    assert_eq!(h.run("getrange k 10 100"), bulk(""));
    assert_eq!(h.run("getrange k -1 -5"), bulk(""));
    assert_eq!(h.run("getrange k -100 1"), bulk("He"));
    assert_eq!(h.run("getrange k 3 1"), bulk(""));
    assert_eq!(h.run("substr k 1 2"), bulk("el"));
    assert_eq!(h.run("getrange nokey 0 1"), bulk(""));
    assert_eq!(h.run("getrange k 0 x"), err(NOT_INT));
    h.run("set n 12345");
    assert_eq!(h.run("getrange n 1 2"), bulk("23"));
}

#[test]
fn setrange_pads_and_limits() {
    let mut h = Harness::new();
    assert_eq!(h.run_args(&[b"setrange", b"e", b"0", b""]), int(0));
    assert_eq!(h.run("strlen e"), int(0));
    assert_eq!(h.run("setrange e 2 ab"), int(4));
    assert_eq!(
        h.run_args(&[b"get", b"e"]),
        Frame::Bulk(bytes::Bytes::from_static(b"\0\0ab"))
    );
    assert_eq!(encoding(&mut h, "e"), "raw");
    h.run("set n 10");
    assert_eq!(h.run_args(&[b"setrange", b"n", b"0", b""]), int(2));
    assert_eq!(h.run("setrange n 1 5"), int(2));
    assert_eq!(h.run("get n"), bulk("15"));
    assert_eq!(h.run("setrange n -1 x"), err("ERR offset is out of range"));
    assert_eq!(h.run("setrange n abc x"), err(NOT_INT));
    assert_eq!(
        h.run("setrange n 536870912 x"),
        err("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
    );
    assert_eq!(h.run("setrange n 536870911 x"), int(536870912));
}

#[test]
fn lcs_variants() {
    let mut h = Harness::new();
    h.run("set k1 ohmytext");
    h.run("set k2 mynewtext");
    assert_eq!(h.run("lcs k1 k2"), bulk("mytext"));
    assert_eq!(h.run("lcs k1 k2 len"), int(6));
    let range = |a: (i64, i64), b: (i64, i64), len: Option<i64>| {
        let mut item = vec![
            Frame::Array(vec![int(a.0), int(a.1)]),
            Frame::Array(vec![int(b.0), int(b.1)]),
        ];
        item.extend(len.map(int));
        Frame::Array(item)
    };
    assert_eq!(
        h.run("lcs k1 k2 idx"),
        Frame::Map(vec![
            (
                bulk("matches"),
                Frame::Array(vec![
                    range((4, 7), (5, 8), None),
                    range((2, 3), (0, 1), None)
                ])
            ),
            (bulk("len"), int(6)),
        ])
    );
    assert_eq!(
        h.run("lcs k1 k2 idx minmatchlen 4 withmatchlen"),
        Frame::Map(vec![
            (
                bulk("matches"),
                Frame::Array(vec![range((4, 7), (5, 8), Some(4))])
            ),
            (bulk("len"), int(6)),
        ])
    );
    assert_eq!(
        h.run("lcs k1 k2 idx len"),
        err("ERR If you want both the length and indexes, please just use IDX.")
    );
    assert_eq!(h.run("lcs k1 k2 minmatchlen x"), err(NOT_INT));
    assert_eq!(h.run("lcs k1 k2 minmatchlen"), err(SYNTAX));
    assert_eq!(h.run("lcs k1 nokey"), bulk(""));
    h.ks.view(0, 0).set(b"other", other_type_value(), false);
    assert_eq!(
        h.run("lcs other nokey foo"),
        err("ERR The specified keys must contain string values")
    );
    h.ks.proto_max_bulk_len = 16;
    assert_eq!(
        h.run("lcs k1 k2"),
        err("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
    );
}
