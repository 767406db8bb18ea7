//! PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST: HyperLogLog over
//! string values.
//!
//! The sketch format is in [`sketch`]; this file is the commands' Redis
//! semantics around it: which keys are created, when the cached
//! cardinality is written back (a single-key PFCOUNT stores it, which is
//! why PFCOUNT counts as a write for ACL key permissions), and the error
//! texts.

mod sketch;

use super::reply::{flag, flatten, selected_db, wrong_type, Reply};
use super::{Ctx, Handler};
use crate::db::{Access, DbView, StrValue, Value};
use bytes::Bytes;
use moat_config::NotifyFlags;
use moat_resp::Frame;
use sketch::SketchError;

pub fn handlers() -> &'static [(&'static str, Handler)] {
    HANDLERS
}

const HANDLERS: &[(&str, Handler)] = &[
    ("pfadd", |ctx, argv| flatten(pfadd(ctx, argv))),
    ("pfcount", |ctx, argv| flatten(pfcount(ctx, argv))),
    ("pfmerge", |ctx, argv| flatten(pfmerge(ctx, argv))),
    ("pfdebug", |ctx, argv| flatten(pfdebug(ctx, argv))),
    ("pfselftest", |ctx, _| pfselftest(ctx)),
];

/// Redis's self-test of the HyperLogLog code (1000 register rounds, 10M
/// elements): it exercises this implementation, not a canned answer, so
/// it takes a second or two, blocking as it does in Redis.
fn pfselftest(ctx: &mut Ctx<'_>) -> Frame {
    let max_bytes = ctx.ks.hll_sparse_max_bytes;
    match sketch::self_test(1000, 10_000_000, max_bytes, &mut rand::thread_rng()) {
        Ok(()) => Frame::ok(),
        Err(text) => Frame::error(text),
    }
}

fn sketch_error(error: SketchError) -> Frame {
    match error {
        SketchError::NotHll => {
            Frame::error("WRONGTYPE Key is not a valid HyperLogLog string value.")
        }
        SketchError::Corrupted => Frame::error("INVALIDOBJ Corrupted HLL object detected"),
    }
}

/// The HLL at `key`, checked but as it is stored (a string that is no HLL
/// keeps its encoding when the command fails), `None` when the key is
/// absent.
fn stored_sketch<'v>(
    db: &'v mut DbView<'_>,
    key: &[u8],
    mode: Access,
) -> Result<Option<&'v mut StrValue>, Frame> {
    let Some(value) = db.lookup(key, mode) else {
        return Ok(None);
    };
    let string = value.as_str_mut().ok_or_else(wrong_type)?;
    // An integer-encoded string can never be an HLL.
    if matches!(string, StrValue::Int(_)) {
        return Err(sketch_error(SketchError::NotHll));
    }
    string.with_bytes(sketch::validate).map_err(sketch_error)?;
    Ok(Some(string))
}

/// The HLL at `key` as an editable buffer, `None` when the key is absent.
fn sketch_at<'v>(
    db: &'v mut DbView<'_>,
    key: &[u8],
    mode: Access,
) -> Result<Option<&'v mut Vec<u8>>, Frame> {
    Ok(stored_sketch(db, key, mode)?.map(StrValue::make_raw))
}

/// Merges the sketch at `key` into `max`, read as it is stored (Redis
/// leaves a source's encoding alone); whether it was dense, or `None`
/// for a missing key.
fn merge_from(db: &mut DbView<'_>, key: &[u8], max: &mut [u8]) -> Result<Option<bool>, Frame> {
    let Some(string) = stored_sketch(db, key, Access::Read)? else {
        return Ok(None);
    };
    string.with_bytes(|bytes| {
        merge_into(max, bytes)?;
        Ok(Some(sketch::is_dense(bytes)))
    })
}

fn pfadd(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let max_bytes = ctx.ks.hll_sparse_max_bytes;
    let key = &argv[1];
    let mut db = selected_db(ctx);
    // Redis counts a change for the key it created and one for each
    // element that raised a register.
    let mut changes = 0;
    if sketch_at(&mut db, key, Access::Write)?.is_none() {
        db.set(key, Value::raw_string(sketch::new_sparse()), false);
        changes += 1;
    }
    let bytes = sketch_at(&mut db, key, Access::Write)?.expect("present: created above");
    for element in &argv[2..] {
        let (index, run) = sketch::register_and_run(element);
        let raised = sketch::raise(bytes, index, run, max_bytes).map_err(sketch_error)?;
        changes += usize::from(raised);
    }
    let changed = changes > 0;
    if changed {
        sketch::invalidate_cache(bytes);
        db.modified(key);
        db.notify(NotifyFlags::STRING, "pfadd", key);
    }
    db.count_changes(changes);
    Ok(flag(changed))
}

