//! Set commands, following Redis 7.2's `t_set.c`: argument checks before
//! key lookups where Redis does them first, WRONGTYPE for any key of
//! another type even after a missing one, result sets built as Redis
//! builds them (so their encodings match), and RESP3 set replies.

use super::args::{is, parse_i64};
use super::collection::{
    bulk, edited_notify, existing, existing_or_new, rand_count, sample_in_order, scan_cursor,
    scan_options, scan_reply,
};
use super::reply::{count, flag, flatten, selected_db, syntax_error, wrong_type, Reply};
use super::{Ctx, Handler};
use crate::db::{word, Access, DbView, SetValue, Thresholds, Value};
use bytes::Bytes;
use moat_config::NotifyFlags;
use moat_resp::Frame;

pub fn handlers() -> &'static [(&'static str, Handler)] {
    HANDLERS
}

const HANDLERS: &[(&str, Handler)] = &[
    ("sadd", |ctx, argv| flatten(sadd(ctx, argv))),
    ("srem", |ctx, argv| flatten(srem(ctx, argv))),
    ("sismember", |ctx, argv| flatten(sismember(ctx, argv))),
    ("smismember", |ctx, argv| flatten(smismember(ctx, argv))),
    ("smembers", |ctx, argv| flatten(smembers(ctx, argv))),
    ("scard", |ctx, argv| flatten(scard(ctx, argv))),
    ("spop", |ctx, argv| flatten(spop(ctx, argv))),
    ("srandmember", |ctx, argv| flatten(srandmember(ctx, argv))),
    ("smove", |ctx, argv| flatten(smove(ctx, argv))),
    ("sinter", |ctx, argv| {
        flatten(combine(ctx, &argv[1..], None, Op::Inter))
    }),
    ("sinterstore", |ctx, argv| {
        flatten(combine(ctx, &argv[2..], Some(&argv[1]), Op::Inter))
    }),
    ("sunion", |ctx, argv| {
        flatten(combine(ctx, &argv[1..], None, Op::Union))
    }),
    ("sunionstore", |ctx, argv| {
        flatten(combine(ctx, &argv[2..], Some(&argv[1]), Op::Union))
    }),
    ("sdiff", |ctx, argv| {
        flatten(combine(ctx, &argv[1..], None, Op::Diff))
    }),
    ("sdiffstore", |ctx, argv| {
        flatten(combine(ctx, &argv[2..], Some(&argv[1]), Op::Diff))
    }),
    ("sintercard", |ctx, argv| flatten(sintercard(ctx, argv))),
    ("sscan", |ctx, argv| flatten(sscan(ctx, argv))),
];

fn pick(value: &mut Value) -> Option<&mut SetValue> {
    value.as_set_mut()
}

fn read<'v>(db: &'v mut DbView<'_>, key: &[u8]) -> Result<Option<&'v mut SetValue>, Frame> {
    existing(db, key, Access::Read, pick)
}

fn set_reply<'m>(members: impl Iterator<Item = std::borrow::Cow<'m, [u8]>>) -> Frame {
    Frame::Set(members.map(|m| bulk(&m)).collect())
}

fn sadd(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let limits = ctx.ks.thresholds;
    let key = &argv[1][..];
    let members = &argv[2..];
    let mut db = selected_db(ctx);
    let set = match existing(&mut db, key, Access::Write, pick)? {
        Some(set) => {
            set.expect(members.len(), &limits);
            set
        }
        None => {
            let first = SetValue::create(Some(&members[0]), members.len(), &limits);
            db.set(key, Value::Set(first), false);
            existing_or_new(&mut db, key, pick, || {
                Value::Set(SetValue::Compact(Default::default()))
            })?
        }
    };
    let added = members.iter().filter(|m| set.add(m, &limits)).count();
    if added > 0 {
        db.modified(key);
        db.notify(NotifyFlags::SET, "sadd", key);
    }
    db.count_changes(added);
    Ok(count(added))
}

fn srem(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let key = &argv[1][..];
    let mut db = selected_db(ctx);
    let Some(set) = existing(&mut db, key, Access::Write, pick)? else {
        return Ok(Frame::Integer(0));
    };
    let mut removed = 0;
    for member in &argv[2..] {
        if set.remove(member) {
            removed += 1;
            if set.is_empty() {
                break;
            }
        }
    }
    let empty = set.is_empty();
    if removed > 0 {
        edited_notify(&mut db, key, empty, NotifyFlags::SET, "srem");
    }
    db.count_changes(removed);
    Ok(count(removed))
}

