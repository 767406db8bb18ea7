//! `maxmemory` against the built server, one test per policy, in the
//! manner of Redis's `maxmemory.tcl`: fill past the limit with keys of a
//! known access pattern or TTL and check, statistically, which survive.
//! The limit is set a few MB above the server's own footprint, read from
//! INFO, so the tests do not depend on the allocator's baseline.

mod support;

use moat_resp::Frame;
use moat_testkit::{Client, ServerProcess};
use std::time::{Duration, Instant};
use support::{call, moat, ok};

const VALUE_LEN: usize = 1000;
/// Room above the baseline: a few thousand keys of `VALUE_LEN` bytes.
const HEADROOM: u64 = 4 * 1024 * 1024;

fn start(policy: &str) -> (ServerProcess, Client) {
    let server = moat().args(["--maxmemory-policy", policy]).start().unwrap();
    let client = server.client().unwrap();
    (server, client)
}

fn info_field(client: &mut Client, section: &str, field: &str) -> u64 {
    let Frame::Bulk(text) = call(client, &["INFO", section]) else {
        panic!("INFO {section}")
    };
    let text = String::from_utf8_lossy(&text).into_owned();
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("{field} missing from INFO {section}"))
        .trim()
        .parse()
        .unwrap()
}

fn used_memory(client: &mut Client) -> u64 {
    info_field(client, "memory", "used_memory")
}

fn evicted(client: &mut Client) -> u64 {
    info_field(client, "stats", "evicted_keys")
}

/// Sets `maxmemory` to the current footprint plus `HEADROOM`.
fn limit_memory(client: &mut Client) -> u64 {
    let limit = used_memory(client) + HEADROOM;
    ok(client, &["CONFIG", "SET", "maxmemory", &limit.to_string()]);
    limit
}

/// Writes `keys` with a `VALUE_LEN` value in one pipeline; returns the
/// replies.
fn pipeline_set(
    client: &mut Client,
    keys: &[String],
    ttl: Option<&dyn Fn(usize) -> u64>,
) -> Vec<Frame> {
    let value = "x".repeat(VALUE_LEN);
    for (n, key) in keys.iter().enumerate() {
        match ttl {
            Some(ttl) => client
                .send(&["SET", key, &value, "EX", &ttl(n).to_string()])
                .unwrap(),
            None => client.send(&["SET", key, &value]).unwrap(),
        }
    }
    keys.iter().map(|_| client.read_frame().unwrap()).collect()
}

fn names(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|n| format!("{prefix}{n}")).collect()
}

fn surviving(client: &mut Client, keys: &[String]) -> usize {
    for key in keys {
        client.send(&["EXISTS", key]).unwrap();
    }
    keys.iter()
        .filter(|_| client.read_frame().unwrap() == Frame::Integer(1))
        .count()
}

/// Writes fresh keys until at least `target` keys were evicted, checking
/// that memory stays bounded meanwhile.
fn fill_until_evicted(client: &mut Client, limit: u64, target: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut round = 0;
    while evicted(client) < target {
        assert!(Instant::now() < deadline, "eviction never reached {target}");
        let keys = names(&format!("fill{round}:"), 0..200);
        for reply in pipeline_set(client, &keys, None) {
            assert_eq!(reply, Frame::Simple("OK".into()));
        }
        // One reply batch of slack: eviction runs before each command.
        assert!(
            used_memory(client) < limit + 1024 * 1024,
            "memory grew past the limit"
        );
        round += 1;
    }
}

#[test]
fn allkeys_lru_keeps_recently_used_keys() {
    let (_server, mut client) = start("allkeys-lru");
    let old = names("old:", 0..1000);
    let hot = names("hot:", 0..1000);
    let limit = limit_memory(&mut client);
    pipeline_set(&mut client, &old, None);
    pipeline_set(&mut client, &hot, None);
    // The LRU clock counts seconds: let both sets age, then touch one.
    std::thread::sleep(Duration::from_millis(2100));
    for key in &hot {
        client.send(&["GET", key]).unwrap();
    }
    for _ in &hot {
        client.read_frame().unwrap();
    }
    fill_until_evicted(&mut client, limit, 1000);
    let (old_left, hot_left) = (surviving(&mut client, &old), surviving(&mut client, &hot));
    assert!(
        hot_left > 800 && old_left < hot_left / 2,
        "touched {hot_left}/1000 vs untouched {old_left}/1000 survived"
    );
}