fn pfcount(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let mut db = selected_db(ctx);
    if argv.len() == 2 {
        let key = &argv[1];
        let Some(bytes) = sketch_at(&mut db, key, Access::Read)? else {
            return Ok(Frame::Integer(0));
        };
        if let Some(card) = sketch::cached_cardinality(bytes) {
            return Ok(Frame::Integer(card as i64));
        }
        let card = sketch::estimate(bytes).map_err(sketch_error)?;
        sketch::store_cardinality(bytes, card);
        db.modified(key);
        // A cache update counts as a write, and PFCOUNT (`may-replicate`,
        // not `write`) propagates as received, as in Redis.
        if db.propagating() {
            db.propagate_as(argv.to_vec());
        }
        return Ok(Frame::Integer(card as i64));
    }
    let mut merged = vec![0u8; sketch::REGISTERS];
    for key in &argv[1..] {
        if let Some(bytes) = sketch_at(&mut db, key, Access::Read)? {
            merge_into(&mut merged, bytes)?;
        }
    }
    Ok(Frame::Integer(sketch::estimate_registers(&merged) as i64))
}

fn merge_into(max: &mut [u8], bytes: &[u8]) -> Result<(), Frame> {
    let registers = sketch::registers(bytes).map_err(sketch_error)?;
    for (m, r) in max.iter_mut().zip(registers) {
        *m = (*m).max(r);
    }
    Ok(())
}

fn pfmerge(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let max_bytes = ctx.ks.hll_sparse_max_bytes;
    let dest = &argv[1];
    let mut db = selected_db(ctx);
    let mut merged = vec![0u8; sketch::REGISTERS];
    let mut any_dense = false;
    // The destination is one of the inputs, as in Redis.
    for key in &argv[1..] {
        any_dense |= merge_from(&mut db, key, &mut merged)?.unwrap_or(false);
    }
    if sketch_at(&mut db, dest, Access::Write)?.is_none() {
        db.set(dest, Value::raw_string(sketch::new_sparse()), false);
    }
    let bytes = sketch_at(&mut db, dest, Access::Write)?.expect("present: created above");
    if any_dense {
        sketch::promote(bytes).map_err(sketch_error)?;
    }
    for (index, &value) in merged.iter().enumerate() {
        if value != 0 {
            sketch::raise(bytes, index, value, max_bytes).map_err(sketch_error)?;
        }
    }
    sketch::invalidate_cache(bytes);
    db.modified(dest);
    // A merge is a mass PFADD, and Redis names it so.
    db.notify(NotifyFlags::STRING, "pfadd", dest);
    Ok(Frame::ok())
}

fn pfdebug(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let sub = String::from_utf8_lossy(&argv[1]).to_ascii_lowercase();
    let key = &argv[2];
    let mut db = selected_db(ctx);
    let Some(bytes) = sketch_at(&mut db, key, Access::Write)? else {
        return Err(Frame::error("ERR The specified key does not exist"));
    };
    let reply = match sub.as_str() {
        "getreg" if argv.len() == 3 => {
            // Redis converts to dense first, and so changes the value.
            if sketch::promote(bytes).map_err(sketch_error)? {
                db.modified(key);
            }
            let bytes = sketch_at(&mut db, key, Access::Write)?.expect("present");
            let registers = sketch::registers(bytes).map_err(sketch_error)?;
            Frame::Array(
                registers
                    .into_iter()
                    .map(|r| Frame::Integer(i64::from(r)))
                    .collect(),
            )
        }
        "decode" if argv.len() == 3 => {
            if sketch::is_dense(bytes) {
                return Err(Frame::error("ERR HLL encoding is not sparse"));
            }
            Frame::Bulk(Bytes::from(
                sketch::decode_sparse(bytes).map_err(sketch_error)?,
            ))
        }
        "encoding" if argv.len() == 3 => {
            Frame::Simple(Bytes::from_static(if sketch::is_dense(bytes) {
                b"dense"
            } else {
                b"sparse"
            }))
        }
        "todense" if argv.len() == 3 => {
            let converted = sketch::promote(bytes).map_err(sketch_error)?;
            // Redis counts the conversion so that it propagates, but the
            // estimate is the same: no watch breaks, no cache invalidates.
            if converted {
                db.count_changes(1);
            }
            flag(converted)
        }
        _ => {
            return Err(super::reply::quoting_error(
                "ERR Unknown PFDEBUG subcommand '{}'",
                &[&argv[1]],
            ))
        }
    };
    Ok(reply)
}
