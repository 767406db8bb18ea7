use crate::cmd::reply::testing::{bulk, err, int, Harness};
use moat_resp::Frame;

fn bulks(items: &[&str]) -> Frame {
    Frame::Array(items.iter().map(|s| bulk(s)).collect())
}

fn harness() -> Harness {
    let mut h = Harness::new();
    // What dispatch sets for a user with unrestricted read access.
    h.client.may_read_any_key = true;
    h
}

#[test]
fn numbers_sort_numerically_and_alpha_by_bytes() {
    let mut h = harness();
    h.run("RPUSH l 10 9 2.5 -1 10");
    assert_eq!(h.run("SORT l"), bulks(&["-1", "2.5", "9", "10", "10"]));
    assert_eq!(h.run("SORT l DESC LIMIT 1 2"), bulks(&["10", "9"]));
    assert_eq!(
        h.run("SORT l ALPHA"),
        bulks(&["-1", "10", "10", "2.5", "9"])
    );
    h.run("RPUSH w x");
    assert_eq!(
        h.run("SORT w"),
        err("ERR One or more scores can't be converted into double")
    );
}

#[test]
fn by_and_get_patterns_read_strings_and_hash_fields() {
    let mut h = harness();
    h.run("RPUSH l a b c");
    h.run("SET w_a 3");
    h.run("SET w_b 1");
    h.run("HSET h_c f 2 name C");
    assert_eq!(h.run("SORT l BY w_*"), bulks(&["c", "b", "a"]));
    assert_eq!(
        h.run("SORT l BY w_* GET # GET h_*->name"),
        Frame::Array(vec![
            bulk("c"),
            bulk("C"),
            bulk("b"),
            Frame::Null,
            bulk("a"),
            Frame::Null
        ])
    );
    assert_eq!(h.run("SORT l BY nosort DESC"), bulks(&["c", "b", "a"]));
    assert_eq!(h.run("SORT l BY h_*->f LIMIT 0 1"), bulks(&["a"]));
}

#[test]
fn patterns_need_the_permission_dispatch_grants() {
    let mut h = Harness::new();
    h.run("RPUSH l b a");
    assert_eq!(
        h.run("SORT l BY w_*"),
        err("ERR BY option of SORT denied due to insufficient ACL permissions.")
    );
    assert_eq!(
        h.run("SORT l GET #"),
        err("ERR GET option of SORT denied due to insufficient ACL permissions.")
    );
    // A constant BY pattern reads no key.
    assert_eq!(h.run("SORT l BY nosort"), bulks(&["b", "a"]));
}

#[test]
fn store_writes_a_list_and_deletes_on_empty() {
    let mut h = harness();
    h.run("SADD s 3 1 2");
    assert_eq!(h.run("SORT s STORE dst"), int(3));
    assert_eq!(h.run("LRANGE dst 0 -1"), bulks(&["1", "2", "3"]));
    assert_eq!(h.run("SORT nokey STORE dst"), int(0));
    assert_eq!(h.run("EXISTS dst"), int(0));
    assert_eq!(h.run("SORT_RO s STORE dst"), err("ERR syntax error"));
}

#[test]
fn sorted_sets_sort_by_member_value() {
    let mut h = harness();
    h.run("ZADD z 1 30 2 4 3 100");
    assert_eq!(h.run("SORT z"), bulks(&["4", "30", "100"]));
    assert_eq!(h.run("SORT z BY nosort"), bulks(&["30", "4", "100"]));
    assert_eq!(
        h.run("SORT z BY nosort DESC LIMIT 0 2"),
        bulks(&["100", "4"])
    );
}
