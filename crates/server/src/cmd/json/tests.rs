//! Handler tests: commands against a private keyspace, for what the
//! golden script cannot show (a failed multi-path edit changes nothing,
//! edit ordering on nested arrays, TTLs, RESP3 shapes).

use super::handlers;
use crate::cmd::reply::testing::{bulk, err, int, ok, Harness};
use crate::cmd::{keys, Ctx};
use bytes::Bytes;
use moat_resp::{Frame, Protocol};

/// Runs a JSON (or generic key) command given as separate arguments.
fn run(h: &mut Harness, argv: &[&str]) -> Frame {
    let name = argv[0].to_ascii_lowercase();
    let full = argv
        .get(1)
        .map(|sub| format!("{name}|{}", sub.to_ascii_lowercase()));
    let find = |wanted: &str| {
        handlers()
            .iter()
            .chain(keys::handlers())
            .find(|(n, _)| *n == wanted)
            .map(|(_, f)| *f)
    };
    let handler = full
        .as_deref()
        .and_then(find)
        .or_else(|| find(&name))
        .expect("known command");
    let argv: Vec<Bytes> = argv
        .iter()
        .map(|a| Bytes::copy_from_slice(a.as_bytes()))
        .collect();
    let mut ctx = Ctx {
        ks: &mut h.ks,
        client: &mut h.client,
        now_ms: h.now_ms,
    };
    handler(&mut ctx, &argv)
}

fn get(h: &mut Harness, key: &str) -> Frame {
    run(h, &["JSON.GET", key])
}

#[test]
fn failed_numeric_edit_changes_nothing() {
    let mut h = Harness::new();
    let doc = r#"{"a":1,"b":9223372036854775807}"#;
    assert_eq!(run(&mut h, &["JSON.SET", "k", "$", doc]), ok());
    assert_eq!(
        run(&mut h, &["JSON.NUMINCRBY", "k", "$.*", "1"]),
        err("ERR numeric overflow")
    );
    assert_eq!(get(&mut h, "k"), bulk(doc));
    assert_eq!(
        run(&mut h, &["JSON.NUMMULTBY", "k", "$.a", "1e308"]),
        bulk("[1e308]")
    );
    assert_eq!(
        run(&mut h, &["JSON.NUMMULTBY", "k", "$.a", "10"]),
        err("ERR result is not a number")
    );
}

