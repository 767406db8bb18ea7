//! Arbitrary bytes, split into arbitrary reads, must never panic the request
//! parser, and must give the same requests and the same error however the
//! stream was split.

#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use moat_resp::{ProtocolError, RequestLimits, RequestParser};

type Outcome = (Vec<Result<Vec<Bytes>, ProtocolError>>, Vec<u8>);

/// Feeds `stream` in pieces ending at `cuts` and records everything parsed.
fn run(stream: &[u8], cuts: &[usize], limits: &RequestLimits) -> Outcome {
    let mut parser = RequestParser::new();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut start = 0;
    for &end in cuts.iter().chain(std::iter::once(&stream.len())) {
        buf.extend_from_slice(&stream[start..end]);
        start = end;
        loop {
            match parser.parse(&mut buf, limits) {
                Ok(Some(argv)) => out.push(Ok(argv)),
                Ok(None) => break,
                Err(error) => {
                    out.push(Err(error));
                    return (out, buf.to_vec());
                }
            }
        }
    }
    (out, buf.to_vec())
}

fuzz_target!(|data: &[u8]| {
    // The first bytes choose the limits and the read sizes.
    let Some((&settings, rest)) = data.split_first() else {
        return;
    };
    let split = rest.len().min(usize::from(settings >> 4));
    let (sizes, stream) = rest.split_at(split);
    let limits = RequestLimits {
        unauthenticated: settings & 1 == 1,
        max_bulk_len: if settings & 2 == 2 {
            64
        } else {
            512 * 1024 * 1024
        },
    };

    let mut cuts = Vec::new();
    let mut position = 0;
    for &size in sizes {
        position = (position + usize::from(size)).min(stream.len());
        cuts.push(position);
    }
    assert_eq!(run(stream, &cuts, &limits), run(stream, &[], &limits));
});
