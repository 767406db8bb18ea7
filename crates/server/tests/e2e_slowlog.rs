//! SLOWLOG and LATENCY against moat and the reference redis-server: the
//! same requests must leave the same slow log entries (arguments trimmed
//! and redacted the same way), leaving aside the fields that depend on the
//! process (timestamps, durations, client ports).

use moat_resp::Frame;
use moat_testkit::{moat_server, reference, ServerBuilder, ServerProcess};

fn bulk_text(frame: &Frame) -> String {
    match frame {
        Frame::Bulk(b) | Frame::Simple(b) => String::from_utf8_lossy(b).into_owned(),
        other => format!("{other:?}"),
    }
}

/// Runs the same session on `server` and returns each slow log entry as
/// `(id, arguments, client name)`, newest first.
fn slow_entries(server: &ServerProcess) -> Vec<(i64, Vec<String>, String)> {
    let mut admin = server.client().unwrap();
    admin
        .call(&["CONFIG", "SET", "slowlog-log-slower-than", "0"])
        .unwrap();
    admin.call(&["SLOWLOG", "RESET"]).unwrap();
    let mut other = server.client().unwrap();
    other.call(&["CLIENT", "SETNAME", "worker"]).unwrap();
    other.call(&["SET", "k", "v"]).unwrap();
    other.call(&["AUTH", "nobody", "secret"]).unwrap();
    other
        .call(&["ACL", "SETUSER", "alice", "on", ">pw"])
        .unwrap();
    other.call(&["CONFIG", "SET", "requirepass", ""]).unwrap();
    let long = "x".repeat(200);
    other.call(&["ECHO", long.as_str()]).unwrap();
    let many: Vec<String> = std::iter::once("DEL".to_string())
        .chain((0..40).map(|i| format!("k{i}")))
        .collect();
    other.call(&many).unwrap();
    let reply = admin.call(&["SLOWLOG", "GET", "-1"]).unwrap();
    let Frame::Array(entries) = reply else {
        panic!("SLOWLOG GET: {reply:?}")
    };
    entries
        .iter()
        .map(|entry| {
            let Frame::Array(fields) = entry else {
                panic!("entry: {entry:?}")
            };
            assert_eq!(fields.len(), 6, "{fields:?}");
            let Frame::Integer(id) = fields[0] else {
                panic!("id: {:?}", fields[0])
            };
            let Frame::Array(args) = &fields[3] else {
                panic!("args: {:?}", fields[3])
            };
            (
                id,
                args.iter().map(bulk_text).collect(),
                bulk_text(&fields[5]),
            )
        })
        .collect()
}

#[test]
fn slowlog_entries_match_redis() {
    let Some(redis) = reference::redis_server() else {
        return;
    };
    let moat = moat_server(option_env!("CARGO_BIN_EXE_moat-server"))
        .start()
        .unwrap();
    let redis = ServerBuilder::new(redis).start().unwrap();
    let (mine, theirs) = (slow_entries(&moat), slow_entries(&redis));
    // Ids count from the server's start, which differs by the commands the
    // harness sent; the arguments and names must agree exactly.
    let strip = |entries: Vec<(i64, Vec<String>, String)>| {
        entries
            .into_iter()
            .map(|(_, a, n)| (a, n))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(mine), strip(theirs));
}

#[test]
fn slowlog_get_len_reset_and_errors() {
    let moat = moat_server(option_env!("CARGO_BIN_EXE_moat-server"))
        .start()
        .unwrap();
    let mut c = moat.client().unwrap();
    c.call(&["CONFIG", "SET", "slowlog-log-slower-than", "0"])
        .unwrap();
    c.call(&["SLOWLOG", "RESET"]).unwrap();
    c.call(&["PING"]).unwrap();
    assert_eq!(c.call(&["SLOWLOG", "LEN"]).unwrap(), Frame::Integer(2));
    assert_eq!(
        c.call(&["SLOWLOG", "GET", "-2"]).unwrap(),
        Frame::error("ERR count should be greater than or equal to -1")
    );
    c.call(&["CONFIG", "SET", "slowlog-max-len", "1"]).unwrap();
    assert_eq!(c.call(&["SLOWLOG", "LEN"]).unwrap(), Frame::Integer(1));
    c.call(&["CONFIG", "SET", "slowlog-log-slower-than", "-1"])
        .unwrap();
    c.call(&["SLOWLOG", "RESET"]).unwrap();
    c.call(&["PING"]).unwrap();
    assert_eq!(c.call(&["SLOWLOG", "LEN"]).unwrap(), Frame::Integer(0));
}

