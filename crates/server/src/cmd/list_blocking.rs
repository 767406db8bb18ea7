//! BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP (Redis's
//! `blockingPopGenericCommand` and `blmoveGenericCommand`): the timeout is
//! checked where Redis checks it, a list with elements is served at once,
//! otherwise the client blocks ([`crate::blocking`]) and the command is
//! re-run when a key becomes ready.

use super::collection::{bulk, existing};
use super::list::{
    after_removal, end_of, move_element, mpop, parse_mpop, pick, pop_event, pop_word,
};
use super::reply::{flatten, selected_db, Reply};
use super::{Ctx, Handler};
use crate::blocking::{parse_timeout, BlockKind};
use crate::db::{word, Access, End};
use bytes::Bytes;
use moat_resp::Frame;

pub fn handlers() -> &'static [(&'static str, Handler)] {
    HANDLERS
}

const HANDLERS: &[(&str, Handler)] = &[
    ("blpop", |ctx, argv| flatten(bpop(ctx, argv, End::Head))),
    ("brpop", |ctx, argv| flatten(bpop(ctx, argv, End::Tail))),
    ("blmove", |ctx, argv| {
        flatten(blmove_args(argv).and_then(|(from, to)| blmove(ctx, argv, from, to, 5)))
    }),
    ("brpoplpush", |ctx, argv| {
        flatten(blmove(ctx, argv, End::Tail, End::Head, 3))
    }),
    ("blmpop", |ctx, argv| flatten(blmpop(ctx, argv))),
];

/// BLPOP/BRPOP key [key ...] timeout: `[key, element]` from the first
/// non-empty list; WRONGTYPE stops at the first key of another type.
fn bpop(ctx: &mut Ctx<'_>, argv: &[Bytes], end: End) -> Reply {
    let limits = ctx.ks.thresholds;
    let timeout = parse_timeout(&argv[argv.len() - 1], ctx.now_ms)?;
    let keys = &argv[1..argv.len() - 1];
    {
        let mut db = selected_db(ctx);
        for key in keys {
            let Some(list) = existing(&mut db, key, Access::Write, pick)? else {
                continue;
            };
            let Some(element) = list.pop(end) else {
                continue;
            };
            after_removal(&mut db, key, &limits, pop_event(end), 1);
            // Redis propagates a BLPOP that popped as LPOP.
            if db.propagating() {
                db.propagate_as(vec![pop_word(end), key.clone()]);
            }
            return Ok(Frame::Array(vec![
                bulk(key),
                Frame::Bulk(Bytes::from(element)),
            ]));
        }
    }
    Ok(ctx.block_on(BlockKind::List, keys, timeout, Frame::NullArray))
}

fn blmove_args(argv: &[Bytes]) -> Result<(End, End), Frame> {
    Ok((end_of(&argv[3])?, end_of(&argv[4])?))
}

/// BLMOVE / BRPOPLPUSH: LMOVE once the source has an element. Redis
/// replies a null bulk inside MULTI but a null array on timeout.
fn blmove(ctx: &mut Ctx<'_>, argv: &[Bytes], from: End, to: End, timeout_at: usize) -> Reply {
    let timeout = parse_timeout(&argv[timeout_at], ctx.now_ms)?;
    let (source, target) = (&argv[1], &argv[2]);
    let source_exists = {
        let mut db = selected_db(ctx);
        existing(&mut db, source, Access::Write, pick)?.is_some()
    };
    if source_exists {
        let reply = move_element(ctx, source, target, from, to)?;
        // Redis propagates BLMOVE as LMOVE and BRPOPLPUSH as RPOPLPUSH.
        let mut db = selected_db(ctx);
        if reply != Frame::Null && db.propagating() {
            let stated = if timeout_at == 5 {
                vec![
                    word("LMOVE"),
                    source.clone(),
                    target.clone(),
                    argv[3].clone(),
                    argv[4].clone(),
                ]
            } else {
                vec![word("RPOPLPUSH"), source.clone(), target.clone()]
            };
            db.propagate_as(stated);
        }
        return Ok(reply);
    }
    if !ctx.can_block() {
        return Ok(Frame::Null);
    }
    Ok(ctx.block_on(
        BlockKind::List,
        std::slice::from_ref(source),
        timeout,
        Frame::NullArray,
    ))
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]: the
/// arguments after the timeout are checked before the timeout, as Redis
/// does.
fn blmpop(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let (keys, end, wanted) = parse_mpop(&argv[1..])?;
    let keys = &argv[1..][keys];
    let timeout = parse_timeout(&argv[1], ctx.now_ms)?;
    match mpop(ctx, keys, end, wanted)? {
        Frame::NullArray => Ok(ctx.block_on(BlockKind::List, keys, timeout, Frame::NullArray)),
        reply => Ok(reply),
    }
}