#[test]
fn allkeys_lfu_keeps_frequently_used_keys() {
    let (_server, mut client) = start("allkeys-lfu");
    // Log factor 0 makes every access count, so the test is deterministic
    // in the counters and statistical only in the sampling.
    ok(&mut client, &["CONFIG", "SET", "lfu-log-factor", "0"]);
    let cold = names("cold:", 0..1000);
    let hot = names("hot:", 0..1000);
    let limit = limit_memory(&mut client);
    pipeline_set(&mut client, &cold, None);
    pipeline_set(&mut client, &hot, None);
    for _ in 0..5 {
        for key in &hot {
            client.send(&["GET", key]).unwrap();
        }
        for _ in &hot {
            client.read_frame().unwrap();
        }
    }
    assert_eq!(
        call(&mut client, &["OBJECT", "FREQ", "hot:7"]),
        Frame::Integer(10)
    );
    fill_until_evicted(&mut client, limit, 1000);
    let (cold_left, hot_left) = (surviving(&mut client, &cold), surviving(&mut client, &hot));
    assert!(
        hot_left > 950 && cold_left < 750,
        "frequent {hot_left}/1000 vs rare {cold_left}/1000 survived"
    );
}

#[test]
fn allkeys_random_evicts_from_everything() {
    let (_server, mut client) = start("allkeys-random");
    let first = names("first:", 0..2000);
    let limit = limit_memory(&mut client);
    pipeline_set(&mut client, &first, None);
    fill_until_evicted(&mut client, limit, 2000);
    let left = surviving(&mut client, &first);
    // Uniform choice: the first keys are neither all kept nor all gone.
    assert!(
        left > 50 && left < 1950,
        "{left}/2000 of the first keys survived"
    );
}

/// Under every volatile policy keys without a TTL are never evicted, and
/// once no key with a TTL is left, writes fail with OOM.
fn volatile_policy_spares_persistent_keys(policy: &str) {
    let (_server, mut client) = start(policy);
    let persistent = names("keep:", 0..1000);
    let volatile = names("ttl:", 0..1000);
    let limit = limit_memory(&mut client);
    pipeline_set(&mut client, &persistent, None);
    pipeline_set(&mut client, &volatile, Some(&|n| 1000 + n as u64));
    let value = "x".repeat(VALUE_LEN);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut n = 0;
    let oom = loop {
        assert!(Instant::now() < deadline, "{policy}: never refused a write");
        let reply = call(&mut client, &["SET", &format!("more:{n}"), &value]);
        if reply != Frame::Simple("OK".into()) {
            break reply;
        }
        n += 1;
    };
    assert_eq!(
        oom,
        Frame::Error("OOM command not allowed when used memory > 'maxmemory'.".into()),
        "{policy}"
    );
    assert_eq!(surviving(&mut client, &persistent), 1000, "{policy}");
    assert_eq!(surviving(&mut client, &volatile), 0, "{policy}");
    assert_eq!(evicted(&mut client), 1000, "{policy}");
    assert!(used_memory(&mut client) < limit + 1024 * 1024, "{policy}");
    // Reads and deletions still work when writes do not.
    assert_eq!(
        call(&mut client, &["GET", "keep:1"]),
        Frame::Bulk(value.into())
    );
    assert_eq!(call(&mut client, &["DEL", "keep:1"]), Frame::Integer(1));
}

#[test]
fn volatile_lru_spares_persistent_keys() {
    volatile_policy_spares_persistent_keys("volatile-lru");
}

#[test]
fn volatile_lfu_spares_persistent_keys() {
    volatile_policy_spares_persistent_keys("volatile-lfu");
}

#[test]
fn volatile_random_spares_persistent_keys() {
    volatile_policy_spares_persistent_keys("volatile-random");
}

#[test]
fn volatile_ttl_spares_persistent_keys() {
    volatile_policy_spares_persistent_keys("volatile-ttl");
}

#[test]
fn volatile_ttl_evicts_sooner_expiring_keys_first() {
    let (_server, mut client) = start("volatile-ttl");
    let soon = names("soon:", 0..1000);
    let late = names("late:", 0..1000);
    let limit = limit_memory(&mut client);
    pipeline_set(&mut client, &soon, Some(&|n| 1000 + n as u64));
    pipeline_set(&mut client, &late, Some(&|n| 100_000 + n as u64));
    let value = "x".repeat(VALUE_LEN);
    let mut n = 0;
    while evicted(&mut client) < 1000 {
        let more: Vec<String> = names(&format!("more{n}:"), 0..100);
        for key in &more {
            client.send(&["SET", key, &value, "EX", "1000000"]).unwrap();
        }
        for _ in &more {
            client.read_frame().unwrap();
        }
        n += 1;
        assert!(n < 1000, "eviction never reached 1000 keys");
    }
    assert!(used_memory(&mut client) < limit + 1024 * 1024);
    let (soon_left, late_left) = (surviving(&mut client, &soon), surviving(&mut client, &late));
    assert!(
        late_left > 600 && soon_left < late_left / 2,
        "expiring soon {soon_left}/1000 vs late {late_left}/1000 survived"
    );
}

