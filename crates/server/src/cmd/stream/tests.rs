//! Handler-level tests of the stream commands; the differential scripts
//! compare the same behaviour with the reference server.

use super::HANDLERS;
use crate::cmd::reply::testing::{bulk, err, int, Harness};
use crate::cmd::Ctx;
use bytes::Bytes;
use moat_resp::Frame;

fn run(h: &mut Harness, line: &str) -> Frame {
    let argv: Vec<Bytes> = line
        .split_whitespace()
        .map(|a| Bytes::copy_from_slice(a.as_bytes()))
        .collect();
    let name = String::from_utf8_lossy(&argv[0]).to_lowercase();
    let full = argv
        .get(1)
        .map(|s| format!("{name}|{}", String::from_utf8_lossy(s).to_lowercase()));
    let handler = HANDLERS
        .iter()
        .find(|(n, _)| Some(*n) == full.as_deref() || *n == name)
        .map(|(_, h)| *h)
        .expect("a stream command");
    let mut ctx = Ctx {
        ks: &mut h.ks,
        client: &mut h.client,
        now_ms: h.now_ms,
    };
    handler(&mut ctx, &argv)
}

#[test]
fn auto_ids_stay_monotonic_when_the_clock_goes_back() {
    let mut h = Harness::new();
    h.now_ms = 1000;
    assert_eq!(run(&mut h, "XADD s * f v"), bulk("1000-0"));
    assert_eq!(run(&mut h, "XADD s * f v"), bulk("1000-1"));
    h.now_ms = 500;
    assert_eq!(run(&mut h, "XADD s * f v"), bulk("1000-2"));
    h.now_ms = 2000;
    assert_eq!(run(&mut h, "XADD s * f v"), bulk("2000-0"));
    assert_eq!(run(&mut h, "XADD s 2000-* f v"), bulk("2000-1"));
    assert_eq!(run(&mut h, "XADD s 3000-* f v"), bulk("3000-0"));
    assert_eq!(
        run(&mut h, "XADD s 10-* f v"),
        err("ERR The ID specified in XADD is equal or smaller than the target stream top item")
    );
    assert_eq!(run(&mut h, "XLEN s"), int(6));
}

#[test]
fn reads_and_acks_move_entries_through_the_pel() {
    let mut h = Harness::new();
    run(&mut h, "XADD s 1-1 a 1");
    run(&mut h, "XADD s 2-1 b 2");
    assert_eq!(run(&mut h, "XGROUP CREATE s g 0"), Frame::ok());
    let read = run(&mut h, "XREADGROUP GROUP g c COUNT 1 STREAMS s >");
    assert!(
        matches!(read, Frame::Array(ref a) if a.len() == 1),
        "{read:?}"
    );
    assert_eq!(run(&mut h, "XACK s g 1-1 9-9"), int(1));
    assert_eq!(run(&mut h, "XACK s g 1-1"), int(0));
    assert_eq!(run(&mut h, "XDEL s 2-1"), int(1));
    assert_eq!(run(&mut h, "XLEN s"), int(1));
}

#[test]
fn xsetid_refuses_ids_below_the_max_deleted_id() {
    let mut h = Harness::new();
    run(&mut h, "XADD s 5-0 a 1");
    run(&mut h, "XADD s 9-0 a 1");
    assert_eq!(run(&mut h, "XDEL s 9-0 5-0"), int(2));
    assert_eq!(
        run(&mut h, "XSETID s 8-0"),
        err("ERR The ID specified in XSETID is smaller than current max_deleted_entry_id")
    );
    assert_eq!(run(&mut h, "XSETID s 9-0"), Frame::ok());
    assert_eq!(
        run(&mut h, "XSETID s 20-0 MAXDELETEDID 30-0"),
        err("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
    );
}

#[test]
fn xreadgroup_creates_the_consumer_even_without_entries() {
    let mut h = Harness::new();
    run(&mut h, "XADD s 1-0 a 1");
    run(&mut h, "XGROUP CREATE s g $");
    assert_eq!(
        run(&mut h, "XREADGROUP GROUP g c STREAMS s >"),
        Frame::NullArray
    );
    assert_eq!(run(&mut h, "XGROUP CREATECONSUMER s g c"), int(0));
}

/// The integer under `field` of a RESP3-style map reply.
fn field(reply: &Frame, name: &str) -> Frame {
    let Frame::Map(pairs) = reply else {
        panic!("not a map: {reply:?}")
    };
    pairs
        .iter()
        .find(|(k, _)| *k == bulk(name))
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("no {name} in {reply:?}"))
}

fn first(reply: Frame) -> Frame {
    match reply {
        Frame::Array(mut items) if !items.is_empty() => items.swap_remove(0),
        other => panic!("not a non-empty array: {other:?}"),
    }
}

