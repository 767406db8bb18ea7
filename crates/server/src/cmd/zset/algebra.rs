//! ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD, as Redis's
//! `zunionInterDiffGenericCommand`: plain sets are accepted as inputs
//! (every member scoring 1), keys are type-checked before the options are
//! parsed, and weighted or aggregated scores that come out NaN count as 0.

use super::parse::parse_score_text;
use super::render;
use crate::cmd::args::{is, parse_i64};
use crate::cmd::reply::{count, selected_db, syntax_error, wrong_type, Reply};
use crate::cmd::Ctx;
use crate::db::{Access, DbView, SetValue, Value, ZSetValue};
use bytes::Bytes;
use hashbrown::HashMap;
use moat_config::NotifyFlags;
use moat_resp::Frame;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Union,
    Inter,
    Diff,
}

impl Op {
    /// The event Redis raises when the STORE variant writes its result.
    fn store_event(self) -> &'static str {
        match self {
            Op::Union => "zunionstore",
            Op::Inter => "zinterstore",
            Op::Diff => "zdiffstore",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// One input: a sorted set, a set, or nothing (a missing key).
#[derive(Clone, Copy)]
enum Source<'a> {
    Missing,
    ZSet(&'a ZSetValue),
    Set(&'a SetValue),
}

impl Source<'_> {
    fn len(&self) -> usize {
        match self {
            Source::Missing => 0,
            Source::ZSet(z) => z.len(),
            Source::Set(s) => s.len(),
        }
    }

    fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            Source::Missing => None,
            Source::ZSet(z) => z.score(member),
            Source::Set(s) => s.contains(member).then_some(1.0),
        }
    }

    fn elements(&self) -> Vec<(Vec<u8>, f64)> {
        match self {
            Source::Missing => Vec::new(),
            Source::ZSet(z) => z.iter().map(|(m, s)| (m.to_vec(), s)).collect(),
            Source::Set(s) => s.iter().map(|m| (m.into_owned(), 1.0)).collect(),
        }
    }
}

fn aggregate(target: &mut f64, value: f64, how: Aggregate) {
    match how {
        Aggregate::Sum => {
            *target += value;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if value < *target {
                *target = value;
            }
        }
        Aggregate::Max => {
            if value > *target {
                *target = value;
            }
        }
    }
}

fn weighted(score: f64, weight: f64) -> f64 {
    let value = score * weight;
    if value.is_nan() {
        0.0
    } else {
        value
    }
}

struct Options {
    weights: Vec<f64>,
    aggregate: Aggregate,
    with_scores: bool,
    limit: usize,
}

/// Parses what follows the keys.
fn parse_options(
    args: &[Bytes],
    n: usize,
    op: Op,
    store: bool,
    card: bool,
) -> Result<Options, Frame> {
    let mut options = Options {
        weights: vec![1.0; n],
        aggregate: Aggregate::Sum,
        with_scores: false,
        limit: 0,
    };
    let mut j = 0;
    while j < args.len() {
        let remaining = args.len() - j;
        let opt = &args[j];
        if op != Op::Diff && !card && remaining > n && is(opt, "weights") {
            for i in 0..n {
                options.weights[i] = parse_score_text(&args[j + 1 + i])
                    .ok_or_else(|| Frame::error("ERR weight value is not a float"))?;
            }
            j += 1 + n;
        } else if op != Op::Diff && !card && remaining >= 2 && is(opt, "aggregate") {
            let how = &args[j + 1];
            options.aggregate = if is(how, "sum") {
                Aggregate::Sum
            } else if is(how, "min") {
                Aggregate::Min
            } else if is(how, "max") {
                Aggregate::Max
            } else {
                return Err(syntax_error());
            };
            j += 2;
        } else if !store && !card && is(opt, "withscores") {
            options.with_scores = true;
            j += 1;
        } else if card && remaining >= 2 && is(opt, "limit") {
            let limit = parse_i64(&args[j + 1])
                .ok()
                .filter(|&l| l >= 0)
                .ok_or_else(|| Frame::error("ERR LIMIT can't be negative"))?;
            options.limit = usize::try_from(limit).unwrap_or(usize::MAX);
            j += 2;
        } else {
            return Err(syntax_error());
        }
    }
    Ok(options)
}

/// Looks the input keys up; WRONGTYPE for anything but sets and sorted
/// sets.
fn source_slots(
    db: &mut DbView<'_>,
    keys: &[Bytes],
    mode: Access,
) -> Result<Vec<Option<u32>>, Frame> {
    let mut slots = Vec::with_capacity(keys.len());
    for key in keys {
        let slot = db.lookup_slot(key, mode);
        if let Some(slot) = slot {
            let value = db.entry(slot).map(|e| &e.value);
            if !matches!(value, Some(Value::ZSet(_) | Value::Set(_))) {
                return Err(wrong_type());
            }
        }
        slots.push(slot);
    }
    Ok(slots)
}