#[test]
fn noeviction_refuses_writes_and_evicts_nothing() {
    let (_server, mut client) = start("noeviction");
    limit_memory(&mut client);
    let value = "x".repeat(VALUE_LEN);
    let mut written = 0;
    let oom = loop {
        assert!(written < 100_000, "never refused a write");
        let reply = call(&mut client, &["SET", &format!("k{written}"), &value]);
        if reply != Frame::Simple("OK".into()) {
            break reply;
        }
        written += 1;
    };
    assert_eq!(
        oom,
        Frame::Error("OOM command not allowed when used memory > 'maxmemory'.".into())
    );
    assert_eq!(call(&mut client, &["DBSIZE"]), Frame::Integer(written));
    assert_eq!(evicted(&mut client), 0);
    // Inside MULTI even a read is refused (queueing takes memory) and the
    // transaction is doomed; EXEC and DISCARD themselves are not refused.
    ok(&mut client, &["MULTI"]);
    assert_eq!(
        call(&mut client, &["GET", "k0"]),
        Frame::Error("OOM command not allowed when used memory > 'maxmemory'.".into())
    );
    assert!(matches!(call(&mut client, &["EXEC"]), Frame::Error(e) if e.starts_with(b"EXECABORT")));
    assert_eq!(call(&mut client, &["GET", "k0"]), Frame::Bulk(value.into()));
    assert_eq!(call(&mut client, &["DEL", "k0", "k1"]), Frame::Integer(2));
    // Raising the limit lets writes through again.
    ok(&mut client, &["CONFIG", "SET", "maxmemory", "0"]);
    ok(&mut client, &["SET", "again", "1"]);
}

#[test]
fn eviction_notifies_breaks_watch_and_counts() {
    let (server, mut client) = start("allkeys-lru");
    ok(
        &mut client,
        &["CONFIG", "SET", "notify-keyspace-events", "Ee"],
    );
    let mut subscriber = server.client().unwrap();
    subscriber
        .call(&["SUBSCRIBE", "__keyevent@0__:evicted"])
        .unwrap();
    let victims = names("victim:", 0..500);
    let limit = limit_memory(&mut client);
    pipeline_set(&mut client, &victims, None);
    std::thread::sleep(Duration::from_millis(2100));
    let mut watcher = server.client().unwrap();
    let watched: Vec<&str> = victims[..10].iter().map(String::as_str).collect();
    let watch: Vec<&str> = std::iter::once("WATCH")
        .chain(watched.iter().copied())
        .collect();
    ok(&mut watcher, &watch);
    // Writing fresh keys evicts the idle victims.
    fill_until_evicted(&mut client, limit, 500);
    let victim_left = surviving(&mut client, &victims);
    assert!(victim_left < 400, "{victim_left} of 500 idle keys survived");
    let mut exists = vec!["EXISTS"];
    exists.extend(watched.iter().copied());
    assert!(
        call(&mut client, &exists) != Frame::Integer(10),
        "no watched key was evicted"
    );
    ok(&mut watcher, &["MULTI"]);
    assert_eq!(
        call(&mut watcher, &["SET", "x", "1"]),
        Frame::Simple("QUEUED".into())
    );
    assert_eq!(
        call(&mut watcher, &["EXEC"]),
        Frame::NullArray,
        "eviction of a watched key must abort EXEC"
    );
    // The subscriber heard of an eviction, with the key as the message.
    let message = subscriber.read_frame().unwrap();
    let Frame::Array(parts) = message else {
        panic!("not a message: {message:?}")
    };
    assert_eq!(parts[1], Frame::Bulk("__keyevent@0__:evicted".into()));
    assert!(matches!(&parts[2], Frame::Bulk(key) if !key.is_empty()));
}

/// Evicted keys are deleted in the AOF too (Redis's `propagateDeletion`):
/// after a restart the dataset is what it was, not what was ever written.
#[test]
fn evictions_are_written_to_the_aof() {
    let mut server = moat()
        .args([
            "--maxmemory-policy",
            "allkeys-random",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
        ])
        .start()
        .unwrap();
    let mut client = server.client().unwrap();
    let limit = limit_memory(&mut client);
    fill_until_evicted(&mut client, limit, 500);
    // Lifted first (every command may evict before it runs), so that
    // the count below is final and loading evicts nothing of its own.
    ok(&mut client, &["CONFIG", "SET", "maxmemory", "0"]);
    let Frame::Integer(before) = call(&mut client, &["DBSIZE"]) else {
        panic!("DBSIZE")
    };
    drop(client);
    server.restart().unwrap();
    let mut client = server.client().unwrap();
    assert_eq!(call(&mut client, &["DBSIZE"]), Frame::Integer(before));
}