fn sismember(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    Ok(flag(
        read(&mut db, &argv[1])?.is_some_and(|s| s.contains(&argv[2])),
    ))
}

fn smismember(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    let set = read(&mut db, &argv[1])?;
    let set = set.as_deref();
    Ok(Frame::Array(
        argv[2..]
            .iter()
            .map(|m| flag(set.is_some_and(|s| s.contains(m))))
            .collect(),
    ))
}

fn smembers(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    Ok(match read(&mut db, &argv[1])? {
        Some(set) => set_reply(set.iter()),
        None => Frame::Set(Vec::new()),
    })
}

fn scard(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    Ok(count(read(&mut db, &argv[1])?.map_or(0, |s| s.len())))
}

/// SPOP's count: `getPositiveLongFromObjectOrReply`.
fn positive_count(arg: &[u8]) -> Result<u64, Frame> {
    parse_i64(arg)
        .ok()
        .and_then(|n| u64::try_from(n).ok())
        .ok_or_else(|| Frame::error("ERR value is out of range, must be positive"))
}

/// Redis's `SPOP_MOVE_STRATEGY_MUL`: popping more than a fifth of a set
/// rebuilds it from the remaining members instead.
const SPOP_MOVE_STRATEGY_MUL: u64 = 5;

fn spop(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let limits = ctx.ks.thresholds;
    let key = &argv[1][..];
    if argv.len() > 3 {
        return Err(syntax_error());
    }
    let wanted = argv.get(2).map(|arg| positive_count(arg)).transpose()?;
    let mut db = selected_db(ctx);
    let Some(set) = existing(&mut db, key, Access::Write, pick)? else {
        return Ok(match wanted {
            None => Frame::Null,
            Some(_) => Frame::Set(Vec::new()),
        });
    };
    let mut rng = rand::thread_rng();
    let Some(wanted) = wanted else {
        let member = set.pop_random(&mut rng);
        let empty = set.is_empty();
        edited_notify(&mut db, key, empty, NotifyFlags::SET, "spop");
        // The member was chosen at random: the AOF names it.
        if let Some(m) = &member {
            db.propagate_as(vec![
                word("SREM"),
                argv[1].clone(),
                Bytes::copy_from_slice(m),
            ]);
        }
        return Ok(member.map_or(Frame::Null, |m| Frame::Bulk(Bytes::from(m))));
    };
    if wanted == 0 {
        return Ok(Frame::Set(Vec::new()));
    }
    let size = set.len() as u64;
    if wanted >= size {
        let all = SetValue::collect(
            set.iter().collect::<Vec<_>>().iter().map(|m| &m[..]),
            &limits,
        );
        let reply = set_reply(all.iter());
        db.remove(key);
        db.notify(NotifyFlags::SET, "spop", key);
        db.notify(NotifyFlags::GENERIC, "del", key);
        db.propagate_as(vec![word("DEL"), argv[1].clone()]);
        db.count_changes(size as usize);
        return Ok(reply);
    }
    let remaining = size - wanted;
    let popped: Vec<Vec<u8>> = if remaining * SPOP_MOVE_STRATEGY_MUL > wanted {
        (0..wanted)
            .filter_map(|_| set.pop_random(&mut rng))
            .collect()
    } else {
        // Keep `remaining` random members in a new set; the rest is the
        // reply.
        let mut keep = Vec::new();
        for _ in 0..remaining {
            if let Some(m) = set.pop_random(&mut rng) {
                keep.push(m);
            }
        }
        let popped: Vec<Vec<u8>> = set.iter().map(|m| m.into_owned()).collect();
        let mut rebuilt = set.rebuilt_for(keep.len(), &limits);
        for m in &keep {
            rebuilt.add(m, &limits);
        }
        *set = rebuilt;
        popped
    };
    db.modified(key);
    db.notify(NotifyFlags::SET, "spop", key);
    db.count_changes(popped.len());
    if db.propagating() {
        // Redis batches the SREMs of a counted SPOP by 1024 members.
        for chunk in popped.chunks(1024) {
            let mut srem = vec![word("SREM"), argv[1].clone()];
            srem.extend(chunk.iter().map(|m| Bytes::copy_from_slice(m)));
            db.propagate_as(srem);
        }
    }
    Ok(Frame::Set(
        popped
            .into_iter()
            .map(|m| Frame::Bulk(Bytes::from(m)))
            .collect(),
    ))
}

