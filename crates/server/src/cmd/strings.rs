//! String commands: GET/SET and friends, counters, ranges, LCS.
//!
//! Each command follows Redis 7.2's `t_string.c` step by step where the
//! order is observable: which error wins when several apply, whether a
//! missing key is looked up before or after options are validated, and
//! which encoding (`int`, `embstr`, `raw`) the stored value ends up with.

mod lcs;

use super::args::{absolute_expire_ms, is, not_a_float, not_an_integer, parse_i64, ExpireUnit};
use super::reply::{
    count, empty_bulk, flatten, selected_db, syntax_error, wrong_arity, wrong_type, Reply,
};
use super::{Ctx, Handler};
use crate::db::{number, word, Access, DbView, StrValue, Value};
use crate::long_double::LongDouble;
use bytes::Bytes;
use moat_config::NotifyFlags;
use moat_resp::Frame;

/// This module's commands by lowercase name.
pub fn handlers() -> &'static [(&'static str, Handler)] {
    HANDLERS
}

const HANDLERS: &[(&str, Handler)] = &[
    ("get", |ctx, argv| flatten(get(ctx, argv))),
    ("set", |ctx, argv| flatten(set(ctx, argv))),
    ("setnx", |ctx, argv| flatten(setnx(ctx, argv))),
    ("setex", |ctx, argv| {
        flatten(setex(ctx, argv, ExpireUnit::Seconds, "setex"))
    }),
    ("psetex", |ctx, argv| {
        flatten(setex(ctx, argv, ExpireUnit::Millis, "psetex"))
    }),
    ("getset", |ctx, argv| flatten(getset(ctx, argv))),
    ("getdel", |ctx, argv| flatten(getdel(ctx, argv))),
    ("getex", |ctx, argv| flatten(getex(ctx, argv))),
    ("mget", |ctx, argv| flatten(mget(ctx, argv))),
    ("mset", |ctx, argv| flatten(mset(ctx, argv))),
    ("msetnx", |ctx, argv| flatten(msetnx(ctx, argv))),
    ("append", |ctx, argv| flatten(append(ctx, argv))),
    ("strlen", |ctx, argv| flatten(strlen(ctx, argv))),
    ("incr", |ctx, argv| flatten(incr_by(ctx, &argv[1], 1))),
    ("decr", |ctx, argv| flatten(incr_by(ctx, &argv[1], -1))),
    ("incrby", |ctx, argv| flatten(incrby(ctx, argv))),
    ("decrby", |ctx, argv| flatten(decrby(ctx, argv))),
    ("incrbyfloat", |ctx, argv| flatten(incrbyfloat(ctx, argv))),
    ("getrange", |ctx, argv| flatten(getrange(ctx, argv))),
    ("substr", |ctx, argv| flatten(getrange(ctx, argv))),
    ("setrange", |ctx, argv| flatten(setrange(ctx, argv))),
    ("lcs", |ctx, argv| flatten(lcs::lcs(ctx, argv))),
];

/// The string stored at `key`: `Ok(None)` when there is none, WRONGTYPE
/// when the key holds another type.
fn string_at<'v>(
    db: &'v mut DbView<'_>,
    key: &[u8],
    mode: Access,
) -> Result<Option<&'v mut StrValue>, Frame> {
    match db.lookup(key, mode) {
        None => Ok(None),
        Some(value) => value.as_str_mut().map(Some).ok_or_else(wrong_type),
    }
}

/// GET's reply for a key: the value, nil, or WRONGTYPE.
fn read_bulk(db: &mut DbView<'_>, key: &[u8]) -> Reply {
    Ok(match string_at(db, key, Access::Read)? {
        Some(s) => Frame::Bulk(s.to_bytes()),
        None => Frame::Null,
    })
}

fn get(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    read_bulk(&mut selected_db(ctx), &argv[1])
}

/// The existence condition of a SET.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Condition {
    /// NX: only if the key does not exist.
    Absent,
    /// XX: only if it does.
    Present,
}

