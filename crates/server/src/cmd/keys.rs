//! Generic key commands: existence, deletion, renaming, iteration,
//! databases, TTLs and OBJECT.
//!
//! Everything here is type-agnostic: it moves [`crate::db::Entry`] values
//! around or asks [`crate::db::Value`] for its type name and encoding, so
//! new data types work with these commands without changes here.

mod expire;
mod object;
mod scan;

pub use scan::parse_cursor;

use super::args::{db_in_range, is, parse_db_index, parse_i32};
use super::reply::{count, flatten, no_such_key, selected_db, syntax_error, Reply};
use super::{Ctx, Handler};
use crate::db::Access;
use bytes::Bytes;
use moat_config::NotifyFlags;
use moat_resp::Frame;

/// This module's commands by lowercase name.
pub fn handlers() -> &'static [(&'static str, Handler)] {
    HANDLERS
}

const HANDLERS: &[(&str, Handler)] = &[
    ("del", |ctx, argv| flatten(del(ctx, argv))),
    ("unlink", |ctx, argv| flatten(del(ctx, argv))),
    ("exists", |ctx, argv| flatten(exists(ctx, argv))),
    ("type", |ctx, argv| flatten(type_of(ctx, argv))),
    ("touch", |ctx, argv| flatten(touch(ctx, argv))),
    ("rename", |ctx, argv| flatten(rename(ctx, argv, false))),
    ("renamenx", |ctx, argv| flatten(rename(ctx, argv, true))),
    ("keys", |ctx, argv| flatten(scan::keys(ctx, argv))),
    ("scan", |ctx, argv| flatten(scan::scan(ctx, argv))),
    ("randomkey", |ctx, argv| flatten(randomkey(ctx, argv))),
    ("dbsize", |ctx, argv| flatten(dbsize(ctx, argv))),
    ("select", |ctx, argv| flatten(select(ctx, argv))),
    ("swapdb", |ctx, argv| flatten(swapdb(ctx, argv))),
    ("move", |ctx, argv| flatten(move_key(ctx, argv))),
    ("copy", |ctx, argv| flatten(copy(ctx, argv))),
    ("flushdb", |ctx, argv| flatten(flushdb(ctx, argv))),
    ("object|encoding", |ctx, argv| {
        flatten(object::encoding(ctx, argv))
    }),
    ("object|freq", |ctx, argv| flatten(object::freq(ctx, argv))),
    ("object|idletime", |ctx, argv| {
        flatten(object::idletime(ctx, argv))
    }),
    ("object|refcount", |ctx, argv| {
        flatten(object::refcount(ctx, argv))
    }),
    ("object|help", |ctx, argv| flatten(object::help(ctx, argv))),
    ("expire", |ctx, argv| {
        flatten(expire::expire(ctx, argv, expire::Form::EXPIRE))
    }),
    ("pexpire", |ctx, argv| {
        flatten(expire::expire(ctx, argv, expire::Form::PEXPIRE))
    }),
    ("expireat", |ctx, argv| {
        flatten(expire::expire(ctx, argv, expire::Form::EXPIREAT))
    }),
    ("pexpireat", |ctx, argv| {
        flatten(expire::expire(ctx, argv, expire::Form::PEXPIREAT))
    }),
    ("ttl", |ctx, argv| {
        flatten(expire::ttl(ctx, argv, expire::TtlForm::Seconds))
    }),
    ("pttl", |ctx, argv| {
        flatten(expire::ttl(ctx, argv, expire::TtlForm::Millis))
    }),
    ("expiretime", |ctx, argv| {
        flatten(expire::ttl(ctx, argv, expire::TtlForm::UnixSeconds))
    }),
    ("pexpiretime", |ctx, argv| {
        flatten(expire::ttl(ctx, argv, expire::TtlForm::UnixMillis))
    }),
    ("persist", |ctx, argv| flatten(expire::persist(ctx, argv))),
];

fn del(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    let mut deleted = 0;
    for key in &argv[1..] {
        if db.remove(key) {
            db.notify(NotifyFlags::GENERIC, "del", key);
            deleted += 1;
        }
    }
    db.count_changes(deleted);
    Ok(count(deleted))
}

fn exists(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    Ok(count(
        argv[1..]
            .iter()
            .filter(|key| db.lookup_slot(key, Access::ReadNoTouch).is_some())
            .count(),
    ))
}

fn type_of(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    let name = db
        .lookup(&argv[1], Access::ReadNoTouch)
        .map_or("none", |value| value.type_name());
    Ok(Frame::simple(name))
}

fn touch(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    Ok(count(
        argv[1..]
            .iter()
            .filter(|key| db.lookup_slot(key, Access::Read).is_some())
            .count(),
    ))
}

