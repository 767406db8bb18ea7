//! WAIT numreplicas timeout. moat has no replicas, so the count of
//! acknowledging replicas is always 0: `WAIT 0 ...` (or a negative count)
//! answers at once, anything more blocks until the timeout (0: forever)
//! or CLIENT UNBLOCK and answers 0, as Redis without replicas does.

use super::args::parse_i64;
use super::reply::{flatten, Reply};
use super::{Ctx, Handler};
use crate::blocking::{parse_timeout_ms, BlockKind};
use bytes::Bytes;
use moat_resp::Frame;

pub fn handlers() -> &'static [(&'static str, Handler)] {
    &[("wait", |ctx, argv| flatten(wait(ctx, argv)))]
}

/// Replicas that acknowledged the client's writes: there are none.
const ACKED_REPLICAS: i64 = 0;

fn wait(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let wanted = parse_i64(&argv[1])?;
    let timeout = parse_timeout_ms(&argv[2], ctx.now_ms)?;
    if ACKED_REPLICAS >= wanted {
        return Ok(Frame::Integer(ACKED_REPLICAS));
    }
    Ok(ctx.block_on(
        BlockKind::Replication,
        &[],
        timeout,
        Frame::Integer(ACKED_REPLICAS),
    ))
}
