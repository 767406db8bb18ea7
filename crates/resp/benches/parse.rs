//! Hot-path benchmarks: parsing a pipelined batch of requests and encoding
//! the replies, as one connection's read/write cycle does.

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use moat_resp::{Frame, Protocol, RequestLimits, RequestParser};
use std::hint::black_box;

const BATCH: usize = 1000;

fn pipelined_sets() -> Vec<u8> {
    let mut stream = Vec::new();
    for n in 0..BATCH {
        let key = format!("key:{n}");
        stream.extend_from_slice(
            format!(
                "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n$5\r\nvalue\r\n",
                key.len()
            )
            .as_bytes(),
        );
    }
    stream
}

fn parse_batch(c: &mut Criterion) {
    let stream = pipelined_sets();
    let limits = RequestLimits::default();
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(stream.len() as u64));
    group.bench_function("1000 pipelined SET", |b| {
        b.iter_batched(
            || BytesMut::from(&stream[..]),
            |mut buf| {
                let mut parser = RequestParser::new();
                let mut argv = Vec::new();
                let mut parsed = 0;
                while let Ok(true) = parser.parse_into(&mut buf, &limits, &mut argv) {
                    parsed += argv.len();
                }
                black_box(parsed)
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("1000 pipelined SET in 16 KB reads", |b| {
        b.iter(|| {
            let mut parser = RequestParser::new();
            let mut argv = Vec::new();
            let mut buf = BytesMut::with_capacity(32 * 1024);
            let mut parsed = 0;
            for chunk in stream.chunks(16 * 1024) {
                buf.extend_from_slice(chunk);
                while let Ok(true) = parser.parse_into(&mut buf, &limits, &mut argv) {
                    parsed += argv.len();
                }
            }
            black_box(parsed)
        })
    });
    group.finish();
}

fn encode_replies(c: &mut Criterion) {
    let ok = Frame::ok();
    let bulk = Frame::bulk("value");
    let map = Frame::Map(vec![
        (Frame::bulk("flags"), Frame::Set(vec![Frame::simple("on")])),
        (Frame::bulk("score"), Frame::Double(1.5)),
    ]);
    let mut group = c.benchmark_group("encode");
    for (name, frame) in [("+OK", &ok), ("bulk", &bulk), ("map", &map)] {
        for proto in [Protocol::Resp2, Protocol::Resp3] {
            group.bench_function(format!("1000 {name} {proto:?}"), |b| {
                let mut out = BytesMut::with_capacity(64 * 1024);
                b.iter(|| {
                    out.clear();
                    for _ in 0..BATCH {
                        frame.encode(proto, &mut out);
                    }
                    black_box(out.len())
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, parse_batch, encode_replies);
criterion_main!(benches);