fn sources<'d>(db: &'d DbView<'_>, slots: &[Option<u32>]) -> Vec<Source<'d>> {
    slots
        .iter()
        .map(
            |slot| match slot.and_then(|s| db.entry(s)).map(|e| &e.value) {
                Some(Value::ZSet(z)) => Source::ZSet(z),
                Some(Value::Set(s)) => Source::Set(s),
                _ => Source::Missing,
            },
        )
        .collect()
}

/// The result members and scores, in no particular order.
fn compute(sources: &[Source<'_>], op: Op, options: &Options) -> Vec<(Vec<u8>, f64)> {
    match op {
        Op::Union => {
            let mut scores: HashMap<Vec<u8>, f64> = HashMap::new();
            let mut order = Vec::new();
            for (source, weight) in sources.iter().zip(&options.weights) {
                for (member, score) in source.elements() {
                    let value = weighted(score, *weight);
                    match scores.get_mut(&member) {
                        Some(existing) => aggregate(existing, value, options.aggregate),
                        None => {
                            scores.insert(member.clone(), value);
                            order.push(member);
                        }
                    }
                }
            }
            order
                .into_iter()
                .map(|m| {
                    let score = scores.get(&m).copied().unwrap_or(0.0);
                    (m, score)
                })
                .collect()
        }
        Op::Inter => {
            if sources.iter().any(|s| matches!(s, Source::Missing)) {
                return Vec::new();
            }
            let mut ordered: Vec<(Source<'_>, f64)> = sources
                .iter()
                .copied()
                .zip(options.weights.iter().copied())
                .collect();
            ordered.sort_by_key(|(s, _)| s.len());
            let Some(((first, first_weight), others)) = ordered.split_first() else {
                return Vec::new();
            };
            let mut out = Vec::new();
            'members: for (member, score) in first.elements() {
                let mut total = weighted(score, *first_weight);
                for (other, weight) in others {
                    match other.score(&member) {
                        Some(s) => aggregate(&mut total, s * weight, options.aggregate),
                        None => continue 'members,
                    }
                }
                out.push((member, total));
                if options.limit != 0 && out.len() >= options.limit {
                    break;
                }
            }
            out
        }
        Op::Diff => {
            let Some((first, others)) = sources.split_first() else {
                return Vec::new();
            };
            first
                .elements()
                .into_iter()
                .filter(|(m, _)| others.iter().all(|o| o.score(m).is_none()))
                .collect()
        }
    }
}

pub fn combine(ctx: &mut Ctx<'_>, argv: &[Bytes], op: Op, store: bool) -> Reply {
    run(ctx, argv, op, store, false)
}

pub fn zintercard(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    run(ctx, argv, Op::Inter, false, true)
}

fn run(ctx: &mut Ctx<'_>, argv: &[Bytes], op: Op, store: bool, card: bool) -> Reply {
    let resp3 = super::is_resp3(ctx);
    let limits = ctx.ks.thresholds;
    let numkeys_at = if store { 2 } else { 1 };
    let numkeys = parse_i64(&argv[numkeys_at])?;
    if numkeys < 1 {
        let name = String::from_utf8_lossy(&argv[0]).to_lowercase();
        return Err(Frame::error(format!(
            "ERR at least 1 input key is needed for '{name}' command"
        )));
    }
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    if numkeys > argv.len() - numkeys_at - 1 {
        return Err(syntax_error());
    }
    let keys = &argv[numkeys_at + 1..numkeys_at + 1 + numkeys];
    // The sources are read lookups in the STORE forms too (Redis 7's
    // `lookupKeyRead`): they count as hits and misses.
    let mut db = selected_db(ctx);
    let slots = source_slots(&mut db, keys, Access::Read)?;
    let options = parse_options(&argv[numkeys_at + 1 + numkeys..], numkeys, op, store, card)?;
    let mut result = compute(&sources(&db, &slots), op, &options);
    if card {
        return Ok(count(result.len()));
    }
    result.sort_by(|(ma, sa), (mb, sb)| {
        crate::db::Score(*sa)
            .cmp(&crate::db::Score(*sb))
            .then_with(|| ma.cmp(mb))
    });
    if !store {
        return Ok(render(
            result.iter().map(|(m, s)| (&m[..], *s)),
            options.with_scores,
            resp3,
        ));
    }
    let target = &argv[1][..];
    if result.is_empty() {
        if db.remove(target) {
            db.notify(NotifyFlags::GENERIC, "del", target);
        }
        return Ok(Frame::Integer(0));
    }
    let max_len = result.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
    let mut zset = ZSetValue::create(usize::MAX, max_len, &limits);
    for (member, score) in &result {
        let _ = zset.add(member, *score, Default::default(), &limits);
    }
    zset.shrink_if_small(&limits);
    let size = zset.len();
    db.set(target, Value::ZSet(zset), false);
    db.notify(NotifyFlags::ZSET, op.store_event(), target);
    Ok(count(size))
}