#[test]
fn idle_and_inactive_times_follow_the_clock() {
    let mut h = Harness::new();
    h.now_ms = 10_000;
    run(&mut h, "XADD s 1-0 a 1");
    run(&mut h, "XADD s 2-0 a 1");
    run(&mut h, "XGROUP CREATE s g 0");
    run(&mut h, "XGROUP CREATECONSUMER s g idle");
    let consumer = first(run(&mut h, "XINFO CONSUMERS s g"));
    assert_eq!(field(&consumer, "inactive"), int(-1));
    run(&mut h, "XREADGROUP GROUP g c COUNT 1 STREAMS s >");
    h.now_ms = 10_250;
    let pending = first(run(&mut h, "XPENDING s g - + 10"));
    assert_eq!(
        pending,
        Frame::Array(vec![bulk("1-0"), bulk("c"), int(250), int(1)])
    );
    assert_eq!(
        run(&mut h, "XPENDING s g IDLE 300 - + 10"),
        Frame::Array(vec![])
    );
    run(&mut h, "XREADGROUP GROUP g c STREAMS s 0");
    h.now_ms = 10_400;
    let consumers = run(&mut h, "XINFO CONSUMERS s g");
    let Frame::Array(list) = consumers else {
        panic!("{consumers:?}")
    };
    // Consumers are listed by name: c, then idle.
    assert_eq!(field(&list[0], "idle"), int(150));
    assert_eq!(field(&list[0], "inactive"), int(400));
    assert_eq!(field(&list[1], "idle"), int(400));
    let pending = first(run(&mut h, "XPENDING s g - + 10"));
    assert_eq!(
        pending,
        Frame::Array(vec![bulk("1-0"), bulk("c"), int(150), int(2)])
    );
}

#[test]
fn xclaim_respects_min_idle_and_sets_delivery_times() {
    let mut h = Harness::new();
    h.now_ms = 50_000;
    run(&mut h, "XADD s 1-0 a 1");
    run(&mut h, "XGROUP CREATE s g 0");
    run(&mut h, "XREADGROUP GROUP g c STREAMS s >");
    h.now_ms = 50_100;
    assert_eq!(
        run(&mut h, "XCLAIM s g d 200 1-0 JUSTID"),
        Frame::Array(vec![])
    );
    assert_eq!(
        run(&mut h, "XCLAIM s g d 100 1-0 JUSTID IDLE 5000"),
        Frame::Array(vec![bulk("1-0")])
    );
    let pending = first(run(&mut h, "XPENDING s g - + 10"));
    assert_eq!(
        pending,
        Frame::Array(vec![bulk("1-0"), bulk("d"), int(5000), int(1)])
    );
    run(&mut h, "XCLAIM s g e 0 1-0 TIME 49000");
    let pending = first(run(&mut h, "XPENDING s g - + 10"));
    assert_eq!(
        pending,
        Frame::Array(vec![bulk("1-0"), bulk("e"), int(1100), int(2)])
    );
    // A time in the future is taken as now.
    run(&mut h, "XCLAIM s g e 0 1-0 TIME 99999999");
    let pending = first(run(&mut h, "XPENDING s g - + 10"));
    assert_eq!(
        pending,
        Frame::Array(vec![bulk("1-0"), bulk("e"), int(0), int(3)])
    );
    let auto = run(&mut h, "XAUTOCLAIM s g f 10 0 JUSTID");
    assert_eq!(
        auto,
        Frame::Array(vec![
            bulk("0-0"),
            Frame::Array(vec![]),
            Frame::Array(vec![])
        ])
    );
}

#[test]
fn full_info_reports_unix_times() {
    let mut h = Harness::new();
    h.client.protocol = moat_resp::Protocol::Resp3;
    h.now_ms = 77_000;
    run(&mut h, "XADD s 1-0 a 1");
    run(&mut h, "XGROUP CREATE s g 0");
    run(&mut h, "XREADGROUP GROUP g c STREAMS s >");
    let info = run(&mut h, "XINFO STREAM s FULL");
    let group = first(field(&info, "groups"));
    assert_eq!(
        first(field(&group, "pending")),
        Frame::Array(vec![bulk("1-0"), bulk("c"), int(77_000), int(1)])
    );
    let consumer = first(field(&group, "consumers"));
    assert_eq!(field(&consumer, "seen-time"), int(77_000));
    assert_eq!(field(&consumer, "active-time"), int(77_000));
    assert_eq!(field(&group, "entries-read"), int(1));
    assert_eq!(field(&group, "lag"), int(0));
}

#[test]
fn sequence_and_timeout_overflows_are_refused() {
    let mut h = Harness::new();
    run(&mut h, "XADD s 5-18446744073709551615 a 1");
    assert_eq!(
        run(&mut h, "XADD s 5-* a 1"),
        err("ERR The ID specified in XADD is equal or smaller than the target stream top item")
    );
    assert_eq!(run(&mut h, "XADD s 6-* a 1"), bulk("6-0"));
    assert_eq!(
        run(&mut h, "XREAD BLOCK 9223372036854775807 STREAMS s 0"),
        err("ERR timeout is out of range")
    );
    assert_eq!(
        run(&mut h, "XREAD BLOCK -1 STREAMS s 0"),
        err("ERR timeout is negative")
    );
}

#[test]
fn claims_create_the_consumer_even_when_nothing_is_claimed() {
    let mut h = Harness::new();
    run(&mut h, "XADD s 1-0 a 1");
    run(&mut h, "XGROUP CREATE s g $");
    assert_eq!(run(&mut h, "XCLAIM s g x 0 1-0"), Frame::Array(vec![]));
    assert_eq!(
        run(&mut h, "XAUTOCLAIM s g y 0 0"),
        Frame::Array(vec![
            bulk("0-0"),
            Frame::Array(vec![]),
            Frame::Array(vec![])
        ])
    );
    assert_eq!(run(&mut h, "XGROUP CREATECONSUMER s g x"), int(0));
    assert_eq!(run(&mut h, "XGROUP CREATECONSUMER s g y"), int(0));
    let consumer = first(run(&mut h, "XINFO CONSUMERS s g"));
    assert_eq!(field(&consumer, "inactive"), int(-1));
}
