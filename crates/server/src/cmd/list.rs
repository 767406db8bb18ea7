//! List commands (the blocking ones are in `list_blocking.rs`), following Redis 7.2's
//! `t_list.c`: argument checks before or after the key lookup exactly
//! where Redis does them, listpack/quicklist conversions before growing
//! and after shrinking, and nil/empty replies that depend on whether a
//! count was given.

use super::args::{is, parse_i64};
use super::collection::{bulk, existing, rand_count};
use super::reply::{count, flatten, no_such_key, selected_db, syntax_error, wrong_arity, Reply};
use super::zset::rank_range;
use super::{Ctx, Handler};
use crate::db::{number, word, Access, DbView, End, ListValue, Thresholds, Value};
use bytes::Bytes;
use moat_config::NotifyFlags;
use moat_resp::Frame;

pub fn handlers() -> &'static [(&'static str, Handler)] {
    HANDLERS
}

const HANDLERS: &[(&str, Handler)] = &[
    ("lpush", |ctx, argv| {
        flatten(push(ctx, argv, End::Head, false))
    }),
    ("rpush", |ctx, argv| {
        flatten(push(ctx, argv, End::Tail, false))
    }),
    ("lpushx", |ctx, argv| {
        flatten(push(ctx, argv, End::Head, true))
    }),
    ("rpushx", |ctx, argv| {
        flatten(push(ctx, argv, End::Tail, true))
    }),
    ("lpop", |ctx, argv| flatten(pop(ctx, argv, End::Head))),
    ("rpop", |ctx, argv| flatten(pop(ctx, argv, End::Tail))),
    ("llen", |ctx, argv| flatten(llen(ctx, argv))),
    ("lrange", |ctx, argv| flatten(lrange(ctx, argv))),
    ("lindex", |ctx, argv| flatten(lindex(ctx, argv))),
    ("lset", |ctx, argv| flatten(lset(ctx, argv))),
    ("linsert", |ctx, argv| flatten(linsert(ctx, argv))),
    ("lrem", |ctx, argv| flatten(lrem(ctx, argv))),
    ("ltrim", |ctx, argv| flatten(ltrim(ctx, argv))),
    ("lpos", |ctx, argv| flatten(lpos(ctx, argv))),
    ("lmove", |ctx, argv| flatten(lmove(ctx, argv))),
    ("rpoplpush", |ctx, argv| {
        flatten(move_element(ctx, &argv[1], &argv[2], End::Tail, End::Head))
    }),
    ("lmpop", |ctx, argv| flatten(lmpop(ctx, argv))),
];

pub(super) fn pick(value: &mut Value) -> Option<&mut ListValue> {
    value.as_list_mut()
}

/// After `removed` elements were removed: deletes an emptied list, else
/// lets it shrink back to a listpack, and reports the change: `event`,
/// then `del` if the list was deleted, as Redis raises them, and a change
/// per element removed, as Redis's `listElementsRemoved` counts them.
pub(super) fn after_removal(
    db: &mut DbView<'_>,
    key: &[u8],
    limits: &Thresholds,
    event: &'static str,
    removed: usize,
) {
    db.count_changes(removed);
    let emptied = match existing(db, key, Access::Peek, pick) {
        Ok(Some(list)) if list.is_empty() => {
            db.remove(key);
            true
        }
        Ok(Some(list)) => {
            list.shrink(limits);
            db.modified(key);
            false
        }
        _ => return,
    };
    db.notify(NotifyFlags::LIST, event, key);
    if emptied {
        db.notify(NotifyFlags::GENERIC, "del", key);
    }
}

/// The event Redis raises for a pop from `end`.
pub(super) fn pop_event(end: End) -> &'static str {
    match end {
        End::Head => "lpop",
        End::Tail => "rpop",
    }
}

/// The event Redis raises for a push onto `end`.
fn push_event(end: End) -> &'static str {
    match end {
        End::Head => "lpush",
        End::Tail => "rpush",
    }
}

