use crate::cmd::reply::testing::{bulk, err, int, Harness};
use moat_resp::Frame;

#[test]
fn small_lists_are_listpacks_big_ones_quicklists() {
    let mut h = Harness::new();
    h.run("RPUSH l a b c");
    assert_eq!(h.run("OBJECT ENCODING l"), bulk("listpack"));
    assert_eq!(h.run("TYPE l"), Frame::simple("list"));
    let chunk = "x".repeat(1000);
    for _ in 0..9 {
        h.run(&format!("RPUSH l {chunk}"));
    }
    // Over 8 KB of elements exceed list-max-listpack-size -2.
    assert_eq!(h.run("OBJECT ENCODING l"), bulk("quicklist"));
    assert_eq!(h.run("LLEN l"), int(12));
    // Shrinking below half the limit turns it back into a listpack.
    h.run("LTRIM l 0 2");
    assert_eq!(h.run("OBJECT ENCODING l"), bulk("listpack"));
    assert_eq!(
        h.run("LRANGE l 0 -1"),
        Frame::Array(vec![bulk("a"), bulk("b"), bulk("c")])
    );
}

#[test]
fn element_count_limits_apply_with_positive_fill() {
    let mut h = Harness::new();
    h.ks.thresholds.list_max_listpack_size = 4;
    h.run("RPUSH l 1 2 3 4");
    assert_eq!(h.run("OBJECT ENCODING l"), bulk("listpack"));
    h.run("RPUSH l 5");
    assert_eq!(h.run("OBJECT ENCODING l"), bulk("quicklist"));
    h.run("RPUSH l 6 7 8 9 10");
    assert_eq!(h.run("LINDEX l 7"), bulk("8"));
    assert_eq!(h.run("LINSERT l BEFORE 3 x"), int(11));
    assert_eq!(
        h.run("LRANGE l 0 4"),
        Frame::Array(vec![bulk("1"), bulk("2"), bulk("x"), bulk("3"), bulk("4")])
    );
    assert_eq!(h.run("RPOP l 9"), {
        let items = ["10", "9", "8", "7", "6", "5", "4", "3", "x"];
        Frame::Array(items.iter().map(|s| bulk(s)).collect())
    });
    assert_eq!(h.run("OBJECT ENCODING l"), bulk("listpack"));
}

#[test]
fn lpos_rank_range_is_checked_as_in_7_2() {
    let mut h = Harness::new();
    h.run("RPUSH l a b a");
    assert_eq!(
        h.run("LPOS l a RANK -9223372036854775808"),
        err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    );
    assert_eq!(h.run("LPOS l a RANK -1"), int(2));
}

#[test]
fn rotation_on_one_list_keeps_it() {
    let mut h = Harness::new();
    h.run("RPUSH l only");
    assert_eq!(h.run("LMOVE l l LEFT RIGHT"), bulk("only"));
    assert_eq!(h.run("LLEN l"), int(1));
}
