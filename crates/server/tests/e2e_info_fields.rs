//! INFO carries every field the reference redis-server's sections carry,
//! in the same order, so that monitoring tools that parse it find what
//! they look for. moat adds 7.2's fields (and `moat_version`); the values
//! are compared elsewhere where they are deterministic.

use moat_resp::Frame;
use moat_testkit::{moat_server, reference, Client, ServerBuilder};

const SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "cluster",
];

fn field_names(client: &mut Client, section: &str) -> Vec<String> {
    let text = match client.call(&["INFO", section]).unwrap() {
        Frame::Bulk(text) | Frame::Verbatim { text, .. } => text,
        other => panic!("INFO {section}: {other:?}"),
    };
    String::from_utf8_lossy(&text)
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once(':').map(|(name, _)| name.to_owned()))
        .collect()
}

#[test]
fn every_reference_field_is_there_in_order() {
    let Some(redis) = reference::redis_server() else {
        return;
    };
    let redis = ServerBuilder::new(redis).start().unwrap();
    let moat = moat_server(option_env!("CARGO_BIN_EXE_moat-server"))
        .start()
        .unwrap();
    let (mut r, mut m) = (redis.client().unwrap(), moat.client().unwrap());
    for section in SECTIONS {
        let theirs = field_names(&mut r, section);
        let ours = field_names(&mut m, section);
        let missing: Vec<_> = theirs.iter().filter(|f| !ours.contains(f)).collect();
        assert!(missing.is_empty(), "INFO {section} lacks {missing:?}");
        let ours_in_their_order: Vec<_> = ours.iter().filter(|f| theirs.contains(f)).collect();
        let theirs: Vec<_> = theirs.iter().collect();
        assert_eq!(ours_in_their_order, theirs, "INFO {section}: field order");
    }
}

#[test]
fn instantaneous_ops_follow_the_load() {
    let moat = moat_server(option_env!("CARGO_BIN_EXE_moat-server"))
        .start()
        .unwrap();
    let mut c = moat.client().unwrap();
    let started = std::time::Instant::now();
    // About 0.6 s of commands, sampled by the cron every 100 ms.
    while started.elapsed() < std::time::Duration::from_millis(600) {
        c.call(&["PING"]).unwrap();
    }
    let Frame::Bulk(text) = c.call(&["INFO", "stats"]).unwrap() else {
        panic!("INFO is a bulk string")
    };
    let text = String::from_utf8_lossy(&text).into_owned();
    let ops: u64 = text
        .lines()
        .find_map(|line| line.strip_prefix("instantaneous_ops_per_sec:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("instantaneous_ops_per_sec");
    assert!(ops > 0, "{text}");
    let reads: u64 = text
        .lines()
        .find_map(|line| line.strip_prefix("total_reads_processed:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("total_reads_processed");
    assert!(reads > 100, "{text}");
}
