//! The permission check's cost, which must not grow with the number of
//! key patterns the way Redis's linear scan does.
//!
//! Run with `cargo bench -p moat-acl --bench check`.

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

/// A user with `patterns` prefix patterns plus a few literal and glob ones.
fn user_with_patterns(patterns: usize) -> Arc<User> {
    let mut rules = vec!["on".to_string(), "nopass".to_string(), "+@all".to_string()];
    rules.extend((0..patterns).map(|i| format!("~tenant:{i}:*")));
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

fn allowed_get(c: &mut Criterion) {
    let mut group = c.benchmark_group("allowed_get");
    for patterns in [1usize, 100, 1000] {
        let user = user_with_patterns(patterns);
        let argv = words(&format!("GET tenant:{}:profile", patterns - 1));
        let cmd = command(&argv);
        user.check(cmd, &argv).expect("allowed");
        group.bench_with_input(BenchmarkId::from_parameter(patterns), &patterns, |b, _| {
            b.iter(|| black_box(user.check(black_box(cmd), black_box(&argv))))
        });
    }
    group.finish();

    // What a linear scan with the glob would cost, for comparison.
    let patterns: Vec<String> = (0..1000).map(|i| format!("tenant:{i}:*")).collect();
    c.bench_function("linear_glob_scan_1000", |b| {
        b.iter(|| {
            patterns
                .iter()
                .any(|p| moat_glob::matches(p.as_bytes(), black_box(b"tenant:999:profile"), false))
        })
    });
}

fn denied(c: &mut Criterion) {
    let user = user_with_patterns(1000);
    let key_argv = words("GET other:key");
    let key_cmd = command(&key_argv);
    c.bench_function("denied_key_1000_patterns", |b| {
        b.iter(|| black_box(user.check(key_cmd, black_box(&key_argv))))
    });

    let mut registry = Registry::new(PubsubDefault::ResetChannels);
    let limited = registry
        .set_user(b"limited", &words("on nopass ~* -@all +get"))
        .unwrap()
        .new;
    let argv = words("SET k v");
    let cmd = command(&argv);
    c.bench_function("denied_command", |b| {
        b.iter(|| black_box(limited.check(cmd, black_box(&argv))))
    });
}

fn user_lookup(c: &mut Criterion) {
    let mut registry = Registry::new(PubsubDefault::ResetChannels);
    for i in 0..10_000 {
        registry
            .set_user(format!("user{i}").as_bytes(), &words("on >pw ~* +@read"))
            .unwrap();
    }
    c.bench_function("lookup_among_10k_users", |b| {
        b.iter(|| black_box(registry.get(black_box(b"user7777"))))
    });
}

criterion_group!(benches, allowed_get, denied, user_lookup);
criterion_main!(benches);
