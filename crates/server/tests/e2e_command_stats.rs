//! INFO commandstats and total_commands_processed under pipelining,
//! against moat and the reference redis-server: a connection adds its
//! batch's figures once, before the batch's replies, so what any client
//! reads must still be what Redis shows: every command of a pipeline
//! counted by the time its reply arrives, INFO inside a pipeline seeing
//! the commands before it, and a CONFIG RESETSTAT inside one forgetting
//! exactly the commands before it.

use moat_resp::Frame;
use moat_testkit::{moat_server, reference, Client, ServerBuilder, ServerProcess};

/// One field of `cmdstat_<command>`, or `None` when the command is not
/// listed.
fn stat_field(info: &Frame, command: &str, name: &str) -> Option<u64> {
    let text = match info {
        Frame::Bulk(text) | Frame::Verbatim { text, .. } => {
            String::from_utf8_lossy(text).into_owned()
        }
        other => panic!("INFO: {other:?}"),
    };
    let prefix = format!("cmdstat_{command}:");
    let line = text.lines().find(|line| line.starts_with(&prefix))?;
    let value = line[prefix.len()..]
        .split(',')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("{name} in {line}"));
    Some(value)
}

/// `cmdstat_<name>`'s calls, rejected and failed counts, or `None` when
/// the command is not listed.
fn calls(info: &Frame, command: &str) -> Option<(u64, u64, u64)> {
    let field = |name| stat_field(info, command, name);
    Some((
        field("calls")?,
        field("rejected_calls")?,
        field("failed_calls")?,
    ))
}

fn processed(info: &Frame) -> u64 {
    let Frame::Bulk(text) = info else {
        panic!("INFO: {info:?}")
    };
    String::from_utf8_lossy(text)
        .lines()
        .find_map(|line| line.strip_prefix("total_commands_processed:"))
        .and_then(|value| value.trim().parse().ok())
        .expect("total_commands_processed")
}

/// Sends `commands` in one write, then reads one reply each.
fn pipeline(client: &mut Client, commands: &[Vec<&str>]) -> Vec<Frame> {
    let mut bytes = Vec::new();
    for command in commands {
        bytes.extend(moat_testkit::encode_command(command));
    }
    client.send_raw(&bytes).unwrap();
    commands
        .iter()
        .map(|_| client.read_frame().unwrap())
        .collect()
}

/// What one server shows; compared whole between the two servers.
fn observe(server: &ServerProcess) -> Vec<String> {
    let mut seen = Vec::new();
    let mut worker = server.client().unwrap();
    let mut observer = server.client().unwrap();
    observer.call(&["CONFIG", "RESETSTAT"]).unwrap();

    // A pipeline whose INFO sees the commands before it.
    let mut commands: Vec<Vec<&str>> = (0..20).map(|_| vec!["SET", "k", "v"]).collect();
    commands.push(vec!["INCR", "k"]); // fails: not an integer
    commands.push(vec!["INFO", "commandstats"]);
    let replies = pipeline(&mut worker, &commands);
    let inside = replies.last().unwrap();
    seen.push(format!(
        "inside: set {:?} incr {:?}",
        calls(inside, "set"),
        calls(inside, "incr")
    ));

    // Another client, once the replies arrived, sees all of them.
    let after = observer.call(&["INFO", "commandstats"]).unwrap();
    seen.push(format!(
        "after: set {:?} incr {:?}",
        calls(&after, "set"),
        calls(&after, "incr")
    ));

    // A reset inside a pipeline forgets what came before it only.
    let replies = pipeline(
        &mut worker,
        &[
            vec!["SET", "a", "1"],
            vec!["GET", "a"],
            vec!["CONFIG", "RESETSTAT"],
            vec!["SET", "b", "2"],
            vec!["INFO", "commandstats"],
            vec!["INFO", "stats"],
        ],
    );
    seen.push(format!(
        "reset inside: set {:?} get {:?} config {:?}",
        calls(&replies[4], "set"),
        calls(&replies[4], "get"),
        calls(&replies[4], "config|resetstat")
    ));
    seen.push(format!("processed after reset: {}", processed(&replies[5])));

    // A reset by another client drops what a connection had counted.
    pipeline(&mut worker, &[vec!["GET", "a"], vec!["GET", "b"]]);
    observer.call(&["CONFIG", "RESETSTAT"]).unwrap();
    let replies = pipeline(
        &mut worker,
        &[vec!["GET", "a"], vec!["INFO", "commandstats"]],
    );
    seen.push(format!("other reset: get {:?}", calls(&replies[1], "get")));

    // A command that reports an error and goes on (a clash between later
    // BCAST prefixes): two replies, and the call counts as failed.
    let mut tracker = server.client().unwrap();
    tracker
        .send(&[
            "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a", "PREFIX", "b", "PREFIX", "bc",
        ])
        .unwrap();
    let first = tracker.read_frame().unwrap();
    let second = tracker.read_frame().unwrap();
    seen.push(format!("clash replies: {first:?} {second:?}"));
    let info = observer.call(&["INFO", "commandstats"]).unwrap();
    seen.push(format!("clash: {:?}", calls(&info, "client|tracking")));
    seen
}

#[test]
fn pipelined_statistics_match_redis() {
    let moat = moat_server(option_env!("CARGO_BIN_EXE_moat-server"))
        .start()
        .unwrap();
    let mine = observe(&moat);
    // Without the reference, moat's own figures are still checked.
    assert_eq!(mine[0], "inside: set Some((20, 0, 0)) incr Some((1, 0, 1))");
    assert_eq!(mine[1], "after: set Some((20, 0, 0)) incr Some((1, 0, 1))");
    let Some(redis) = reference::redis_server() else {
        return;
    };
    let redis = ServerBuilder::new(redis).start().unwrap();
    assert_eq!(mine, observe(&redis));
}

/// `cmdstat_<name>`'s calls and usec.
fn calls_and_usec(client: &mut Client, command: &str) -> (u64, u64) {
    let info = client.call(&["INFO", "commandstats"]).unwrap();
    let field = |name| stat_field(&info, command, name).unwrap_or_else(|| panic!("{command}"));
    (field("calls"), field("usec"))
}

/// A blocking command counts once, with the time its attempts ran, never
/// the time it waited: timed out, then served after a wait.
fn blocked_time_is_not_counted(server: &ServerProcess) {
    let mut waiter = server.client().unwrap();
    let mut pusher = server.client().unwrap();
    let reply = waiter.call(&["BLPOP", "stats:empty", "0.2"]).unwrap();
    assert!(matches!(reply, Frame::Null | Frame::NullArray), "{reply:?}");
    let (calls, usec) = calls_and_usec(&mut pusher, "blpop");
    assert_eq!(calls, 1);
    assert!(usec < 100_000, "the 200 ms wait was counted: {usec} usec");
    waiter.send(&["BLPOP", "stats:list", "0"]).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    pusher.call(&["RPUSH", "stats:list", "x"]).unwrap();
    assert!(matches!(waiter.read_frame().unwrap(), Frame::Array(_)));
    let (calls, usec) = calls_and_usec(&mut pusher, "blpop");
    assert_eq!(calls, 2);
    assert!(usec < 100_000, "the 200 ms wait was counted: {usec} usec");
}

#[test]
fn blocked_commands_count_their_attempts_not_their_wait() {
    let moat = moat_server(option_env!("CARGO_BIN_EXE_moat-server"))
        .start()
        .unwrap();
    blocked_time_is_not_counted(&moat);
    if let Some(redis) = reference::redis_server() {
        blocked_time_is_not_counted(&ServerBuilder::new(redis).start().unwrap());
    }
}
