//! Sorted set commands, following Redis 7.2's `t_zset.c`: option
//! parsing and validation before key lookups, Redis's error texts, the
//! listpack/skiplist conversion points, scores replied as RESP3 doubles
//! (bulk strings in RESP2, formatted as 7.2 formats them).

mod algebra;
mod blocking;
pub(crate) mod parse;
mod pop;
mod range;

pub use parse::rank_range;

use super::args::is;
use super::collection::{
    bulk, edited, edited_notify, existing, existing_or_new, scan_cursor, scan_options, scan_reply,
};
use super::reply::{count, flatten, selected_db, syntax_error, wrong_arity, Reply};
use super::{Ctx, Handler};
use crate::db::{score_text, Access, AddFlags, DbView, NanScore, Outcome, Value, ZSetValue};
use bytes::Bytes;
use moat_config::NotifyFlags;
use moat_resp::{Frame, Protocol};
use parse::{lex_range, parse_score, score_range};

pub fn handlers() -> &'static [(&'static str, Handler)] {
    HANDLERS
}

const HANDLERS: &[(&str, Handler)] = &[
    ("zadd", |ctx, argv| {
        flatten(zadd(ctx, argv, AddFlags::default(), 2))
    }),
    ("zincrby", |ctx, argv| {
        let flags = AddFlags {
            incr: true,
            ..AddFlags::default()
        };
        flatten(zadd(ctx, argv, flags, 2))
    }),
    ("zscore", |ctx, argv| flatten(zscore(ctx, argv))),
    ("zmscore", |ctx, argv| flatten(zmscore(ctx, argv))),
    ("zcard", |ctx, argv| flatten(zcard(ctx, argv))),
    ("zcount", |ctx, argv| flatten(zcount(ctx, argv))),
    ("zlexcount", |ctx, argv| flatten(zlexcount(ctx, argv))),
    ("zrank", |ctx, argv| flatten(zrank(ctx, argv, false))),
    ("zrevrank", |ctx, argv| flatten(zrank(ctx, argv, true))),
    ("zrem", |ctx, argv| flatten(zrem(ctx, argv))),
    ("zremrangebyrank", |ctx, argv| {
        flatten(zremrange(ctx, argv, RemoveBy::Rank))
    }),
    ("zremrangebyscore", |ctx, argv| {
        flatten(zremrange(ctx, argv, RemoveBy::Score))
    }),
    ("zremrangebylex", |ctx, argv| {
        flatten(zremrange(ctx, argv, RemoveBy::Lex))
    }),
    ("zscan", |ctx, argv| flatten(zscan(ctx, argv))),
    ("zrange", |ctx, argv| {
        flatten(range::zrange(ctx, argv, range::Form::ZRANGE))
    }),
    ("zrangestore", |ctx, argv| {
        flatten(range::zrange(ctx, argv, range::Form::ZRANGESTORE))
    }),
    ("zrevrange", |ctx, argv| {
        flatten(range::zrange(ctx, argv, range::Form::ZREVRANGE))
    }),
    ("zrangebyscore", |ctx, argv| {
        flatten(range::zrange(ctx, argv, range::Form::ZRANGEBYSCORE))
    }),
    ("zrevrangebyscore", |ctx, argv| {
        flatten(range::zrange(ctx, argv, range::Form::ZREVRANGEBYSCORE))
    }),
    ("zrangebylex", |ctx, argv| {
        flatten(range::zrange(ctx, argv, range::Form::ZRANGEBYLEX))
    }),
    ("zrevrangebylex", |ctx, argv| {
        flatten(range::zrange(ctx, argv, range::Form::ZREVRANGEBYLEX))
    }),
    ("zpopmin", |ctx, argv| flatten(pop::zpop(ctx, argv, false))),
    ("zpopmax", |ctx, argv| flatten(pop::zpop(ctx, argv, true))),
    ("zmpop", |ctx, argv| flatten(pop::zmpop(ctx, argv))),
    ("bzpopmin", |ctx, argv| {
        flatten(blocking::bzpop(ctx, argv, false))
    }),
    ("bzpopmax", |ctx, argv| {
        flatten(blocking::bzpop(ctx, argv, true))
    }),
    ("bzmpop", |ctx, argv| flatten(blocking::bzmpop(ctx, argv))),
    ("zrandmember", |ctx, argv| {
        flatten(pop::zrandmember(ctx, argv))
    }),
    ("zunion", |ctx, argv| {
        flatten(algebra::combine(ctx, argv, algebra::Op::Union, false))
    }),
    ("zinter", |ctx, argv| {
        flatten(algebra::combine(ctx, argv, algebra::Op::Inter, false))
    }),
    ("zdiff", |ctx, argv| {
        flatten(algebra::combine(ctx, argv, algebra::Op::Diff, false))
    }),
    ("zunionstore", |ctx, argv| {
        flatten(algebra::combine(ctx, argv, algebra::Op::Union, true))
    }),
    ("zinterstore", |ctx, argv| {
        flatten(algebra::combine(ctx, argv, algebra::Op::Inter, true))
    }),
    ("zdiffstore", |ctx, argv| {
        flatten(algebra::combine(ctx, argv, algebra::Op::Diff, true))
    }),
    ("zintercard", |ctx, argv| {
        flatten(algebra::zintercard(ctx, argv))
    }),
];