/// What to do with the TTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TtlChange<'a> {
    /// Drop it (SET) or leave it (GETEX).
    Default,
    Keep,
    Persist,
    Expire(ExpireUnit, &'a [u8]),
}

/// The options of SET and GETEX, parsed with Redis's compatibility rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SetOptions<'a> {
    condition: Option<Condition>,
    get: bool,
    ttl: TtlChange<'a>,
}

/// Which command's options are being parsed: SET and GETEX accept
/// different subsets of one grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OptionsOf {
    Set,
    GetEx,
}

fn parse_set_options(args: &[Bytes], of: OptionsOf) -> Result<SetOptions<'_>, Frame> {
    let mut options = SetOptions {
        condition: None,
        get: false,
        ttl: TtlChange::Default,
    };
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i][..];
        let next = args.get(i + 1).map(|b| &b[..]);
        let expire_unit = [
            ("ex", ExpireUnit::Seconds),
            ("px", ExpireUnit::Millis),
            ("exat", ExpireUnit::UnixSeconds),
            ("pxat", ExpireUnit::UnixMillis),
        ]
        .into_iter()
        .find(|(name, _)| is(arg, name))
        .map(|(_, unit)| unit);
        let is_set = of == OptionsOf::Set;
        if is(arg, "nx") && is_set && options.condition != Some(Condition::Present) {
            options.condition = Some(Condition::Absent);
        } else if is(arg, "xx") && is_set && options.condition != Some(Condition::Absent) {
            options.condition = Some(Condition::Present);
        } else if is(arg, "get") && is_set {
            options.get = true;
        } else if is(arg, "keepttl")
            && is_set
            && matches!(options.ttl, TtlChange::Default | TtlChange::Keep)
        {
            options.ttl = TtlChange::Keep;
        } else if is(arg, "persist")
            && !is_set
            && matches!(options.ttl, TtlChange::Default | TtlChange::Persist)
        {
            options.ttl = TtlChange::Persist;
        } else if let (Some(unit), Some(amount)) = (expire_unit, next) {
            // The same unit may repeat (last wins); mixing is an error.
            match options.ttl {
                TtlChange::Default => {}
                TtlChange::Expire(previous, _) if previous == unit => {}
                _ => return Err(syntax_error()),
            }
            options.ttl = TtlChange::Expire(unit, amount);
            i += 1;
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }
    Ok(options)
}

fn set(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let options = parse_set_options(&argv[3..], OptionsOf::Set)?;
    let dirty = ctx.ks.dirty;
    let reply = set_generic(
        ctx,
        &argv[1],
        &argv[2],
        options,
        "set",
        Frame::ok(),
        Frame::Null,
    )?;
    // Redis propagates a SET without expiry without its GET arguments (a
    // SET with one was restated as `SET k v PXAT` already).
    let expires = matches!(options.ttl, TtlChange::Expire(..));
    if options.get && !expires && ctx.ks.dirty != dirty {
        let mut db = selected_db(ctx);
        if db.propagating() {
            let stated = argv
                .iter()
                .enumerate()
                .filter(|(i, a)| *i < 3 || !a.eq_ignore_ascii_case(b"get"))
                .map(|(_, a)| a.clone())
                .collect();
            db.propagate_as(stated);
        }
    }
    Ok(reply)
}

