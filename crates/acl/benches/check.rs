//! The permission check's cost, which must not grow with the number of
//! key patterns the way Redis's linear scan does.
//!
//! Run with `cargo bench -p moat-acl --bench check`.
//!
//! * `check_patterns/<n>`: GET on a user with n key patterns, a third each
//!   literal (`lit:i`), prefix (`tenant:i:*`) and real glob
//!   (`obj:i:[a-c]?*`); the key matches a prefix pattern, a glob, or none.
//! * `linear_glob_scan_1000`: what trying 1000 globs one by one costs.
//! * `command/allowed` vs `command/denied`: the same user, GET vs SET.
//! * `registry_10k/lookup_and_check`: find a user among 10 000, then check.

use bytes::Bytes;
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use moat_acl::{PubsubDefault, Registry, User};
use moat_commands::{Command, CommandTable, Resolved};
use std::sync::Arc;

fn words(text: &str) -> Vec<Bytes> {
    text.split_whitespace()
        .map(|w| Bytes::copy_from_slice(w.as_bytes()))
        .collect()
}

fn command(argv: &[Bytes]) -> &'static Command {
    match CommandTable::global().resolve(argv) {
        Resolved::Command(cmd) => cmd,
        _ => panic!("unknown command"),
    }
}

/// The i-th of a mix of literal, prefix and glob patterns.
fn mixed_pattern(i: usize) -> String {
    match i % 3 {
        0 => format!("tenant:{i}:*"),
        1 => format!("lit:{i}"),
        _ => format!("obj:{i}:[a-c]?*"),
    }
}

/// A user with `patterns` mixed key patterns.
fn user_with_patterns(patterns: usize) -> Arc<User> {
    let mut rules = vec!["on".to_string(), "nopass".to_string(), "+@all".to_string()];
    rules.extend((0..patterns).map(|i| format!("~{}", mixed_pattern(i))));
    let args: Vec<Bytes> = rules
        .iter()
        .map(|r| Bytes::copy_from_slice(r.as_bytes()))
        .collect();
    let mut registry = Registry::new(PubsubDefault::ResetChannels);
    registry
        .set_user(b"bench", &args)
        .expect("bench rules apply")
        .new
}

fn check_patterns(c: &mut Criterion) {
    let mut group = c.benchmark_group("check_patterns");
    // The floor: the boot default user needs no key or command check.
    let default_user = Arc::new(User::boot_default());
    let argv = words("GET tenant:0:profile");
    let cmd = command(&argv);
    group.bench_function("default_user", |b| {
        b.iter(|| black_box(default_user.check(black_box(cmd), black_box(&argv))))
    });
    for patterns in [1usize, 100, 1000] {
        let user = user_with_patterns(patterns);
        // The last prefix pattern, and (when there is one) the last glob.
        let last_prefix = (patterns - 1) / 3 * 3;
        let last_glob = patterns.saturating_sub(3) / 3 * 3 + 2;
        let cases = [
            ("prefix", format!("GET tenant:{last_prefix}:profile"), true),
            ("glob", format!("GET obj:{last_glob}:b1x"), patterns > 2),
            ("none", "GET other:key".to_string(), false),
        ];
        for (name, request, allowed) in cases {
            let argv = words(&request);
            let cmd = command(&argv);
            assert_eq!(user.check(cmd, &argv).is_ok(), allowed, "{request}");
            group.bench_with_input(BenchmarkId::new(name, patterns), &patterns, |b, _| {
                b.iter(|| black_box(user.check(black_box(cmd), black_box(&argv))))
            });
        }
    }
    group.finish();

    // What a linear scan with the glob costs, for comparison.
    let patterns: Vec<String> = (0..1000).map(mixed_pattern).collect();
    c.bench_function("linear_glob_scan_1000", |b| {
        b.iter(|| {
            patterns
                .iter()
                .any(|p| moat_glob::matches(p.as_bytes(), black_box(b"tenant:999:profile"), false))
        })
    });
}

fn command_denied_vs_allowed(c: &mut Criterion) {
    let mut registry = Registry::new(PubsubDefault::ResetChannels);
    let limited = registry
        .set_user(b"limited", &words("on nopass ~key* -@all +get"))
        .unwrap()
        .new;
    let mut group = c.benchmark_group("command");
    for (name, request, allowed) in [
        ("allowed", "GET key:1", true),
        ("denied", "SET key:1 v", false),
    ] {
        let argv = words(request);
        let cmd = command(&argv);
        assert_eq!(limited.check(cmd, &argv).is_ok(), allowed);
        group.bench_function(name, |b| {
            b.iter(|| black_box(limited.check(black_box(cmd), black_box(&argv))))
        });
    }
    group.finish();
}

fn registry_of_10k_users(c: &mut Criterion) {
    let mut registry = Registry::new(PubsubDefault::ResetChannels);
    for i in 0..10_000 {
        let rules = format!("on >pw ~tenant:{i}:* ~shared:* +@read +@write");
        registry
            .set_user(format!("user{i}").as_bytes(), &words(&rules))
            .unwrap();
    }
    let argv = words("GET tenant:7777:profile");
    let cmd = command(&argv);
    let mut group = c.benchmark_group("registry_10k");
    group.bench_function("lookup", |b| {
        b.iter(|| black_box(registry.get(black_box(b"user7777"))))
    });
    group.bench_function("lookup_and_check", |b| {
        b.iter(|| {
            let user = registry.get(black_box(b"user7777")).expect("user exists");
            black_box(user.check(cmd, black_box(&argv)))
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    check_patterns,
    command_denied_vs_allowed,
    registry_of_10k_users
);
criterion_main!(benches);
