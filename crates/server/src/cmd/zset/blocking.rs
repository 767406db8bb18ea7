//! BZPOPMIN, BZPOPMAX, BZMPOP (Redis's `blockingGenericZpopCommand`): a
//! sorted set with members is served at once, otherwise the client blocks
//! ([`crate::blocking`]) and the command is re-run when a key is ready.

use super::pick;
use super::pop::{parse_zmpop, pop_from, Shape};
use crate::blocking::{parse_timeout, BlockKind};
use crate::cmd::collection::{bulk, existing};
use crate::cmd::reply::{selected_db, Reply};
use crate::cmd::Ctx;
use crate::db::{word, Access};
use bytes::Bytes;
use moat_resp::Frame;

/// The first of `keys` holding a non-empty sorted set; WRONGTYPE at the
/// first key of another type.
fn first_non_empty<'k>(ctx: &mut Ctx<'_>, keys: &'k [Bytes]) -> Result<Option<&'k Bytes>, Frame> {
    let mut db = selected_db(ctx);
    for key in keys {
        if existing(&mut db, key, Access::Write, pick)?.is_some_and(|z| !z.is_empty()) {
            return Ok(Some(key));
        }
    }
    Ok(None)
}

/// BZPOPMIN/BZPOPMAX key [key ...] timeout: `[key, member, score]`.
pub fn bzpop(ctx: &mut Ctx<'_>, argv: &[Bytes], max: bool) -> Reply {
    let timeout = parse_timeout(&argv[argv.len() - 1], ctx.now_ms)?;
    let keys = &argv[1..argv.len() - 1];
    let Some(key) = first_non_empty(ctx, keys)? else {
        return Ok(ctx.block_on(BlockKind::ZSet, keys, timeout, Frame::NullArray));
    };
    let shape = Shape {
        nested: false,
        with_key: false,
    };
    let reply = pop_from(ctx, std::slice::from_ref(key), max, None, shape)?;
    // Redis propagates BZPOPMIN as ZPOPMIN.
    let mut db = selected_db(ctx);
    if db.propagating() {
        let name = if max {
            word("ZPOPMAX")
        } else {
            word("ZPOPMIN")
        };
        db.propagate_as(vec![name, key.clone()]);
    }
    match reply {
        Frame::Array(mut pair) => {
            pair.insert(0, bulk(key));
            Ok(Frame::Array(pair))
        }
        other => Ok(other),
    }
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]: the
/// arguments after the timeout are checked first, as Redis does.
pub fn bzmpop(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let (keys, max, wanted) = parse_zmpop(&argv[1..])?;
    let keys = &argv[1..][keys];
    let timeout = parse_timeout(&argv[1], ctx.now_ms)?;
    if first_non_empty(ctx, keys)?.is_none() {
        return Ok(ctx.block_on(BlockKind::ZSet, keys, timeout, Frame::NullArray));
    }
    let shape = Shape {
        nested: true,
        with_key: true,
    };
    pop_from(ctx, keys, max, Some(wanted), shape)
}