/// Redis's `setGenericCommand`: validates the TTL, answers GET, applies
/// the NX/XX condition, stores.
fn set_generic(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    value: &[u8],
    options: SetOptions<'_>,
    command: &str,
    ok_reply: Frame,
    abort_reply: Frame,
) -> Reply {
    let now = ctx.now_ms;
    let expire_at = match options.ttl {
        TtlChange::Expire(unit, amount) => Some(absolute_expire_ms(amount, unit, now, command)?),
        _ => None,
    };
    let mut db = selected_db(ctx);
    let old = if options.get {
        Some(read_bulk(&mut db, key)?)
    } else {
        None
    };
    let slot = db.lookup_slot(key, Access::Write);
    let found = slot.is_some();
    let blocked = match options.condition {
        Some(Condition::Absent) => found,
        Some(Condition::Present) => !found,
        None => false,
    };
    if blocked {
        return Ok(old.unwrap_or(abort_reply));
    }
    db.set_at(
        slot,
        key,
        Value::string(value),
        options.ttl == TtlChange::Keep,
    );
    db.notify(NotifyFlags::STRING, "set", key);
    if let Some(at) = expire_at {
        store_expire(&mut db, key, at);
        db.notify(NotifyFlags::GENERIC, "expire", key);
        // Replayed later, a relative TTL would restart: state the instant
        // (a PXAT is one already, and Redis propagates it as received).
        let pxat = matches!(options.ttl, TtlChange::Expire(ExpireUnit::UnixMillis, _));
        if db.propagating() && !pxat {
            db.propagate_as(vec![
                word("SET"),
                Bytes::copy_from_slice(key),
                Bytes::copy_from_slice(value),
                word("PXAT"),
                number(at),
            ]);
        }
    }
    Ok(old.unwrap_or(ok_reply))
}

/// Gives the key SET just stored its expiry. Unlike EXPIRE and GETEX,
/// Redis's SET does not compare the instant with the clock: a past EXAT
/// or PXAT stores a key that is already expired, which DBSIZE counts
/// until a lookup (an `expired` event) or the active cycle removes it.
fn store_expire(db: &mut DbView<'_>, key: &[u8], at: i64) {
    let index = db.index();
    let raw = db.keyspace().db(index);
    if let Some(slot) = raw.find(key) {
        raw.set_expire(slot, Some(at));
    }
}

fn setnx(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let options = SetOptions {
        condition: Some(Condition::Absent),
        get: false,
        ttl: TtlChange::Default,
    };
    set_generic(
        ctx,
        &argv[1],
        &argv[2],
        options,
        "setnx",
        Frame::Integer(1),
        Frame::Integer(0),
    )
}

fn setex(ctx: &mut Ctx<'_>, argv: &[Bytes], unit: ExpireUnit, command: &str) -> Reply {
    let options = SetOptions {
        condition: None,
        get: false,
        ttl: TtlChange::Expire(unit, &argv[2]),
    };
    set_generic(
        ctx,
        &argv[1],
        &argv[3],
        options,
        command,
        Frame::ok(),
        Frame::Null,
    )
}

fn getset(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    let old = read_bulk(&mut db, &argv[1])?;
    db.set(&argv[1], Value::string(&argv[2]), false);
    db.notify(NotifyFlags::STRING, "set", &argv[1]);
    // Redis propagates GETSET as SET.
    if db.propagating() {
        db.propagate_as(vec![word("SET"), argv[1].clone(), argv[2].clone()]);
    }
    Ok(old)
}

fn getdel(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    let reply = read_bulk(&mut db, &argv[1])?;
    if reply != Frame::Null {
        db.remove(&argv[1]);
        db.notify(NotifyFlags::GENERIC, "del", &argv[1]);
        db.propagate_as(vec![word("DEL"), argv[1].clone()]);
    }
    Ok(reply)
}

fn getex(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let options = parse_set_options(&argv[2..], OptionsOf::GetEx)?;
    let now = ctx.now_ms;
    let key = &argv[1][..];
    let mut db = selected_db(ctx);
    let reply = read_bulk(&mut db, key)?;
    if reply == Frame::Null {
        return Ok(reply);
    }
    match options.ttl {
        TtlChange::Expire(unit, amount) => {
            let at = absolute_expire_ms(amount, unit, now, "getex")?;
            db.set_expire(key, at);
            let event = if at <= now { "del" } else { "expire" };
            db.notify(NotifyFlags::GENERIC, event, key);
            let stated = if at <= now {
                vec![db.keyspace().expire_deletion_word(), argv[1].clone()]
            } else {
                vec![word("PEXPIREAT"), argv[1].clone(), number(at)]
            };
            db.propagate_as(stated);
        }
        TtlChange::Persist => {
            if db.persist(key) {
                db.notify(NotifyFlags::GENERIC, "persist", key);
                db.propagate_as(vec![word("PERSIST"), argv[1].clone()]);
            }
        }
        TtlChange::Default | TtlChange::Keep => {}
    }
    Ok(reply)
}

