//! The format module decodes every value encoding the reference
//! redis-server writes, including the types moat's keyspace does not
//! hold yet (lists as quicklist 2 with packed and plain nodes, sorted
//! sets as listpack and as skiplist): each decoded value equals what the
//! reference answers for the key.

use moat_resp::Frame;
use moat_server::persist::rdb::{parse, ParsedRecord, RdbError, RdbObject, Visitor};
use moat_testkit::{reference, Client, ServerProcess};
use std::collections::BTreeMap;

struct Collect(BTreeMap<Vec<u8>, RdbObject>);

impl Visitor for Collect {
    fn record(&mut self, record: ParsedRecord) -> Result<(), RdbError> {
        self.0.insert(record.key, record.object);
        Ok(())
    }
}

fn call(c: &mut Client, args: &[&str]) -> Frame {
    c.call(args).expect("server answers")
}

fn bulk_items(frame: Frame) -> Vec<Vec<u8>> {
    match frame {
        Frame::Array(items) => items
            .into_iter()
            .map(|f| match f {
                Frame::Bulk(b) => b.to_vec(),
                other => panic!("{other:?}"),
            })
            .collect(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn lists_and_sorted_sets_decode_as_the_reference_holds_them() {
    let Some(redis) = reference::redis_server() else {
        return;
    };
    let server = ServerProcess::start(redis, ["--enable-debug-command", "yes"]).unwrap();
    let mut c = server.client().unwrap();
    call(&mut c, &["RPUSH", "list:small", "a", "1", "-20000", "text"]);
    let many: Vec<String> = (0..5000).map(|i| format!("element-{i}")).collect();
    let mut args = vec!["RPUSH", "list:big"];
    args.extend(many.iter().map(String::as_str));
    call(&mut c, &args);
    // Elements over the packed threshold go to PLAIN quicklist nodes.
    assert_eq!(
        call(&mut c, &["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100"]),
        Frame::ok()
    );
    let huge = "p".repeat(500);
    call(&mut c, &["RPUSH", "list:plain", "small", &huge, "after"]);
    call(
        &mut c,
        &["ZADD", "zset:small", "1.5", "a", "-3", "b", "inf", "c"],
    );
    let mut args = vec!["ZADD".to_string(), "zset:big".into()];
    for i in 0..300 {
        args.extend([format!("{}.25", i), format!("m{i}")]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    call(&mut c, &args);
    assert_eq!(call(&mut c, &["SAVE"]), Frame::ok());

    let file = std::fs::read(server.dir().join("dump.rdb")).unwrap();
    let mut seen = Collect(BTreeMap::new());
    let summary = parse(&file, &mut seen).unwrap();
    assert!(summary.checksum_verified);
    for key in ["list:small", "list:big", "list:plain"] {
        let expected = bulk_items(call(&mut c, &["LRANGE", key, "0", "-1"]));
        assert_eq!(seen.0[key.as_bytes()], RdbObject::List(expected), "{key}");
    }
    for key in ["zset:small", "zset:big"] {
        let flat = bulk_items(call(&mut c, &["ZRANGE", key, "0", "-1", "WITHSCORES"]));
        let expected: Vec<(Vec<u8>, f64)> = flat
            .chunks(2)
            .map(|p| {
                let score = String::from_utf8_lossy(&p[1]).parse::<f64>().unwrap();
                (p[0].clone(), score)
            })
            .collect();
        let RdbObject::ZSet(mut got) = seen.0[key.as_bytes()].clone() else {
            panic!("{key} is not a sorted set");
        };
        got.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        assert_eq!(got, expected, "{key}");
    }
}