fn push(ctx: &mut Ctx<'_>, argv: &[Bytes], end: End, only_existing: bool) -> Reply {
    let limits = ctx.ks.thresholds;
    let key = &argv[1][..];
    let elements = &argv[2..];
    let mut db = selected_db(ctx);
    if existing(&mut db, key, Access::Write, pick)?.is_none() {
        if only_existing {
            return Ok(Frame::Integer(0));
        }
        db.set(key, Value::List(ListValue::default()), false);
    }
    let Some(list) = existing(&mut db, key, Access::Peek, pick)? else {
        return Ok(Frame::Integer(0));
    };
    list.prepare_for(elements.iter().map(Bytes::len), &limits);
    for element in elements {
        list.push(end, element, &limits);
    }
    let len = list.len();
    db.modified(key);
    db.notify(NotifyFlags::LIST, push_event(end), key);
    db.count_changes(elements.len());
    Ok(count(len))
}

/// A count that must not be negative, with Redis's wording.
fn positive(arg: &[u8], message: &str) -> Result<usize, Frame> {
    parse_i64(arg)
        .ok()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| Frame::error(format!("ERR {message}")))
}

fn pop(ctx: &mut Ctx<'_>, argv: &[Bytes], end: End) -> Reply {
    let limits = ctx.ks.thresholds;
    if argv.len() > 3 {
        return Err(wrong_arity(if end == End::Head { "lpop" } else { "rpop" }));
    }
    let wanted = argv
        .get(2)
        .map(|arg| positive(arg, "value is out of range, must be positive"))
        .transpose()?;
    let key = &argv[1][..];
    let mut db = selected_db(ctx);
    let Some(list) = existing(&mut db, key, Access::Write, pick)? else {
        return Ok(if wanted.is_some() {
            Frame::NullArray
        } else {
            Frame::Null
        });
    };
    let (reply, popped) = match wanted {
        Some(0) => return Ok(Frame::Array(Vec::new())),
        None => match list.pop(end) {
            Some(element) => (Frame::Bulk(Bytes::from(element)), 1),
            None => (Frame::Null, 0),
        },
        Some(n) => {
            let elements: Vec<Frame> = (0..n)
                .map_while(|_| list.pop(end))
                .map(|e| Frame::Bulk(Bytes::from(e)))
                .collect();
            let popped = elements.len();
            (Frame::Array(elements), popped)
        }
    };
    after_removal(&mut db, key, &limits, pop_event(end), popped);
    Ok(reply)
}

fn read<'v>(db: &'v mut DbView<'_>, key: &[u8]) -> Result<Option<&'v mut ListValue>, Frame> {
    existing(db, key, Access::Read, pick)
}

fn llen(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    Ok(count(read(&mut db, &argv[1])?.map_or(0, |l| l.len())))
}

fn lrange(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let start = parse_i64(&argv[2])?;
    let end = parse_i64(&argv[3])?;
    let mut db = selected_db(ctx);
    let Some(list) = read(&mut db, &argv[1])? else {
        return Ok(Frame::Array(Vec::new()));
    };
    Ok(Frame::Array(match rank_range(start, end, list.len()) {
        None => Vec::new(),
        Some((from, to)) => list
            .iter()
            .skip(from)
            .take(to - from + 1)
            .map(bulk)
            .collect(),
    }))
}

fn lindex(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    let Some(list) = read(&mut db, &argv[1])? else {
        return Ok(Frame::Null);
    };
    let index = parse_i64(&argv[2])?;
    Ok(list
        .resolve(index)
        .and_then(|i| list.get(i))
        .map_or(Frame::Null, bulk))
}

fn lset(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let limits = ctx.ks.thresholds;
    let key = &argv[1][..];
    let mut db = selected_db(ctx);
    let Some(list) = existing(&mut db, key, Access::Write, pick)? else {
        return Err(no_such_key());
    };
    let index = parse_i64(&argv[2])?;
    list.prepare_for([argv[3].len()], &limits);
    let done = list
        .resolve(index)
        .is_some_and(|i| list.set(i, &argv[3], &limits));
    if !done {
        return Err(Frame::error("ERR index out of range"));
    }
    list.shrink(&limits);
    db.modified(key);
    db.notify(NotifyFlags::LIST, "lset", key);
    Ok(Frame::ok())
}

fn linsert(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let limits = ctx.ks.thresholds;
    let after = if is(&argv[2], "after") {
        true
    } else if is(&argv[2], "before") {
        false
    } else {
        return Err(syntax_error());
    };
    let key = &argv[1][..];
    let (pivot, element) = (&argv[3][..], &argv[4][..]);
    let mut db = selected_db(ctx);
    let Some(list) = existing(&mut db, key, Access::Write, pick)? else {
        return Ok(Frame::Integer(0));
    };
    list.prepare_for([element.len()], &limits);
    let Some(at) = list.iter().position(|e| e == pivot) else {
        return Ok(Frame::Integer(-1));
    };
    list.insert(if after { at + 1 } else { at }, element, &limits);
    let len = list.len();
    db.modified(key);
    db.notify(NotifyFlags::LIST, "linsert", key);
    Ok(count(len))
}