#[test]
fn failed_insert_changes_nothing() {
    let mut h = Harness::new();
    let doc = r#"{"long":[1,2,3],"short":[1]}"#;
    assert_eq!(run(&mut h, &["JSON.SET", "k", "$", doc]), ok());
    assert_eq!(
        run(&mut h, &["JSON.ARRINSERT", "k", "$.*", "2", "0"]),
        err("ERR index out of bounds")
    );
    assert_eq!(get(&mut h, "k"), bulk(doc));
    assert_eq!(
        run(&mut h, &["JSON.ARRINSERT", "k", "$.*", "-1", "0"]),
        Frame::Array(vec![int(4), int(2)])
    );
    assert_eq!(
        get(&mut h, "k"),
        bulk(r#"{"long":[1,2,0,3],"short":[0,1]}"#)
    );
}

#[test]
fn nested_array_edits_run_deepest_first() {
    let mut h = Harness::new();
    assert_eq!(
        run(
            &mut h,
            &["JSON.SET", "k", "$", r#"{"a":[[1,2,3],[4,5,6]]}"#]
        ),
        ok()
    );
    let reply = run(&mut h, &["JSON.ARRPOP", "k", "$..*", "-1"]);
    let Frame::Array(items) = reply else {
        panic!("array expected, got {reply:?}");
    };
    assert_eq!(&items[..3], &[bulk("[4,5]"), bulk("3"), bulk("6")]);
    assert!(items[3..].iter().all(|f| *f == Frame::Null));
    assert_eq!(get(&mut h, "k"), bulk(r#"{"a":[[1,2]]}"#));
    // Deleting a container and something inside it deletes once.
    assert_eq!(run(&mut h, &["JSON.DEL", "k", "$..*"]), int(1));
    assert_eq!(get(&mut h, "k"), bulk("{}"));
}

#[test]
fn root_set_keeps_the_ttl_and_del_removes_the_key() {
    let mut h = Harness::new();
    assert_eq!(run(&mut h, &["JSON.SET", "k", "$", "1"]), ok());
    assert_eq!(run(&mut h, &["EXPIRE", "k", "100"]), int(1));
    assert_eq!(run(&mut h, &["JSON.SET", "k", ".", "[1]"]), ok());
    assert_eq!(run(&mut h, &["TTL", "k"]), int(100));
    assert_eq!(run(&mut h, &["JSON.DEL", "k", "$"]), int(1));
    assert_eq!(run(&mut h, &["EXISTS", "k"]), int(0));
}

#[test]
fn resp3_shapes() {
    let mut h = Harness::new();
    h.client.protocol = Protocol::Resp3;
    assert_eq!(
        run(&mut h, &["JSON.SET", "k", "$", r#"{"a":1,"b":true}"#]),
        ok()
    );
    // Without FORMAT, JSON.GET answers JSON text as over RESP2.
    assert_eq!(run(&mut h, &["JSON.GET", "k", "$.a"]), bulk("[1]"));
    assert_eq!(
        run(&mut h, &["JSON.GET", "k", "FORMAT", "JSON", "$.*"]),
        Frame::Array(vec![Frame::Array(vec![int(1), Frame::Boolean(true)])])
    );
    assert_eq!(
        run(&mut h, &["JSON.NUMINCRBY", "k", ".a", "0.5"]),
        Frame::Array(vec![Frame::Double(1.5)])
    );
    assert_eq!(
        run(&mut h, &["JSON.TYPE", "nokey"]),
        Frame::Array(vec![Frame::Null])
    );
    h.client.protocol = Protocol::Resp2;
    assert_eq!(
        run(&mut h, &["JSON.GET", "k", "FORMAT", "JSON", "$.a"]),
        bulk("[1.5]")
    );
    assert_eq!(
        run(&mut h, &["JSON.GET", "k", "FORMAT", "xml", "$.a"]),
        err("ERR wrong format")
    );
}

#[test]
fn paths_that_do_not_parse() {
    let mut h = Harness::new();
    assert_eq!(run(&mut h, &["JSON.SET", "k", "$", r#"{"a":1}"#]), ok());
    let bad = "Error occurred on position 2, \"$. <<<<----\", expected one of the \
               following: <string>, '*'.";
    assert_eq!(run(&mut h, &["JSON.GET", "k", "$."]), err(bad));
    assert_eq!(run(&mut h, &["JSON.DEL", "k", "$."]), err(bad));
    // Several paths: the ones that do not parse are left out.
    assert_eq!(
        run(&mut h, &["JSON.GET", "k", "$.a", "$."]),
        bulk(r#"{"$.a":[1]}"#)
    );
    // Legacy TYPE and OBJLEN answer nil rather than the error.
    assert_eq!(run(&mut h, &["JSON.TYPE", "k", "a["]), Frame::Null);
    assert_eq!(
        run(&mut h, &["JSON.MGET", "k", "$."]),
        Frame::Array(vec![Frame::Null])
    );
}

#[test]
fn arity_checks_inside_the_commands() {
    let mut h = Harness::new();
    assert_eq!(run(&mut h, &["JSON.SET", "k", "$", "true"]), ok());
    assert_eq!(
        run(&mut h, &["JSON.TOGGLE", "k"]),
        err("ERR wrong number of arguments for 'json.toggle' command")
    );
    assert_eq!(
        run(&mut h, &["JSON.ARRINDEX", "k", "$", "1", "0", "0", "0"]),
        err("ERR wrong number of arguments for 'json.arrindex' command")
    );
    assert_eq!(
        run(&mut h, &["JSON.ARRINDEX", "k", "$", "1", "x"]),
        err("Couldn't parse as integer")
    );
    assert_eq!(run(&mut h, &["JSON.TOGGLE", "k", "."]), bulk("false"));
}

#[test]
fn documents_stay_within_the_nesting_limit() {
    let mut h = Harness::new();
    let deep = format!("{}{}", "[".repeat(127), "]".repeat(127));
    assert_eq!(run(&mut h, &["JSON.SET", "k", "$", &deep]), ok());
    assert_eq!(
        run(&mut h, &["JSON.SET", "k", "$", &format!("[{deep}]")]),
        err("recursion limit exceeded at line 1 column 128")
    );
    assert_eq!(
        run(&mut h, &["JSON.SET", "o", "$", r#"{"a":{"b":1}}"#]),
        ok()
    );
    let limit = format!("{}{}", "[".repeat(126), "]".repeat(126));
    assert_eq!(
        run(&mut h, &["JSON.SET", "o", "$.a.b", &limit]),
        err("ERR recursion limit exceeded")
    );
    assert_eq!(
        run(&mut h, &["JSON.SET", "o", "$.a.c", &limit]),
        err("ERR recursion limit exceeded")
    );
    assert_eq!(run(&mut h, &["JSON.SET", "o", "$.a", &limit]), ok());
    assert_eq!(
        run(&mut h, &["JSON.ARRAPPEND", "o", "$.a", &limit]),
        err("ERR recursion limit exceeded")
    );
    assert_eq!(
        run(&mut h, &["JSON.ARRAPPEND", "o", "$.a", "1"]),
        Frame::Array(vec![int(2)])
    );
}