/// RENAME and RENAMENX: the value keeps its TTL and access data.
fn rename(ctx: &mut Ctx<'_>, argv: &[Bytes], only_if_absent: bool) -> Reply {
    let (source, target) = (&argv[1][..], &argv[2][..]);
    let mut db = selected_db(ctx);
    if db.lookup_slot(source, Access::Write).is_none() {
        return Err(no_such_key());
    }
    let done = if only_if_absent {
        Frame::Integer(1)
    } else {
        Frame::ok()
    };
    if source == target {
        return Ok(if only_if_absent {
            Frame::Integer(0)
        } else {
            done
        });
    }
    if only_if_absent && db.lookup_slot(target, Access::Write).is_some() {
        return Ok(Frame::Integer(0));
    }
    if let Some(entry) = db.take(source) {
        db.put_entry(entry.renamed(target));
        db.notify(NotifyFlags::GENERIC, "rename_from", source);
        db.notify(NotifyFlags::GENERIC, "rename_to", target);
    }
    Ok(done)
}

fn randomkey(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Reply {
    Ok(selected_db(ctx)
        .random_key()
        .map_or(Frame::Null, |key| Frame::Bulk(Bytes::from(key))))
}

fn dbsize(ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Reply {
    Ok(count(selected_db(ctx).len()))
}

fn select(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    ctx.client.db = parse_db_index(&argv[1], ctx.ks.len())?;
    Ok(Frame::ok())
}

fn swapdb(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let first = parse_i32(&argv[1], Some("invalid first DB index"))?;
    let second = parse_i32(&argv[2], Some("invalid second DB index"))?;
    let databases = ctx.ks.len();
    let (first, second) = (
        db_in_range(first, databases)?,
        db_in_range(second, databases)?,
    );
    ctx.ks.swap(first, second, ctx.now_ms);
    Ok(Frame::ok())
}

/// `ERR source and destination objects are the same`
fn same_object() -> Frame {
    Frame::error("ERR source and destination objects are the same")
}

fn move_key(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let key = &argv[1][..];
    let source = ctx.client.db;
    let target = parse_db_index(&argv[2], ctx.ks.len())?;
    if source == target {
        return Err(same_object());
    }
    let now = ctx.now_ms;
    if ctx
        .ks
        .view(source, now)
        .lookup_slot(key, Access::Write)
        .is_none()
    {
        return Ok(Frame::Integer(0));
    }
    if ctx
        .ks
        .view(target, now)
        .lookup_slot(key, Access::Write)
        .is_some()
    {
        return Ok(Frame::Integer(0));
    }
    if let Some(entry) = ctx.ks.view(source, now).take(key) {
        ctx.ks.view(target, now).put_entry(entry);
        ctx.ks
            .notify(NotifyFlags::GENERIC, "move_from", source, key);
        ctx.ks.notify(NotifyFlags::GENERIC, "move_to", target, key);
    }
    Ok(Frame::Integer(1))
}

fn copy(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let (key, new_key) = (&argv[1][..], &argv[2][..]);
    let source = ctx.client.db;
    let mut target = source;
    let mut replace = false;
    let mut i = 3;
    while i < argv.len() {
        if is(&argv[i], "replace") {
            replace = true;
        } else if is(&argv[i], "db") && i + 1 < argv.len() {
            target = parse_db_index(&argv[i + 1], ctx.ks.len())?;
            i += 1;
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }
    if source == target && key == new_key {
        return Err(same_object());
    }
    let now = ctx.now_ms;
    let mut db = ctx.ks.view(source, now);
    let Some(slot) = db.lookup_slot(key, Access::Read) else {
        return Ok(Frame::Integer(0));
    };
    let Some(entry) = db.entry(slot) else {
        return Ok(Frame::Integer(0));
    };
    let (value, expire_at) = (entry.value.clone(), entry.expire_at());
    let mut destination = ctx.ks.view(target, now);
    if !replace && destination.lookup_slot(new_key, Access::Write).is_some() {
        return Ok(Frame::Integer(0));
    }
    destination.put_copy(new_key, value, expire_at);
    destination.notify(NotifyFlags::GENERIC, "copy_to", new_key);
    Ok(Frame::Integer(1))
}

/// The optional SYNC/ASYNC of FLUSHDB and FLUSHALL; both mean the same
/// here because freeing memory is cheap enough to do inline.
pub(crate) fn check_flush_mode(argv: &[Bytes]) -> Result<(), Frame> {
    match argv {
        [_] => Ok(()),
        [_, mode] if is(mode, "sync") || is(mode, "async") => Ok(()),
        _ => Err(syntax_error()),
    }
}

fn flushdb(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    check_flush_mode(argv)?;
    let removed = ctx.ks.flush_db(ctx.client.db);
    ctx.ks.count_changes(removed as u64);
    Ok(Frame::ok())
}

#[cfg(test)]
mod tests;