fn lrem(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let limits = ctx.ks.thresholds;
    let n = parse_i64(&argv[2])?;
    let key = &argv[1][..];
    let mut db = selected_db(ctx);
    let Some(list) = existing(&mut db, key, Access::Write, pick)? else {
        return Ok(Frame::Integer(0));
    };
    let from = if n < 0 { End::Tail } else { End::Head };
    let limit = usize::try_from(n.unsigned_abs()).unwrap_or(usize::MAX);
    let removed = list.remove_matching(&argv[3], limit, from);
    if removed > 0 {
        after_removal(&mut db, key, &limits, "lrem", removed);
    }
    Ok(count(removed))
}

fn ltrim(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let limits = ctx.ks.thresholds;
    let start = parse_i64(&argv[2])?;
    let end = parse_i64(&argv[3])?;
    let key = &argv[1][..];
    let mut db = selected_db(ctx);
    let Some(list) = existing(&mut db, key, Access::Write, pick)? else {
        return Ok(Frame::ok());
    };
    let len = list.len();
    let (left, right) = match rank_range(start, end, len) {
        None => (0, len),
        Some((from, to)) => (from, len - to - 1),
    };
    list.remove_range(0, left);
    let remaining = list.len();
    list.remove_range(remaining - right.min(remaining), right);
    let removed = len - list.len();
    // Redis counts (and so propagates) only the elements removed: an
    // LTRIM that kept every element still touches WATCH, but is no change.
    after_removal(&mut db, key, &limits, "ltrim", removed);
    Ok(Frame::ok())
}

fn lpos(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let element = &argv[2][..];
    let (mut rank, mut wanted, mut maxlen): (i64, Option<usize>, usize) = (1, None, 0);
    let mut j = 3;
    while j < argv.len() {
        let more = j + 1 < argv.len();
        if is(&argv[j], "rank") && more {
            rank = rand_count(&argv[j + 1])?;
            if rank == 0 {
                return Err(Frame::error(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the \
                     second ... or use negative to start from the end of the list",
                ));
            }
        } else if is(&argv[j], "count") && more {
            wanted = Some(positive(&argv[j + 1], "COUNT can't be negative")?);
        } else if is(&argv[j], "maxlen") && more {
            maxlen = positive(&argv[j + 1], "MAXLEN can't be negative")?;
        } else {
            return Err(syntax_error());
        }
        j += 2;
    }
    let mut db = selected_db(ctx);
    let Some(list) = read(&mut db, &argv[1])? else {
        return Ok(match wanted {
            Some(_) => Frame::Array(Vec::new()),
            None => Frame::Null,
        });
    };
    let from_tail = rank < 0;
    let skip = usize::try_from(rank.unsigned_abs() - 1).unwrap_or(usize::MAX);
    let len = list.len();
    let scanned = if maxlen == 0 { len } else { maxlen.min(len) };
    let elements: Box<dyn Iterator<Item = &[u8]>> = if from_tail {
        Box::new(list.iter_rev())
    } else {
        Box::new(list.iter())
    };
    let matches = elements
        .take(scanned)
        .enumerate()
        .filter(|(_, e)| *e == element)
        .map(|(i, _)| if from_tail { len - 1 - i } else { i })
        .skip(skip);
    Ok(match wanted {
        None => matches.map(count).next().unwrap_or(Frame::Null),
        Some(0) => Frame::Array(matches.map(count).collect()),
        Some(n) => Frame::Array(matches.take(n).map(count).collect()),
    })
}

/// The pop command of `end`, as Redis propagates the blocking and
/// multi-key pops.
pub(super) fn pop_word(end: End) -> Bytes {
    match end {
        End::Head => word("LPOP"),
        End::Tail => word("RPOP"),
    }
}

/// LEFT or RIGHT.
pub(super) fn end_of(arg: &[u8]) -> Result<End, Frame> {
    if is(arg, "left") {
        Ok(End::Head)
    } else if is(arg, "right") {
        Ok(End::Tail)
    } else {
        Err(syntax_error())
    }
}