fn mget(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    let values = argv[1..]
        .iter()
        .map(
            |key| match db.lookup(key, Access::Read).and_then(|v| v.as_str()) {
                Some(s) => Frame::Bulk(s.to_bytes()),
                None => Frame::Null,
            },
        )
        .collect();
    Ok(Frame::Array(values))
}

fn mset(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    if argv.len().is_multiple_of(2) {
        return Err(wrong_arity("mset"));
    }
    let mut db = selected_db(ctx);
    for pair in argv[1..].chunks_exact(2) {
        db.set(&pair[0], Value::string(&pair[1]), false);
        db.notify(NotifyFlags::STRING, "set", &pair[0]);
    }
    // A change per pair, a key given twice counted twice.
    db.count_changes(argv.len() / 2);
    Ok(Frame::ok())
}

fn msetnx(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    if argv.len().is_multiple_of(2) {
        return Err(wrong_arity("msetnx"));
    }
    let mut db = selected_db(ctx);
    let pairs = argv[1..].chunks_exact(2);
    if pairs
        .clone()
        .any(|pair| db.lookup_slot(&pair[0], Access::Write).is_some())
    {
        return Ok(Frame::Integer(0));
    }
    for pair in pairs {
        db.set(&pair[0], Value::string(&pair[1]), false);
        db.notify(NotifyFlags::STRING, "set", &pair[0]);
    }
    db.count_changes(argv.len() / 2);
    Ok(Frame::Integer(1))
}

/// `ERR string exceeds maximum allowed size (proto-max-bulk-len)` when
/// a string would grow past the limit.
fn check_string_length(total: u128, limit: usize) -> Result<(), Frame> {
    if total > limit as u128 {
        return Err(Frame::error(
            "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
        ));
    }
    Ok(())
}

fn append(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let limit = ctx.ks.proto_max_bulk_len;
    let (key, suffix) = (&argv[1][..], &argv[2][..]);
    let mut db = selected_db(ctx);
    let new_len = match string_at(&mut db, key, Access::Write)? {
        None => {
            db.set(key, Value::string(suffix), false);
            db.notify(NotifyFlags::STRING, "append", key);
            return Ok(count(suffix.len()));
        }
        Some(existing) => {
            check_string_length(existing.len() as u128 + suffix.len() as u128, limit)?;
            let buffer = existing.make_raw();
            buffer.extend_from_slice(suffix);
            buffer.len()
        }
    };
    db.modified(key);
    db.notify(NotifyFlags::STRING, "append", key);
    Ok(count(new_len))
}

fn strlen(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    Ok(count(
        string_at(&mut db, &argv[1], Access::Read)?.map_or(0, |s| s.len()),
    ))
}

fn incrby(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let delta = parse_i64(&argv[2])?;
    incr_by(ctx, &argv[1], delta)
}

fn decrby(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let delta = parse_i64(&argv[2])?;
    let negated = delta
        .checked_neg()
        .ok_or_else(|| Frame::error("ERR decrement would overflow"))?;
    incr_by(ctx, &argv[1], negated)
}

/// INCR/DECR/INCRBY/DECRBY: the result is stored as an `int` and the TTL
/// is kept.
fn incr_by(ctx: &mut Ctx<'_>, key: &[u8], delta: i64) -> Reply {
    let mut db = selected_db(ctx);
    let current = match string_at(&mut db, key, Access::Write)? {
        Some(s) => Some(s.as_i64().ok_or_else(not_an_integer)?),
        None => None,
    };
    let result = current
        .unwrap_or(0)
        .checked_add(delta)
        .ok_or_else(|| Frame::error("ERR increment or decrement would overflow"))?;
    db.set(key, Value::integer(result), true);
    db.notify(NotifyFlags::STRING, "incrby", key);
    Ok(Frame::Integer(result))
}