fn pick(value: &mut Value) -> Option<&mut ZSetValue> {
    value.as_zset_mut()
}

fn new_zset() -> Value {
    Value::ZSet(ZSetValue::default())
}

fn read<'v>(db: &'v mut DbView<'_>, key: &[u8]) -> Result<Option<&'v mut ZSetValue>, Frame> {
    existing(db, key, Access::Read, pick)
}

fn is_resp3(ctx: &Ctx<'_>) -> bool {
    ctx.client.protocol == Protocol::Resp3
}

/// Members with or without their scores: flat in RESP2, `[member,
/// score]` pairs in RESP3.
fn render<'m>(
    pairs: impl Iterator<Item = (&'m [u8], f64)>,
    with_scores: bool,
    resp3: bool,
) -> Frame {
    let mut out = Vec::new();
    for (member, score) in pairs {
        match (with_scores, resp3) {
            (false, _) => out.push(bulk(member)),
            (true, false) => {
                out.push(bulk(member));
                out.push(Frame::Double(score));
            }
            (true, true) => out.push(Frame::Array(vec![bulk(member), Frame::Double(score)])),
        }
    }
    Frame::Array(out)
}

/// ZADD and ZINCRBY (`zaddGenericCommand`); `first` is where options
/// start.
pub(crate) fn zadd(ctx: &mut Ctx<'_>, argv: &[Bytes], mut flags: AddFlags, first: usize) -> Reply {
    let limits = ctx.ks.thresholds;
    let key = &argv[1][..];
    let mut ch = false;
    let mut at = first;
    while at < argv.len() {
        let opt = &argv[at];
        if is(opt, "nx") {
            flags.nx = true;
        } else if is(opt, "xx") {
            flags.xx = true;
        } else if is(opt, "ch") {
            ch = true;
        } else if is(opt, "incr") {
            flags.incr = true;
        } else if is(opt, "gt") {
            flags.gt = true;
        } else if is(opt, "lt") {
            flags.lt = true;
        } else {
            break;
        }
        at += 1;
    }
    let rest = &argv[at..];
    if rest.is_empty() || rest.len() % 2 == 1 {
        return Err(syntax_error());
    }
    if flags.nx && flags.xx {
        return Err(Frame::error(
            "ERR XX and NX options at the same time are not compatible",
        ));
    }
    if (flags.nx && (flags.gt || flags.lt)) || (flags.gt && flags.lt) {
        return Err(Frame::error(
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if flags.incr && rest.len() > 2 {
        return Err(Frame::error(
            "ERR INCR option supports a single increment-element pair",
        ));
    }
    let scores = rest
        .chunks_exact(2)
        .map(|pair| parse_score(&pair[0]))
        .collect::<Result<Vec<f64>, Frame>>()?;
    let max_len = rest.chunks_exact(2).map(|p| p[1].len()).max().unwrap_or(0);
    let elements = scores.len();
    let mut db = selected_db(ctx);
    let zset = match existing(&mut db, key, Access::Write, pick)? {
        Some(zset) => {
            zset.expect(elements, max_len, &limits);
            zset
        }
        None if flags.xx => {
            return Ok(if flags.incr {
                Frame::Null
            } else {
                Frame::Integer(0)
            })
        }
        None => {
            db.set(
                key,
                Value::ZSet(ZSetValue::create(elements, max_len, &limits)),
                false,
            );
            existing_or_new(&mut db, key, pick, new_zset)?
        }
    };
    let (mut added, mut updated, mut processed) = (0, 0, 0);
    let mut last = 0.0;
    let mut failed = false;
    for (pair, score) in rest.chunks_exact(2).zip(scores) {
        match zset.add(&pair[1], score, flags, &limits) {
            Err(NanScore) => {
                failed = true;
                break;
            }
            Ok((outcome, new)) => {
                match outcome {
                    Outcome::Added => added += 1,
                    Outcome::Updated => updated += 1,
                    Outcome::Unchanged | Outcome::Skipped => {}
                }
                if outcome != Outcome::Skipped {
                    processed += 1;
                }
                last = new;
            }
        }
    }
    let empty = zset.is_empty();
    if added + updated > 0 || empty {
        edited(&mut db, key, empty);
    }
    // Redis raises no del for a key it created and left empty.
    if added + updated > 0 {
        let event = if flags.incr { "zincr" } else { "zadd" };
        db.notify(NotifyFlags::ZSET, event, key);
    }
    db.count_changes(added + updated);
    if failed {
        return Err(Frame::error("ERR resulting score is not a number (NaN)"));
    }
    Ok(if flags.incr {
        if processed > 0 {
            Frame::Double(last)
        } else {
            Frame::Null
        }
    } else if ch {
        count(added + updated)
    } else {
        count(added)
    })
}

fn zscore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    Ok(read(&mut db, &argv[1])?
        .and_then(|z| z.score(&argv[2]))
        .map_or(Frame::Null, Frame::Double))
}

fn zmscore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    let zset = read(&mut db, &argv[1])?;
    let zset = zset.as_deref();
    Ok(Frame::Array(
        argv[2..]
            .iter()
            .map(|m| {
                zset.and_then(|z| z.score(m))
                    .map_or(Frame::Null, Frame::Double)
            })
            .collect(),
    ))
}

fn zcard(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    Ok(count(read(&mut db, &argv[1])?.map_or(0, |z| z.len())))
}

fn zcount(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let range = score_range(&argv[2], &argv[3])?;
    let mut db = selected_db(ctx);
    Ok(count(
        read(&mut db, &argv[1])?.map_or(0, |z| z.score_count(range)),
    ))
}

fn zlexcount(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let range = lex_range(&argv[2], &argv[3])?;
    let mut db = selected_db(ctx);
    Ok(count(
        read(&mut db, &argv[1])?.map_or(0, |z| z.lex_count(&range)),
    ))
}

fn zrank(ctx: &mut Ctx<'_>, argv: &[Bytes], reverse: bool) -> Reply {
    if argv.len() > 4 {
        return Err(wrong_arity(if reverse { "zrevrank" } else { "zrank" }));
    }
    let with_score = match argv.get(3) {
        None => false,
        Some(opt) if is(opt, "withscore") => true,
        Some(_) => return Err(syntax_error()),
    };
    let missing = if with_score {
        Frame::NullArray
    } else {
        Frame::Null
    };
    let mut db = selected_db(ctx);
    let Some(zset) = read(&mut db, &argv[1])? else {
        return Ok(missing);
    };
    Ok(match zset.rank(&argv[2], reverse) {
        None => missing,
        Some((rank, score)) if with_score => Frame::Array(vec![count(rank), Frame::Double(score)]),
        Some((rank, _)) => count(rank),
    })
}

fn zrem(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let key = &argv[1][..];
    let mut db = selected_db(ctx);
    let Some(zset) = existing(&mut db, key, Access::Write, pick)? else {
        return Ok(Frame::Integer(0));
    };
    let mut removed = 0;
    for member in &argv[2..] {
        if zset.remove(member).is_some() {
            removed += 1;
            if zset.is_empty() {
                break;
            }
        }
    }
    let empty = zset.is_empty();
    if removed > 0 {
        edited_notify(&mut db, key, empty, NotifyFlags::ZSET, "zrem");
    }
    db.count_changes(removed);
    Ok(count(removed))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum RemoveBy {
    Rank,
    Score,
    Lex,
}

fn zremrange(ctx: &mut Ctx<'_>, argv: &[Bytes], by: RemoveBy) -> Reply {
    use super::args::parse_i64;
    let key = &argv[1][..];
    enum Spec {
        Rank(i64, i64),
        Score(crate::db::ScoreRange),
        Lex(crate::db::LexRange),
    }
    let spec = match by {
        RemoveBy::Rank => Spec::Rank(parse_i64(&argv[2])?, parse_i64(&argv[3])?),
        RemoveBy::Score => Spec::Score(score_range(&argv[2], &argv[3])?),
        RemoveBy::Lex => Spec::Lex(lex_range(&argv[2], &argv[3])?),
    };
    let mut db = selected_db(ctx);
    let Some(zset) = existing(&mut db, key, Access::Write, pick)? else {
        return Ok(Frame::Integer(0));
    };
    let doomed: Vec<Vec<u8>> = match &spec {
        Spec::Rank(start, end) => match rank_range(*start, *end, zset.len()) {
            None => Vec::new(),
            Some((from, to)) => zset
                .rank_range(from, to, false)
                .map(|(m, _)| m.to_vec())
                .collect(),
        },
        Spec::Score(range) => zset
            .score_range(*range, false)
            .map(|(m, _)| m.to_vec())
            .collect(),
        Spec::Lex(range) => zset
            .lex_range(range, false)
            .map(|(m, _)| m.to_vec())
            .collect(),
    };
    for member in &doomed {
        zset.remove(member);
    }
    let empty = zset.is_empty();
    if !doomed.is_empty() {
        let event = match by {
            RemoveBy::Rank => "zremrangebyrank",
            RemoveBy::Score => "zremrangebyscore",
            RemoveBy::Lex => "zremrangebylex",
        };
        edited_notify(&mut db, key, empty, NotifyFlags::ZSET, event);
    }
    db.count_changes(doomed.len());
    Ok(count(doomed.len()))
}

fn zscan(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let cursor = scan_cursor(&argv[2])?;
    let mut db = selected_db(ctx);
    let Some(zset) = read(&mut db, &argv[1])? else {
        return Ok(scan_reply(0, Vec::new()));
    };
    let options = scan_options(&argv[3..])?;
    let mut found = Vec::new();
    let next = zset.scan(cursor, options.count, |m, score| {
        if options.wants(m) {
            found.push(bulk(m));
            found.push(Frame::Bulk(Bytes::from(score_text(score))));
        }
    });
    Ok(scan_reply(next, found))
}

#[cfg(test)]
mod tests;
