//! OBJECT: how a value is stored and how it has been used.

use crate::cmd::reply::{selected_db, Reply};
use crate::cmd::Ctx;
use crate::db::Access;
use bytes::Bytes;
use moat_resp::Frame;

const LFU_NOT_SELECTED: &str = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. \
Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
const LFU_SELECTED: &str = "ERR An LFU maxmemory policy is selected, idle time not tracked. \
Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

const HELP: &[&str] = &[
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Print this help.",
];

/// Finds the key without refreshing its access data (OBJECT must not
/// disturb what it reports); `None` answers nil.
fn lookup(ctx: &mut Ctx<'_>, key: &[u8]) -> Option<u32> {
    selected_db(ctx).lookup_slot(key, Access::ReadNoNotify)
}

pub fn encoding(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    let Some(slot) = db.lookup_slot(&argv[2], Access::ReadNoNotify) else {
        return Ok(Frame::Null);
    };
    Ok(db
        .entry(slot)
        .map_or(Frame::Null, |e| Frame::bulk(e.value.encoding())))
}

pub fn refcount(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    let Some(slot) = db.lookup_slot(&argv[2], Access::ReadNoNotify) else {
        return Ok(Frame::Null);
    };
    Ok(db
        .entry(slot)
        .map_or(Frame::Null, |e| Frame::Integer(e.value.refcount())))
}

pub fn idletime(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let Some(slot) = lookup(ctx, &argv[2]) else {
        return Ok(Frame::Null);
    };
    if ctx.ks.lfu_enabled() {
        return Err(Frame::error(LFU_SELECTED));
    }
    Ok(selected_db(ctx)
        .idle_seconds(slot)
        .map_or(Frame::Null, Frame::Integer))
}

pub fn freq(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let Some(slot) = lookup(ctx, &argv[2]) else {
        return Ok(Frame::Null);
    };
    if !ctx.ks.lfu_enabled() {
        return Err(Frame::error(LFU_NOT_SELECTED));
    }
    Ok(selected_db(ctx)
        .frequency(slot)
        .map_or(Frame::Null, |n| Frame::Integer(i64::from(n))))
}

pub fn help(_ctx: &mut Ctx<'_>, _argv: &[Bytes]) -> Reply {
    Ok(Frame::Array(
        HELP.iter().map(|line| Frame::simple(line)).collect(),
    ))
}
