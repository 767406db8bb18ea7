//! XADD, XLEN, XRANGE/XREVRANGE, XDEL, XTRIM and XSETID.

use super::id::{self, StreamId};
use super::store::{Fields, NodeLimits, Stream};
use super::{entry_reply, lookup, owned, propagate, trim};
use crate::cmd::args::{is, parse_i64};
use crate::cmd::reply::{count, selected_db, syntax_error, wrong_arity, Reply};
use crate::cmd::Ctx;
use crate::db::{Access, Value};
use bytes::Bytes;
use moat_config::NotifyFlags;
use moat_resp::Frame;

/// The id XADD gives a new entry (`streamAppendItem`'s id choice);
/// `Err` for ids not above the stream's top.
fn next_id(s: &Stream, wanted: Option<id::PartialId>, now_ms: i64) -> Result<StreamId, Frame> {
    let too_small = || {
        Frame::error(
            "ERR The ID specified in XADD is equal or smaller than the target stream top item",
        )
    };
    let last = s.last_id;
    let chosen = match wanted {
        Some(id::PartialId { ms, seq: Some(seq) }) => StreamId::new(ms, seq),
        Some(id::PartialId { ms, seq: None }) if ms == last.ms => {
            if last.seq == u64::MAX {
                return Err(too_small());
            }
            StreamId::new(ms, last.seq + 1)
        }
        Some(id::PartialId { ms, seq: None }) => StreamId::new(ms, 0),
        None => {
            // The clock may go backwards: ids never do.
            let now = u64::try_from(now_ms).unwrap_or(0);
            if now > last.ms {
                StreamId::new(now, 0)
            } else {
                last.next().unwrap_or(last)
            }
        }
    };
    if chosen <= last {
        return Err(too_small());
    }
    Ok(chosen)
}

/// The node limits configured for the keyspace.
fn node_limits(ctx: &Ctx<'_>) -> NodeLimits {
    let (entries, bytes) = ctx.ks.stream_node_limits;
    NodeLimits::new(entries, bytes)
}

pub fn xadd(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let limits = node_limits(ctx);
    let args = trim::parse(argv, true, limits)?;
    let field_pos = args.id_pos + 1;
    let pairs = argv.len().saturating_sub(field_pos);
    if pairs < 2 || pairs % 2 == 1 {
        return Err(wrong_arity("xadd"));
    }
    if let Some(id::PartialId {
        ms: 0,
        seq: Some(0),
    }) = args.id
    {
        return Err(Frame::error(
            "ERR The ID specified in XADD must be greater than 0-0",
        ));
    }
    let now_ms = ctx.now_ms;
    let key = &argv[1];
    let mut db = selected_db(ctx);
    if lookup(&mut db, key, Access::Write)?.is_none() {
        if args.no_mkstream {
            return Ok(Frame::Null);
        }
        db.set(key, Value::Stream(Box::default()), false);
    }
    let propagating = db.propagating();
    let s = lookup(&mut db, key, Access::Peek)?.expect("present: created above");
    if s.last_id == StreamId::MAX {
        return Err(Frame::error(
            "ERR The stream has exhausted the last possible ID, unable to add more items",
        ));
    }
    let id = next_id(s, args.id, now_ms)?;
    let fields: Fields = argv[field_pos..]
        .chunks_exact(2)
        .map(|pair| (owned(&pair[0]), owned(&pair[1])))
        .collect();
    s.append(id, fields, limits);
    let trimmed = args
        .strategy
        .is_some_and(|strategy| s.trim(strategy, args.approx, args.limit) > 0);
    // Redis propagates the id it chose and the trim it did.
    let rewrite_id = args.id.is_none_or(|wanted| wanted.seq.is_none());
    let rewrite_trim = args.strategy.filter(|_| args.approx);
    let stated = (propagating && (rewrite_id || rewrite_trim.is_some())).then(|| {
        let mut stated = argv.to_vec();
        if rewrite_id {
            stated[args.id_pos] = propagate::id_arg(id);
        }
        if let Some(strategy) = rewrite_trim {
            propagate::exact_trim(&mut stated, args.strategy_at, s, strategy);
        }
        stated
    });
    if let Some(stated) = stated {
        db.propagate_as(stated);
    }
    db.modified(key);
    db.notify(NotifyFlags::STREAM, "xadd", key);
    if trimmed {
        db.notify(NotifyFlags::STREAM, "xtrim", key);
    }
    Ok(id.reply())
}

pub fn xlen(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    Ok(count(
        lookup(&mut db, &argv[1], Access::Read)?.map_or(0, |s| s.len()),
    ))
}