fn srandmember(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    if argv.len() > 3 {
        return Err(syntax_error());
    }
    let n = argv.get(2).map(|arg| rand_count(arg)).transpose()?;
    let mut db = selected_db(ctx);
    let set = read(&mut db, &argv[1])?;
    let mut rng = rand::thread_rng();
    let Some(n) = n else {
        return Ok(set
            .and_then(|s| s.random(&mut rng))
            .map_or(Frame::Null, |m| bulk(&m)));
    };
    let Some(set) = set else {
        return Ok(Frame::Array(Vec::new()));
    };
    let wanted = n.unsigned_abs();
    if wanted == 0 {
        return Ok(Frame::Array(Vec::new()));
    }
    if n < 0 || wanted == 1 {
        let mut out = Vec::new();
        for _ in 0..wanted {
            match set.random(&mut rng) {
                Some(m) => out.push(bulk(&m)),
                None => break,
            }
        }
        return Ok(Frame::Array(out));
    }
    if wanted >= set.len() as u64 {
        return Ok(Frame::Array(set.iter().map(|m| bulk(&m)).collect()));
    }
    let all: Vec<_> = set.iter().collect();
    let wanted = wanted as usize;
    let all = sample_in_order(all, wanted, &mut rng);
    Ok(Frame::Array(all.iter().map(|m| bulk(m)).collect()))
}

fn smove(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let limits = ctx.ks.thresholds;
    let (source, target, member) = (&argv[1][..], &argv[2][..], &argv[3][..]);
    let mut db = selected_db(ctx);
    let source_slot = db.lookup_slot(source, Access::Write);
    let target_slot = db.lookup_slot(target, Access::Write);
    let Some(source_slot) = source_slot else {
        return Ok(Frame::Integer(0));
    };
    let is_set =
        |db: &DbView<'_>, slot: u32| db.entry(slot).is_some_and(|e| e.value.as_set().is_some());
    if !is_set(&db, source_slot) || target_slot.is_some_and(|slot| !is_set(&db, slot)) {
        return Err(wrong_type());
    }
    if source == target {
        return Ok(flag(
            db.entry(source_slot)
                .and_then(|e| e.value.as_set())
                .is_some_and(|s| s.contains(member)),
        ));
    }
    let Some(set) = existing(&mut db, source, Access::Peek, pick)? else {
        return Ok(Frame::Integer(0));
    };
    if !set.remove(member) {
        return Ok(Frame::Integer(0));
    }
    let empty = set.is_empty();
    edited_notify(&mut db, source, empty, NotifyFlags::SET, "srem");
    if target_slot.is_none() {
        db.add(
            target,
            Value::Set(SetValue::create(Some(member), 1, &limits)),
        );
    }
    // The target may hold the member already: it is modified (and gets
    // its sadd) only when the member was added.
    let added =
        existing(&mut db, target, Access::Peek, pick)?.is_some_and(|set| set.add(member, &limits));
    if added {
        db.modified(target);
        db.notify(NotifyFlags::SET, "sadd", target);
    }
    // The removal is one change, the addition (when the target lacked the
    // member) another.
    db.count_changes(1 + usize::from(added));
    Ok(Frame::Integer(1))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Inter,
    Union,
    Diff,
}

impl Op {
    /// The event Redis raises when the *STORE variant writes its result.
    fn store_event(self) -> &'static str {
        match self {
            Op::Inter => "sinterstore",
            Op::Union => "sunionstore",
            Op::Diff => "sdiffstore",
        }
    }
}

/// Looks up every key as a set (WRONGTYPE for any other type) and
/// returns their slots, `None` for missing keys.
fn set_slots(db: &mut DbView<'_>, keys: &[Bytes], mode: Access) -> Result<Vec<Option<u32>>, Frame> {
    let mut slots = Vec::with_capacity(keys.len());
    for key in keys {
        let slot = db.lookup_slot(key, mode);
        if let Some(slot) = slot {
            if db.entry(slot).and_then(|e| e.value.as_set()).is_none() {
                return Err(wrong_type());
            }
        }
        slots.push(slot);
    }
    Ok(slots)
}

fn sets_of<'d>(db: &'d DbView<'_>, slots: &[Option<u32>]) -> Vec<Option<&'d SetValue>> {
    slots
        .iter()
        .map(|slot| {
            slot.and_then(|s| db.entry(s))
                .and_then(|e| e.value.as_set())
        })
        .collect()
}

