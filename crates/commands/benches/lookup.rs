//! Hot-path costs: resolving a request's command and extracting its keys
//! happen on every request, before the ACL check.

use bytes::Bytes;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use moat_commands::{extract_keys, CommandTable, Resolved};

fn argv(args: &[&str]) -> Vec<Bytes> {
    args.iter()
        .map(|a| Bytes::copy_from_slice(a.as_bytes()))
        .collect()
}

fn bench_resolve(c: &mut Criterion) {
    let table = CommandTable::global();
    for args in [
        &["GET", "key"][..],
        &["client", "LIST"][..],
        &["json.set", "doc", "$", "{}"][..],
        &["NOSUCH"][..],
    ] {
        let argv = argv(args);
        c.bench_function(&format!("resolve {}", args.join(" ")), |b| {
            b.iter(|| matches!(table.resolve(black_box(&argv)), Resolved::Command(_)))
        });
    }
}

fn bench_extract_keys(c: &mut Criterion) {
    let table = CommandTable::global();
    for args in [
        &["GET", "key"][..],
        &["MSET", "a", "1", "b", "2", "c", "3"][..],
        &["SET", "k", "v", "EX", "10", "GET"][..],
        &["EVAL", "return 1", "2", "a", "b", "x"][..],
        &["XREAD", "COUNT", "1", "STREAMS", "a", "b", "0", "0"][..],
    ] {
        let argv = argv(args);
        let Resolved::Command(cmd) = table.resolve(&argv) else {
            panic!("{args:?} must resolve")
        };
        c.bench_function(&format!("extract_keys {}", args[0]), |b| {
            b.iter(|| extract_keys(cmd, black_box(&argv)))
        });
    }
}

criterion_group!(benches, bench_resolve, bench_extract_keys);
criterion_main!(benches);
