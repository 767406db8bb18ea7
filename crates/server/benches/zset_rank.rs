//! Rank operations on a 1M-member sorted set (the `skiplist` encoding):
//! what ZRANK, ZRANGE by index, ZCOUNT and a ZRANGEBYSCORE LIMIT offset
//! cost inside the value, without the network.
//!
//! Run with `cargo bench -p moat-server --bench zset_rank`.
//!
//! * `zrank_last`: the rank of the member with the highest score.
//! * `zrange_mid_10`: ten members from the middle rank on.
//! * `zcount_half`: the members of the middle half of the score range.
//! * `zrangebyscore_limit_mid_10`: ten members after skipping half.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use moat_server::db::{AddFlags, ScoreBound, ScoreRange, Thresholds, ZSetValue};
use rand::{Rng, SeedableRng};

const MEMBERS: usize = 1_000_000;

fn big_zset() -> ZSetValue {
    let limits = Thresholds::default();
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let mut z = ZSetValue::create(MEMBERS, 0, &limits);
    for i in 0..MEMBERS {
        let score = f64::from(rng.gen_range(0..1_000_000_000u32));
        let _ = z.add(
            format!("member:{i}").as_bytes(),
            score,
            AddFlags::default(),
            &limits,
        );
    }
    z
}

fn range(min: f64, max: f64) -> ScoreRange {
    ScoreRange {
        min: ScoreBound {
            value: min,
            exclusive: false,
        },
        max: ScoreBound {
            value: max,
            exclusive: false,
        },
    }
}

fn rank_ops(c: &mut Criterion) {
    let z = big_zset();
    let last = z
        .iter()
        .next_back()
        .map(|(m, _)| m.to_vec())
        .unwrap_or_default();
    let mut group = c.benchmark_group("zset_1m");
    group.sample_size(20);
    group.bench_function("zrank_last", |b| b.iter(|| z.rank(black_box(&last), false)));
    group.bench_function("zrange_mid_10", |b| {
        b.iter(|| {
            z.rank_range(black_box(MEMBERS / 2), MEMBERS / 2 + 9, false)
                .count()
        })
    });
    group.bench_function("zcount_half", |b| {
        b.iter(|| z.score_count(black_box(range(2.5e8, 7.5e8))))
    });
    group.bench_function("zrangebyscore_limit_mid_10", |b| {
        b.iter(|| {
            z.score_range(black_box(range(f64::NEG_INFINITY, f64::INFINITY)), false)
                .skip(MEMBERS / 2)
                .take(10)
                .count()
        })
    });
    group.finish();
}

criterion_group!(benches, rank_ops);
criterion_main!(benches);
