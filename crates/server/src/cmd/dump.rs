//! DUMP, RESTORE and RESTORE-ASKING: a value as Redis's serialized form
//! (its RDB encoding, framed by version and CRC-64: see
//! [`crate::persist::dump`]) and back, with Redis 7.2's option parsing,
//! error order, TTL rules and propagation (`dumpCommand`,
//! `restoreCommand`).

use super::args::{is, parse_i64};
use super::reply::{flatten, selected_db, syntax_error, Reply};
use super::{Ctx, Handler};
use crate::db::{number, word, Access, Restored};
use crate::persist::dump::{dump_value, restore_value};
use bytes::Bytes;
use moat_config::NotifyFlags;
use moat_resp::Frame;

pub fn handlers() -> &'static [(&'static str, Handler)] {
    HANDLERS
}

const HANDLERS: &[(&str, Handler)] = &[
    ("dump", |ctx, argv| flatten(dump(ctx, argv))),
    ("restore", |ctx, argv| flatten(restore(ctx, argv))),
    // What a cluster migration sends; without a cluster it is RESTORE.
    ("restore-asking", |ctx, argv| flatten(restore(ctx, argv))),
];

/// `BUSYKEY Target key name already exists.` (`shared.busykeyerr`)
const BUSY_KEY: &str = "BUSYKEY Target key name already exists.";

fn dump(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let compression = ctx.ks.rdb_compression;
    let mut db = selected_db(ctx);
    let Some(slot) = db.lookup_slot(&argv[1], Access::Read) else {
        return Ok(Frame::Null);
    };
    let Some(entry) = db.entry(slot) else {
        return Ok(Frame::Null);
    };
    let payload =
        dump_value(&entry.value, compression).map_err(|e| Frame::error(format!("ERR {e}")))?;
    Ok(Frame::Bulk(Bytes::from(payload)))
}

/// RESTORE's options after the payload.
struct Options {
    replace: bool,
    absttl: bool,
    restored: Restored,
}

/// Redis's loop: IDLETIME and FREQ exclude each other (the second one is
/// a syntax error), and each value is checked as soon as it is read.
fn parse_options(args: &[Bytes]) -> Result<Options, Frame> {
    let mut options = Options {
        replace: false,
        absttl: false,
        restored: Restored::Fresh,
    };
    let mut i = 0;
    while i < args.len() {
        let has_value = i + 1 < args.len();
        let arg = &args[i];
        if is(arg, "replace") {
            options.replace = true;
        } else if is(arg, "absttl") {
            options.absttl = true;
        } else if is(arg, "idletime") && has_value && !matches!(options.restored, Restored::Freq(_))
        {
            let idle = parse_i64(&args[i + 1])?;
            let idle = u64::try_from(idle)
                .map_err(|_| Frame::error("ERR Invalid IDLETIME value, must be >= 0"))?;
            options.restored = Restored::IdleSecs(idle);
            i += 1;
        } else if is(arg, "freq") && has_value && !matches!(options.restored, Restored::IdleSecs(_))
        {
            let freq = parse_i64(&args[i + 1])?;
            let freq = u8::try_from(freq)
                .map_err(|_| Frame::error("ERR Invalid FREQ value, must be >= 0 and <= 255"))?;
            options.restored = Restored::Freq(freq);
            i += 1;
        } else {
            return Err(syntax_error());
        }
        i += 1;
    }
    Ok(options)
}

fn restore(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let options = parse_options(&argv[4..])?;
    let key = &argv[1];
    let limits = ctx.ks.thresholds;
    let mut db = selected_db(ctx);
    if !options.replace && db.lookup_slot(key, Access::Write).is_some() {
        return Err(Frame::error(BUSY_KEY));
    }
    let ttl = parse_i64(&argv[2])?;
    if ttl < 0 {
        return Err(Frame::error("ERR Invalid TTL value, must be >= 0"));
    }
    let value = restore_value(&argv[3], &limits).map_err(|e| Frame::error(e.text()))?;
    // Only now, with a value to put in its place, does REPLACE delete; a
    // key whose time has passed is deleted, not expired, as Redis's
    // `dbDelete` does without looking the key up first.
    let deleted = options.replace && db.remove_stored(key);
    // Redis adds the relative TTL to the command's time without an
    // overflow check; a sum that wraps is in the past like any other.
    let expire_at = match ttl {
        0 => None,
        ttl if options.absttl => Some(ttl),
        ttl => Some(ttl.wrapping_add(db.now_ms())),
    };
    if expire_at.is_some_and(|at| at <= db.now_ms()) {
        // Already expired: the key is not created; a replaced key is
        // gone, which the AOF learns as a DEL.
        if deleted {
            db.modified(key);
            db.notify(NotifyFlags::GENERIC, "del", key);
            db.propagate_as(vec![word("DEL"), key.clone()]);
        }
        return Ok(Frame::ok());
    }
    db.insert_restored(key, value, expire_at, options.restored);
    if let (Some(at), false) = (expire_at, options.absttl) {
        // The AOF gets the instant, not a TTL that replay would restart.
        if db.propagating() {
            let mut stated = argv.to_vec();
            stated[2] = number(at);
            stated.push(word("ABSTTL"));
            db.propagate_as(stated);
        }
    }
    db.notify(NotifyFlags::GENERIC, "restore", key);
    Ok(Frame::ok())
}

#[cfg(test)]
mod tests;