#[test]
fn latency_monitor_records_slow_commands() {
    let moat = moat_server(option_env!("CARGO_BIN_EXE_moat-server"))
        .args(["--enable-debug-command", "yes"])
        .start()
        .unwrap();
    let mut c = moat.client().unwrap();
    let (Frame::Verbatim { text, .. } | Frame::Bulk(text)) =
        c.call(&["LATENCY", "DOCTOR"]).unwrap()
    else {
        panic!()
    };
    assert!(String::from_utf8_lossy(&text)
        .starts_with("I'm sorry, Dave, I can't do that. Latency monitoring is disabled"));
    c.call(&["CONFIG", "SET", "latency-monitor-threshold", "1"])
        .unwrap();
    assert_eq!(
        c.call(&["LATENCY", "LATEST"]).unwrap(),
        Frame::Array(vec![])
    );
    c.call(&["DEBUG", "SLEEP", "0.05"]).unwrap();
    let Frame::Array(latest) = c.call(&["LATENCY", "LATEST"]).unwrap() else {
        panic!()
    };
    assert_eq!(latest.len(), 1);
    let Frame::Array(fields) = &latest[0] else {
        panic!()
    };
    assert_eq!(fields[0], Frame::Bulk("command".into()));
    assert!(
        matches!(fields[2], Frame::Integer(ms) if ms >= 50),
        "{fields:?}"
    );
    let Frame::Array(history) = c.call(&["LATENCY", "HISTORY", "command"]).unwrap() else {
        panic!()
    };
    assert_eq!(history.len(), 1);
    let Frame::Bulk(report) = c.call(&["LATENCY", "DOCTOR"]).unwrap() else {
        panic!()
    };
    let report = String::from_utf8_lossy(&report);
    assert!(report.contains("1. command: 1 latency spikes"), "{report}");
    assert!(report.contains("- Check your Slow Log"), "{report}");
    assert_eq!(c.call(&["LATENCY", "RESET"]).unwrap(), Frame::Integer(1));
    assert_eq!(
        c.call(&["LATENCY", "LATEST"]).unwrap(),
        Frame::Array(vec![])
    );
}

#[test]
fn latency_graph_histogram_and_latencystats_show_a_slow_command() {
    let moat = moat_server(option_env!("CARGO_BIN_EXE_moat-server"))
        .args(["--enable-debug-command", "yes"])
        .start()
        .unwrap();
    let mut c = moat.client().unwrap();
    c.call(&["CONFIG", "SET", "latency-monitor-threshold", "1"])
        .unwrap();
    c.call(&["DEBUG", "SLEEP", "0.02"]).unwrap();
    let (Frame::Verbatim { text, .. } | Frame::Bulk(text)) =
        c.call(&["LATENCY", "GRAPH", "command"]).unwrap()
    else {
        panic!()
    };
    let graph = String::from_utf8_lossy(&text);
    let lines: Vec<&str> = graph.lines().collect();
    assert!(lines[0].starts_with("command - high "), "{graph}");
    assert_eq!(lines[1], "-".repeat(80));
    // One sample: its head on the bottom row, a blank row, then its age.
    assert_eq!(&lines[2..7], [" ", " ", " ", "_", " "], "{graph}");
    assert_eq!(lines[7..].join(""), "0s", "{graph}");

    // A 20 ms command lands in the 2^25 ns step of the logarithmic
    // buckets, whose highest equivalent value is 33816 us (67633 us for
    // the next step, should the machine stall the sleep past 33.5 ms).
    let Frame::Array(histogram) = c.call(&["LATENCY", "HISTOGRAM", "debug"]).unwrap() else {
        panic!()
    };
    assert_eq!(histogram[0], Frame::Bulk("debug".into()));
    let Frame::Array(fields) = &histogram[1] else {
        panic!("{histogram:?}")
    };
    assert_eq!(fields[0], Frame::Bulk("calls".into()));
    assert_eq!(fields[1], Frame::Integer(1));
    let Frame::Array(buckets) = &fields[3] else {
        panic!("{fields:?}")
    };
    assert_eq!(buckets.len(), 2, "{buckets:?}");
    assert!(
        matches!(buckets[0], Frame::Integer(33_816 | 67_633)),
        "{buckets:?}"
    );
    assert_eq!(buckets[1], Frame::Integer(1));

    let Frame::Bulk(info) = c.call(&["INFO", "latencystats"]).unwrap() else {
        panic!()
    };
    let info = String::from_utf8_lossy(&info);
    let line = info
        .lines()
        .find(|l| l.starts_with("latency_percentiles_usec_debug:"))
        .unwrap_or_else(|| panic!("{info}"));
    let values = line.split_once(':').unwrap().1;
    let labels: Vec<&str> = values
        .split(',')
        .map(|v| v.split('=').next().unwrap())
        .collect();
    assert_eq!(labels, ["p50", "p99", "p99.9"]);
    assert!(values
        .split(',')
        .all(|v| v.split_once('=').unwrap().1.contains('.')));
    assert!(
        info.contains("latency_percentiles_usec_config|set:"),
        "{info}"
    );

    // Switched off: nothing new is recorded, what was recorded stays.
    c.call(&["CONFIG", "SET", "latency-tracking", "no"])
        .unwrap();
    c.call(&["DEBUG", "SLEEP", "0"]).unwrap();
    let Frame::Bulk(info) = c.call(&["INFO", "latencystats"]).unwrap() else {
        panic!()
    };
    assert_eq!(String::from_utf8_lossy(&info).trim_end(), "# Latencystats");
    c.call(&["CONFIG", "SET", "latency-tracking", "yes"])
        .unwrap();
    let Frame::Array(histogram) = c.call(&["LATENCY", "HISTOGRAM", "debug"]).unwrap() else {
        panic!()
    };
    let Frame::Array(fields) = &histogram[1] else {
        panic!()
    };
    assert_eq!(fields[1], Frame::Integer(1));
}
