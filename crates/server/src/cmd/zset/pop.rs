//! ZPOPMIN, ZPOPMAX, ZMPOP (Redis's `genericZpopCommand`) and
//! ZRANDMEMBER.

use super::{pick, read, render};
use crate::cmd::args::{is, parse_i64};
use crate::cmd::collection::{bulk, edited_notify, existing, rand_count_with, sample_in_order};
use crate::cmd::reply::{selected_db, syntax_error, Reply};
use crate::cmd::Ctx;
use crate::db::{number, word, Access, ZSetValue};
use bytes::Bytes;
use moat_config::NotifyFlags;
use moat_resp::Frame;

/// How a pop's reply is laid out.
#[derive(Clone, Copy)]
pub(super) struct Shape {
    /// `[member, score]` pairs instead of a flat list.
    pub nested: bool,
    /// ZMPOP: `[key, [pairs]]`, nil when nothing was popped.
    pub with_key: bool,
}

/// Pops up to `wanted` members from the first non-empty sorted set among
/// `keys`; WRONGTYPE stops at the first key of another type.
pub(super) fn pop_from(
    ctx: &mut Ctx<'_>,
    keys: &[Bytes],
    max: bool,
    wanted: Option<u64>,
    shape: Shape,
) -> Reply {
    let mut db = selected_db(ctx);
    let mut found = None;
    for key in keys {
        if existing(&mut db, key, Access::Write, pick)?.is_some() {
            found = Some(key);
            break;
        }
    }
    let Some(key) = found else {
        return Ok(if shape.with_key {
            Frame::NullArray
        } else {
            Frame::Array(Vec::new())
        });
    };
    if wanted == Some(0) {
        return Ok(Frame::Array(Vec::new()));
    }
    let Some(zset) = existing(&mut db, key, Access::Peek, pick)? else {
        return Ok(Frame::Array(Vec::new()));
    };
    let n = usize::try_from(wanted.unwrap_or(1)).unwrap_or(usize::MAX);
    let popped: Vec<(Vec<u8>, f64)> = {
        let it = zset.iter();
        let it: Box<dyn Iterator<Item = (&[u8], f64)>> = if max { Box::new(it.rev()) } else { it };
        it.take(n).map(|(m, s)| (m.to_vec(), s)).collect()
    };
    for (member, _) in &popped {
        zset.remove(member);
    }
    let empty = zset.is_empty();
    let event = if max { "zpopmax" } else { "zpopmin" };
    edited_notify(&mut db, key, empty, NotifyFlags::ZSET, event);
    db.count_changes(popped.len());
    // Redis propagates ZMPOP and BZMPOP as `ZPOPMIN|ZPOPMAX key count`.
    if shape.with_key && db.propagating() {
        let name = if max {
            word("ZPOPMAX")
        } else {
            word("ZPOPMIN")
        };
        db.propagate_as(vec![name, key.clone(), number(popped.len() as i64)]);
    }
    let mut items = Vec::with_capacity(popped.len() * 2);
    for (member, score) in popped {
        let member = Frame::Bulk(Bytes::from(member));
        if shape.nested {
            items.push(Frame::Array(vec![member, Frame::Double(score)]));
        } else {
            items.push(member);
            items.push(Frame::Double(score));
        }
    }
    Ok(if shape.with_key {
        Frame::Array(vec![bulk(key), Frame::Array(items)])
    } else {
        Frame::Array(items)
    })
}

pub fn zpop(ctx: &mut Ctx<'_>, argv: &[Bytes], max: bool) -> Reply {
    if argv.len() > 3 {
        return Err(syntax_error());
    }
    let wanted = match argv.get(2) {
        None => None,
        Some(arg) => Some(
            parse_i64(arg)
                .ok()
                .and_then(|n| u64::try_from(n).ok())
                .ok_or_else(|| Frame::error("ERR value is out of range, must be positive"))?,
        ),
    };
    let shape = Shape {
        nested: wanted.is_some() && super::is_resp3(ctx),
        with_key: false,
    };
    pop_from(ctx, &argv[1..2], max, wanted, shape)
}

pub fn zmpop(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let (keys, max, wanted) = parse_zmpop(argv)?;
    let shape = Shape {
        nested: true,
        with_key: true,
    };
    pop_from(ctx, &argv[keys], max, Some(wanted), shape)
}

/// ZMPOP's arguments after the command name (numkeys at `argv[1]`): the
/// keys' range, whether MAX, the count.
pub(super) fn parse_zmpop(argv: &[Bytes]) -> Result<(std::ops::Range<usize>, bool, u64), Frame> {
    let numkeys = parse_i64(&argv[1])
        .ok()
        .filter(|&n| n >= 1)
        .ok_or_else(|| Frame::error("ERR numkeys should be greater than 0"))?;
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    let where_at = numkeys.saturating_add(2);
    let Some(side) = argv.get(where_at) else {
        return Err(syntax_error());
    };
    let max = if is(side, "min") {
        false
    } else if is(side, "max") {
        true
    } else {
        return Err(syntax_error());
    };
    let mut wanted = None;
    let mut j = where_at + 1;
    while j < argv.len() {
        if wanted.is_none() && is(&argv[j], "count") && j + 1 < argv.len() {
            let n = parse_i64(&argv[j + 1])
                .ok()
                .filter(|&n| n >= 1)
                .ok_or_else(|| Frame::error("ERR count should be greater than 0"))?;
            wanted = Some(n as u64);
            j += 2;
        } else {
            return Err(syntax_error());
        }
    }
    Ok((2..where_at, max, wanted.unwrap_or(1)))
}

pub fn zrandmember(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let resp3 = super::is_resp3(ctx);
    if argv.len() >= 3 {
        let (n, with_scores) = rand_count_with(argv, "withscores")?;
        let mut db = selected_db(ctx);
        let Some(zset) = read(&mut db, &argv[1])? else {
            return Ok(Frame::Array(Vec::new()));
        };
        return Ok(random_members(zset, n, with_scores, resp3));
    }
    let mut db = selected_db(ctx);
    let Some(zset) = read(&mut db, &argv[1])? else {
        return Ok(Frame::Null);
    };
    Ok(zset
        .random(&mut rand::thread_rng())
        .map_or(Frame::Null, |(m, _)| bulk(m)))
}

/// ZRANDMEMBER with a count, by the same cases as HRANDFIELD.
fn random_members(zset: &ZSetValue, n: i64, with_scores: bool, resp3: bool) -> Frame {
    let wanted = n.unsigned_abs();
    if wanted == 0 {
        return Frame::Array(Vec::new());
    }
    let mut rng = rand::thread_rng();
    if n < 0 || wanted == 1 {
        let mut picked = Vec::new();
        for _ in 0..wanted {
            match zset.random(&mut rng) {
                Some(pair) => picked.push(pair),
                None => break,
            }
        }
        return render(picked.into_iter(), with_scores, resp3);
    }
    if wanted >= zset.len() as u64 {
        // Redis's `zuiNext` walks sorted sets from the highest score down.
        return render(zset.iter().rev(), with_scores, resp3);
    }
    let wanted = wanted as usize;
    let all: Vec<(&[u8], f64)> = zset.iter().collect();
    let all = sample_in_order(all, wanted, &mut rng);
    render(all.into_iter(), with_scores, resp3)
}