fn incrbyfloat(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let key = &argv[1][..];
    let mut db = selected_db(ctx);
    let current = match string_at(&mut db, key, Access::Write)? {
        Some(s) => s.with_bytes(LongDouble::parse).ok_or_else(not_a_float)?,
        None => LongDouble::from_i64(0),
    };
    let delta = LongDouble::parse(&argv[2]).ok_or_else(not_a_float)?;
    let text = current
        .checked_add(delta)
        .and_then(|sum| sum.to_human())
        .ok_or_else(|| Frame::error("ERR increment would produce NaN or Infinity"))?;
    db.set(
        key,
        Value::Str(StrValue::embedded_or_raw(text.as_bytes())),
        true,
    );
    db.notify(NotifyFlags::STRING, "incrbyfloat", key);
    // Float arithmetic may differ where the file is replayed: store the
    // result, keeping the TTL as INCRBYFLOAT does.
    let text = Bytes::from(text);
    db.propagate_as(vec![
        word("SET"),
        argv[1].clone(),
        text.clone(),
        word("KEEPTTL"),
    ]);
    Ok(Frame::Bulk(text))
}

fn getrange(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let start = parse_i64(&argv[2])?;
    let end = parse_i64(&argv[3])?;
    let mut db = selected_db(ctx);
    let Some(value) = string_at(&mut db, &argv[1], Access::Read)? else {
        return Ok(empty_bulk());
    };
    Ok(
        value.with_bytes(|bytes| match clamp_range(start, end, bytes.len()) {
            Some((from, to)) => Frame::Bulk(Bytes::copy_from_slice(&bytes[from..=to])),
            None => empty_bulk(),
        }),
    )
}

/// GETRANGE's index arithmetic: negative indexes count from the end,
/// both ends are clamped, an empty result is `None`.
fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = i64::try_from(len).ok()?;
    if start < 0 && end < 0 && start > end {
        return None;
    }
    let start = if start < 0 {
        len.saturating_add(start)
    } else {
        start
    }
    .max(0);
    let end = if end < 0 {
        len.saturating_add(end)
    } else {
        end
    }
    .max(0);
    let end = end.min(len - 1);
    if start > end || len == 0 {
        return None;
    }
    Some((start as usize, end as usize))
}

fn setrange(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let limit = ctx.ks.proto_max_bulk_len;
    let key = &argv[1][..];
    let patch = &argv[3][..];
    let offset = parse_i64(&argv[2])?;
    if offset < 0 {
        return Err(Frame::error("ERR offset is out of range"));
    }
    let offset = offset as u64;
    let mut db = selected_db(ctx);
    let new_len = match string_at(&mut db, key, Access::Write)? {
        None => {
            if patch.is_empty() {
                return Ok(Frame::Integer(0));
            }
            check_string_length(u128::from(offset) + patch.len() as u128, limit)?;
            let mut buffer = vec![0u8; offset as usize];
            buffer.extend_from_slice(patch);
            let len = buffer.len();
            db.set(key, Value::raw_string(buffer), false);
            db.notify(NotifyFlags::STRING, "setrange", key);
            return Ok(count(len));
        }
        Some(existing) => {
            if patch.is_empty() {
                return Ok(count(existing.len()));
            }
            check_string_length(u128::from(offset) + patch.len() as u128, limit)?;
            let buffer = existing.make_raw();
            let end = offset as usize + patch.len();
            if buffer.len() < end {
                buffer.resize(end, 0);
            }
            buffer[offset as usize..end].copy_from_slice(patch);
            buffer.len()
        }
    };
    db.modified(key);
    db.notify(NotifyFlags::STRING, "setrange", key);
    Ok(count(new_len))
}

#[cfg(test)]
mod tests;
