//! ZRANGE and its older spellings (ZREVRANGE, ZRANGEBYSCORE,
//! ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX) and ZRANGESTORE, all
//! through one parser as Redis's `zrangeGenericCommand`: each legacy
//! command is ZRANGE with its range type and direction fixed, so the
//! options that would change them are syntax errors there.

use super::parse::{lex_range, score_range};
use super::{pick, rank_range, render};
use crate::cmd::args::{is, parse_i64};
use crate::cmd::collection::existing;
use crate::cmd::reply::{count, selected_db, syntax_error, Reply};
use crate::cmd::Ctx;
use crate::db::{Access, LexRange, ScoreRange, Value, ZSetValue};
use bytes::Bytes;
use moat_config::NotifyFlags;
use moat_resp::Frame;

#[derive(Clone, Copy, PartialEq, Eq)]
enum RangeType {
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Auto,
    Forward,
    Reverse,
}

/// Which command is parsing: where the key is, whether the result is
/// stored, and what is fixed.
#[derive(Clone, Copy)]
pub struct Form {
    key_at: usize,
    store: bool,
    range: RangeType,
    direction: Direction,
}

impl Form {
    pub const ZRANGE: Form = Form {
        key_at: 1,
        store: false,
        range: RangeType::Auto,
        direction: Direction::Auto,
    };
    pub const ZRANGESTORE: Form = Form {
        key_at: 2,
        store: true,
        ..Form::ZRANGE
    };
    pub const ZREVRANGE: Form = Form {
        range: RangeType::Rank,
        direction: Direction::Reverse,
        ..Form::ZRANGE
    };
    pub const ZRANGEBYSCORE: Form = Form {
        range: RangeType::Score,
        direction: Direction::Forward,
        ..Form::ZRANGE
    };
    pub const ZREVRANGEBYSCORE: Form = Form {
        range: RangeType::Score,
        direction: Direction::Reverse,
        ..Form::ZRANGE
    };
    pub const ZRANGEBYLEX: Form = Form {
        range: RangeType::Lex,
        direction: Direction::Forward,
        ..Form::ZRANGE
    };
    pub const ZREVRANGEBYLEX: Form = Form {
        range: RangeType::Lex,
        direction: Direction::Reverse,
        ..Form::ZRANGE
    };
}

enum Spec {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

pub fn zrange(ctx: &mut Ctx<'_>, argv: &[Bytes], form: Form) -> Reply {
    let resp3 = super::is_resp3(ctx);
    let limits = ctx.ks.thresholds;
    let key = &argv[form.key_at][..];
    let (mut min_at, mut max_at) = (form.key_at + 1, form.key_at + 2);
    let (mut range_type, mut direction) = (form.range, form.direction);
    let mut with_scores = false;
    let (mut offset, mut limit): (i64, i64) = (0, -1);
    let mut j = form.key_at + 3;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let opt = &argv[j];
        if !form.store && is(opt, "withscores") {
            with_scores = true;
        } else if is(opt, "limit") && left >= 2 {
            offset = parse_i64(&argv[j + 1])?;
            limit = parse_i64(&argv[j + 2])?;
            j += 2;
        } else if direction == Direction::Auto && is(opt, "rev") {
            direction = Direction::Reverse;
        } else if range_type == RangeType::Auto && is(opt, "bylex") {
            range_type = RangeType::Lex;
        } else if range_type == RangeType::Auto && is(opt, "byscore") {
            range_type = RangeType::Score;
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    let reverse = direction == Direction::Reverse;
    if range_type == RangeType::Auto {
        range_type = RangeType::Rank;
    }
    if limit != -1 && range_type == RangeType::Rank {
        return Err(Frame::error(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if with_scores && range_type == RangeType::Lex {
        return Err(Frame::error(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    if reverse && range_type != RangeType::Rank {
        std::mem::swap(&mut min_at, &mut max_at);
    }
    let spec = match range_type {
        RangeType::Rank | RangeType::Auto => {
            Spec::Rank(parse_i64(&argv[min_at])?, parse_i64(&argv[max_at])?)
        }
        RangeType::Score => Spec::Score(score_range(&argv[min_at], &argv[max_at])?),
        RangeType::Lex => Spec::Lex(lex_range(&argv[min_at], &argv[max_at])?),
    };
    let mut db = selected_db(ctx);
    let Some(zset) = existing(&mut db, key, Access::Read, pick)? else {
        if form.store {
            if db.remove(&argv[1]) {
                db.notify(NotifyFlags::GENERIC, "del", &argv[1]);
            }
            return Ok(Frame::Integer(0));
        }
        return Ok(Frame::Array(Vec::new()));
    };
    let zset: &ZSetValue = zset;
    // Redis walks `offset` elements, then takes `limit` (negative: all);
    // a negative offset walks off the end.
    let window = |it: Box<dyn Iterator<Item = (&[u8], f64)> + '_>| -> Vec<(Vec<u8>, f64)> {
        if offset < 0 {
            return Vec::new();
        }
        let it = it.skip(usize::try_from(offset).unwrap_or(usize::MAX));
        let it: Box<dyn Iterator<Item = (&[u8], f64)>> = match usize::try_from(limit) {
            Ok(n) => Box::new(it.take(n)),
            Err(_) => Box::new(it),
        };
        it.map(|(m, s)| (m.to_vec(), s)).collect()
    };
    let picked: Vec<(Vec<u8>, f64)> = match &spec {
        Spec::Rank(start, end) => match rank_range(*start, *end, zset.len()) {
            None => Vec::new(),
            Some((from, to)) => zset
                .rank_range(from, to, reverse)
                .map(|(m, s)| (m.to_vec(), s))
                .collect(),
        },
        Spec::Score(range) => window(zset.score_range(*range, reverse)),
        Spec::Lex(range) => window(zset.lex_range(range, reverse)),
    };
    if !form.store {
        return Ok(render(
            picked.iter().map(|(m, s)| (&m[..], *s)),
            with_scores,
            resp3,
        ));
    }
    let target = &argv[1][..];
    if picked.is_empty() {
        if db.remove(target) {
            db.notify(NotifyFlags::GENERIC, "del", target);
        }
        return Ok(Frame::Integer(0));
    }
    let mut result = ZSetValue::create(picked.len(), 0, &limits);
    for (member, score) in &picked {
        let _ = result.add(member, *score, Default::default(), &limits);
    }
    let size = result.len();
    db.set(target, Value::ZSet(result), false);
    db.notify(NotifyFlags::ZSET, "zrangestore", target);
    Ok(count(size))
}
