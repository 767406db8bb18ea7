//! The keyspace the per-command sweeps start every case from: one key of
//! every type, and one expired key of every type (`e*`), so that each
//! command meets a key of the right type, one of the wrong type, a
//! missing one and an expired one.
//!
//! Setting it is where the reference needs care. Redis 7.0 deletes a key
//! at once when its new expiry time is already past, and it reads the
//! clock twice: when `PEXPIRE ... 1` straddles a millisecond tick (a few
//! calls in ten thousand here) the key is gone before the case starts,
//! and the case sees a missing key where it expects an expired one. So
//! [`set`] sets the fixture again until every key of it is there.

use moat_resp::Frame;

/// The fixture's commands, after FLUSHALL.
pub const FIXTURE: &[&str] = &[
    "SET s hello",
    "SET s2 help",
    "SET n 10",
    "RPUSH l a b c",
    "HSET h f v g w n 5",
    "SADD st a b c",
    "SADD st2 b c d",
    "ZADD z 1 a 2 b 3 c",
    "ZADD z2 2 b 3 c 4 d",
    "XADD x 1-0 f v",
    "XADD x 2-0 f w",
    "XGROUP CREATE x grp 0",
    "XADD x2 3-0 f u",
    "GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
    "PFADD hll a b c",
    "PFADD hll2 c d e",
    "SETBIT b 7 1",
    "SET es v",
    "RPUSH el a b",
    "HSET eh f v",
    "SADD est a b",
    "ZADD ez 1 a",
    "XADD ex 1-0 f v",
    "XGROUP CREATE ex grp 0",
    "PFADD ehll a",
    "GEOADD eg 13.361389 38.115556 Palermo",
];

/// The fixture's expired keys, given a 1 ms TTL once the fixture is set.
pub const EXPIRED: &[&str] = &["es", "el", "eh", "est", "ez", "ex", "ehll", "eg"];

/// The commands that set the fixture in database 0, with a sweep's own
/// `extra` keys after it, ending with the DBSIZE that checks it.
pub fn batch(extra: &[&str]) -> Vec<String> {
    let mut commands: Vec<String> = ["SELECT 0", "FLUSHALL"]
        .iter()
        .chain(FIXTURE)
        .chain(extra)
        .map(|command| command.to_string())
        .collect();
    commands.extend(EXPIRED.iter().map(|key| format!("PEXPIRE {key} 1")));
    commands.push("DBSIZE".into());
    commands
}

/// Sets the fixture: `run` sends [`batch`]'s commands in order (one by one
/// or pipelined) and returns their replies.
pub fn set(extra: &[&str], mut run: impl FnMut(&[String]) -> Vec<Frame>) {
    let commands = batch(extra);
    // Every command but XGROUP CREATE names a key of its own first.
    let keys: std::collections::HashSet<&str> = FIXTURE
        .iter()
        .chain(extra)
        .filter(|command| !command.starts_with("XGROUP"))
        .filter_map(|command| command.split(' ').nth(1))
        .collect();
    for _ in 0..20 {
        let replies = run(&commands);
        for (command, reply) in commands.iter().zip(&replies) {
            assert!(!matches!(reply, Frame::Error(_)), "{command}: {reply:?}");
        }
        if replies.last() == Some(&Frame::Integer(keys.len() as i64)) {
            return;
        }
    }
    panic!("the fixture's keys expired as they were set, 20 times over");
}