pub fn xrange(ctx: &mut Ctx<'_>, argv: &[Bytes], rev: bool) -> Reply {
    let (start_arg, end_arg) = if rev {
        (&argv[3], &argv[2])
    } else {
        (&argv[2], &argv[3])
    };
    let start = id::range_start(start_arg)?;
    let end = id::range_end(end_arg)?;
    let mut limit: Option<usize> = None;
    let mut j = 4;
    while j < argv.len() {
        if is(&argv[j], "count") && j + 1 < argv.len() {
            let n = parse_i64(&argv[j + 1])?.max(0);
            limit = Some(usize::try_from(n).unwrap_or(usize::MAX));
            j += 2;
        } else {
            return Err(syntax_error());
        }
    }
    let mut db = selected_db(ctx);
    let Some(s) = lookup(&mut db, &argv[1], Access::Read)? else {
        return Ok(Frame::Array(Vec::new()));
    };
    // COUNT 0 (or less) answers null, but only for a stream: a missing key
    // is still an empty array and another type WRONGTYPE.
    if limit == Some(0) {
        return Ok(Frame::NullArray);
    }
    Ok(Frame::Array(range(s, start, end, limit.unwrap_or(0), rev)))
}

/// Entries between two inclusive bounds; `count` 0 means all.
pub fn range(s: &Stream, start: StreamId, end: StreamId, count: usize, rev: bool) -> Vec<Frame> {
    if start > end {
        return Vec::new();
    }
    let iter = s.entries.range(start..=end);
    let take = if count == 0 { usize::MAX } else { count };
    if rev {
        iter.rev()
            .take(take)
            .map(|(id, f)| entry_reply(*id, f))
            .collect()
    } else {
        iter.take(take).map(|(id, f)| entry_reply(*id, f)).collect()
    }
}

pub fn xdel(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let key = &argv[1];
    let mut db = selected_db(ctx);
    let Some(s) = lookup(&mut db, key, Access::Write)? else {
        return Ok(Frame::Integer(0));
    };
    let ids = argv[2..]
        .iter()
        .map(|arg| id::parse_strict(arg))
        .collect::<Result<Vec<_>, _>>()?;
    let mut deleted = 0;
    let mut first_deleted = false;
    for id in ids {
        if s.delete(id) {
            first_deleted |= id == s.first_id;
            if id > s.max_deleted_id {
                s.max_deleted_id = id;
            }
            deleted += 1;
        }
    }
    if deleted > 0 {
        if s.is_empty() || first_deleted {
            s.refresh_first_id();
        }
        db.modified(key);
        db.notify(NotifyFlags::STREAM, "xdel", key);
    }
    db.count_changes(deleted);
    Ok(count(deleted))
}

pub fn xtrim(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let args = trim::parse(argv, false, node_limits(ctx))?;
    let key = &argv[1];
    let mut db = selected_db(ctx);
    let propagating = db.propagating();
    let Some(s) = lookup(&mut db, key, Access::Write)? else {
        return Ok(Frame::Integer(0));
    };
    let strategy = args.strategy.expect("XTRIM parsing demands a strategy");
    let deleted = s.trim(strategy, args.approx, args.limit);
    if deleted > 0 && args.approx && propagating {
        let mut stated = argv.to_vec();
        propagate::exact_trim(&mut stated, args.strategy_at, s, strategy);
        db.propagate_as(stated);
    }
    if deleted > 0 {
        db.modified(key);
        db.notify(NotifyFlags::STREAM, "xtrim", key);
    }
    db.count_changes(deleted);
    Ok(count(deleted))
}

pub fn xsetid(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let id = id::parse_strict(&argv[2])?;
    let mut entries_added: Option<u64> = None;
    let mut max_deleted = StreamId::MIN;
    let mut i = 3;
    while i < argv.len() {
        let more = i + 1 < argv.len();
        if is(&argv[i], "entriesadded") && more {
            let n = parse_i64(&argv[i + 1])?;
            if n < 0 {
                return Err(Frame::error("ERR entries_added must be positive"));
            }
            entries_added = Some(n as u64);
        } else if is(&argv[i], "maxdeletedid") && more {
            max_deleted = id::parse_strict(&argv[i + 1])?;
            if id < max_deleted {
                return Err(Frame::error(
                    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
        } else {
            return Err(syntax_error());
        }
        i += 2;
    }
    let key = &argv[1];
    let mut db = selected_db(ctx);
    let Some(s) = lookup(&mut db, key, Access::Write)? else {
        return Err(crate::cmd::reply::no_such_key());
    };
    if id < s.max_deleted_id {
        return Err(Frame::error(
            "ERR The ID specified in XSETID is smaller than current max_deleted_entry_id",
        ));
    }
    if !s.is_empty() {
        if id < s.last_valid_id() {
            return Err(Frame::error(
                "ERR The ID specified in XSETID is smaller than the target stream top item",
            ));
        }
        if entries_added.is_some_and(|n| (s.len() as u64) > n) {
            return Err(Frame::error(
                "ERR The entries_added specified in XSETID is smaller than the target stream length",
            ));
        }
    }
    s.last_id = id;
    if let Some(n) = entries_added {
        s.entries_added = n;
    }
    if !max_deleted.is_zero() {
        s.max_deleted_id = max_deleted;
    }
    // One change, signalled to no WATCH, as in Redis.
    db.count_changes(1);
    db.notify(NotifyFlags::STREAM, "xsetid", key);
    Ok(Frame::ok())
}