/// SINTER's walk: the smallest set's members that are in every other
/// set, stopping after `limit` (0: no limit). `None` when a set is
/// missing, which makes the intersection empty.
fn intersect(sets: &mut [Option<&SetValue>], limit: usize) -> Vec<Vec<u8>> {
    if sets.iter().any(Option::is_none) {
        return Vec::new();
    }
    let mut sets: Vec<&SetValue> = sets.iter().flatten().copied().collect();
    sets.sort_by_key(|s| s.len());
    let mut out = Vec::new();
    let Some((first, others)) = sets.split_first() else {
        return out;
    };
    for member in first.iter() {
        if others.iter().all(|s| s.contains(&member)) {
            out.push(member.into_owned());
            if limit != 0 && out.len() >= limit {
                break;
            }
        }
    }
    out
}

/// SUNION and SDIFF as `sunionDiffGenericCommand` computes them, into a
/// set built from an intset up (which decides the encoding).
fn union_or_diff(sets: &[Option<&SetValue>], op: Op, limits: &Thresholds) -> SetValue {
    let mut result = SetValue::collect(std::iter::empty(), limits);
    match op {
        Op::Union => {
            for set in sets.iter().flatten() {
                for member in set.iter() {
                    result.add(&member, limits);
                }
            }
        }
        Op::Diff | Op::Inter => {
            let Some(Some(first)) = sets.first() else {
                return result;
            };
            if first.is_empty() {
                return result;
            }
            let present: Vec<&SetValue> = sets.iter().flatten().copied().collect();
            let one_work = present.len() * first.len() / 2;
            let two_work: usize = present.iter().map(|s| s.len()).sum();
            if one_work <= two_work {
                for member in first.iter() {
                    if !present[1..].iter().any(|s| s.contains(&member)) {
                        result.add(&member, limits);
                    }
                }
            } else {
                for member in first.iter() {
                    result.add(&member, limits);
                }
                for set in &present[1..] {
                    for member in set.iter() {
                        result.remove(&member);
                    }
                    if result.is_empty() {
                        break;
                    }
                }
            }
        }
    }
    result
}

fn combine(ctx: &mut Ctx<'_>, keys: &[Bytes], target: Option<&Bytes>, op: Op) -> Reply {
    let limits = ctx.ks.thresholds;
    // The sources are read lookups in the STORE forms too (Redis 7's
    // `lookupKeyRead`): they count as hits and misses.
    let mut db = selected_db(ctx);
    let slots = set_slots(&mut db, keys, Access::Read)?;
    let mut sets = sets_of(&db, &slots);
    let result = match op {
        Op::Inter => {
            let members = intersect(&mut sets, 0);
            if target.is_none() {
                return Ok(Frame::Set(members.iter().map(|m| bulk(m)).collect()));
            }
            SetValue::collect(members.iter().map(Vec::as_slice), &limits)
        }
        Op::Union | Op::Diff => union_or_diff(&sets, op, &limits),
    };
    let Some(target) = target else {
        return Ok(set_reply(result.iter()));
    };
    let size = result.len();
    if size == 0 {
        if db.remove(target) {
            db.notify(NotifyFlags::GENERIC, "del", target);
        }
    } else {
        db.set(target, Value::Set(result), false);
        db.notify(NotifyFlags::SET, op.store_event(), target);
    }
    Ok(count(size))
}

fn sintercard(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let numkeys = parse_i64(&argv[1])
        .ok()
        .filter(|&n| n >= 1)
        .ok_or_else(|| Frame::error("ERR numkeys should be greater than 0"))?;
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    if numkeys > argv.len() - 2 {
        return Err(Frame::error(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    let mut limit = 0usize;
    let mut i = 2 + numkeys;
    while i < argv.len() {
        if is(&argv[i], "limit") && i + 1 < argv.len() {
            let n = parse_i64(&argv[i + 1])
                .ok()
                .filter(|&n| n >= 0)
                .ok_or_else(|| Frame::error("ERR LIMIT can't be negative"))?;
            limit = usize::try_from(n).unwrap_or(usize::MAX);
            i += 2;
        } else {
            return Err(syntax_error());
        }
    }
    let keys = &argv[2..2 + numkeys];
    let mut db = selected_db(ctx);
    let slots = set_slots(&mut db, keys, Access::Read)?;
    let mut sets = sets_of(&db, &slots);
    Ok(count(intersect(&mut sets, limit).len()))
}

fn sscan(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let cursor = scan_cursor(&argv[2])?;
    let mut db = selected_db(ctx);
    let Some(set) = read(&mut db, &argv[1])? else {
        return Ok(scan_reply(0, Vec::new()));
    };
    let options = scan_options(&argv[3..])?;
    let mut found = Vec::new();
    let next = set.scan(cursor, options.count, |m| {
        if options.wants(m) {
            found.push(bulk(m));
        }
    });
    Ok(scan_reply(next, found))
}

#[cfg(test)]
mod tests;