fn lmove(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let from = end_of(&argv[3])?;
    let to = end_of(&argv[4])?;
    move_element(ctx, &argv[1], &argv[2], from, to)
}

/// LMOVE and RPOPLPUSH: pops from `source`, pushes onto `target`
/// (created if needed), replies with the element.
pub(super) fn move_element(
    ctx: &mut Ctx<'_>,
    source: &[u8],
    target: &[u8],
    from: End,
    to: End,
) -> Reply {
    let limits = ctx.ks.thresholds;
    let mut db = selected_db(ctx);
    if existing(&mut db, source, Access::Write, pick)?.is_none() {
        return Ok(Frame::Null);
    }
    let target_exists = existing(&mut db, target, Access::Write, pick)?.is_some();
    let Some(list) = existing(&mut db, source, Access::Peek, pick)? else {
        return Ok(Frame::Null);
    };
    let Some(element) = list.pop(from) else {
        return Ok(Frame::Null);
    };
    if source == target {
        list.prepare_for([element.len()], &limits);
        list.push(to, &element, &limits);
        db.modified(source);
        db.notify(NotifyFlags::LIST, push_event(to), target);
        db.notify(NotifyFlags::LIST, pop_event(from), source);
        return Ok(Frame::Bulk(Bytes::from(element)));
    }
    // Redis pushes (and raises the push) before it reports the pop.
    if !target_exists {
        db.set(target, Value::List(ListValue::default()), false);
    }
    if let Some(list) = existing(&mut db, target, Access::Peek, pick)? {
        list.prepare_for([element.len()], &limits);
        list.push(to, &element, &limits);
    }
    db.modified(target);
    db.notify(NotifyFlags::LIST, push_event(to), target);
    after_removal(&mut db, source, &limits, pop_event(from), 1);
    Ok(Frame::Bulk(Bytes::from(element)))
}

fn lmpop(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let (keys, end, wanted) = parse_mpop(argv)?;
    mpop(ctx, &argv[keys], end, wanted)
}

/// LMPOP's arguments after the command name (`numkeys key... LEFT|RIGHT
/// [COUNT n]`, numkeys at `argv[1]`): the keys' range, the end, the count.
pub(super) fn parse_mpop(argv: &[Bytes]) -> Result<(std::ops::Range<usize>, End, usize), Frame> {
    let numkeys = parse_i64(&argv[1])
        .ok()
        .filter(|&n| n >= 1)
        .ok_or_else(|| Frame::error("ERR numkeys should be greater than 0"))?;
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    let where_at = numkeys.saturating_add(2);
    let Some(side) = argv.get(where_at) else {
        return Err(syntax_error());
    };
    let end = end_of(side)?;
    let mut wanted = None;
    let mut j = where_at + 1;
    while j < argv.len() {
        if wanted.is_none() && is(&argv[j], "count") && j + 1 < argv.len() {
            let n = parse_i64(&argv[j + 1])
                .ok()
                .filter(|&n| n >= 1)
                .ok_or_else(|| Frame::error("ERR count should be greater than 0"))?;
            wanted = Some(usize::try_from(n).unwrap_or(usize::MAX));
            j += 2;
        } else {
            return Err(syntax_error());
        }
    }
    Ok((2..where_at, end, wanted.unwrap_or(1)))
}

/// Pops up to `wanted` elements from the first non-empty list of `keys`:
/// `[key, [elements]]`, or a null array when every list is empty.
pub(super) fn mpop(ctx: &mut Ctx<'_>, keys: &[Bytes], end: End, wanted: usize) -> Reply {
    let limits = ctx.ks.thresholds;
    let mut db = selected_db(ctx);
    for key in keys {
        let Some(list) = existing(&mut db, key, Access::Write, pick)? else {
            continue;
        };
        if list.is_empty() {
            continue;
        }
        let popped: Vec<Frame> = (0..wanted)
            .map_while(|_| list.pop(end))
            .map(|e| Frame::Bulk(Bytes::from(e)))
            .collect();
        after_removal(&mut db, key, &limits, pop_event(end), popped.len());
        // Redis propagates LMPOP and BLMPOP as `LPOP|RPOP key count`.
        if db.propagating() {
            db.propagate_as(vec![
                pop_word(end),
                key.clone(),
                number(popped.len() as i64),
            ]);
        }
        return Ok(Frame::Array(vec![bulk(key), Frame::Array(popped)]));
    }
    Ok(Frame::NullArray)
}

#[cfg(test)]
mod tests;
