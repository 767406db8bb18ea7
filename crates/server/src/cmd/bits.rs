//! Bit commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD.
//!
//! Strings are big-endian bit arrays: bit 0 is the most significant bit
//! of the first byte. Reading past the end reads zeros; writing past it
//! grows the string with zero bytes (and makes it `raw`, as Redis does
//! before editing a string in place). Options follow Redis 7.2, which
//! validates all arguments before looking at the key.

mod bitfield;

use super::args::{is, parse_i64};
use super::reply::{count, flatten, selected_db, syntax_error, wrong_type, Reply};
use super::{Ctx, Handler};
use crate::db::{Access, DbView, StrValue, Value};
use bytes::Bytes;
use moat_config::NotifyFlags;
use moat_resp::Frame;

/// This module's commands by lowercase name.
pub fn handlers() -> &'static [(&'static str, Handler)] {
    HANDLERS
}

const HANDLERS: &[(&str, Handler)] = &[
    ("setbit", |ctx, argv| flatten(setbit(ctx, argv))),
    ("getbit", |ctx, argv| flatten(getbit(ctx, argv))),
    ("bitcount", |ctx, argv| flatten(bitcount(ctx, argv))),
    ("bitpos", |ctx, argv| flatten(bitpos(ctx, argv))),
    ("bitop", |ctx, argv| flatten(bitop(ctx, argv))),
    ("bitfield", |ctx, argv| {
        flatten(bitfield::bitfield(ctx, argv, false))
    }),
    ("bitfield_ro", |ctx, argv| {
        flatten(bitfield::bitfield(ctx, argv, true))
    }),
];

/// `ERR bit offset is not an integer or out of range`
fn bad_offset() -> Frame {
    Frame::error("ERR bit offset is not an integer or out of range")
}

/// A bit offset as `getBitOffsetFromArgument` accepts it: non-negative
/// and addressing a byte below `proto-max-bulk-len`. With `hash_bits`,
/// `#N` means the N-th field of that width.
fn parse_bit_offset(arg: &[u8], hash_bits: Option<u32>, max_bytes: usize) -> Result<u64, Frame> {
    let (digits, multiplier) = match (arg.split_first(), hash_bits) {
        (Some((b'#', rest)), Some(bits)) => (rest, i64::from(bits)),
        _ => (arg, 1),
    };
    let offset = parse_i64(digits)
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .ok_or_else(bad_offset)?;
    let offset = u64::try_from(offset).map_err(|_| bad_offset())?;
    if offset >> 3 >= max_bytes as u64 {
        return Err(bad_offset());
    }
    Ok(offset)
}

/// The string at `key` for reading bits: `None` when missing.
fn read_string(db: &mut DbView<'_>, key: &[u8]) -> Result<Option<Bytes>, Frame> {
    match db.lookup(key, Access::Read) {
        None => Ok(None),
        Some(value) => value
            .as_str()
            .map(|s| Some(s.to_bytes()))
            .ok_or_else(wrong_type),
    }
}

/// The string at `key` made `raw` and at least `min_len` bytes long,
/// creating it if needed (`lookupStringForBitCommand`). Returns the
/// buffer and whether it had to be created or grown. Creating the key
/// reports no change: the caller does when it writes (a BITFIELD whose
/// every write overflowed under FAIL leaves the key created and its
/// watches whole, as Redis does).
fn string_for_bit_write<'v>(
    db: &'v mut DbView<'_>,
    key: &[u8],
    min_len: usize,
) -> Result<(&'v mut Vec<u8>, bool), Frame> {
    if db.lookup_slot(key, Access::Write).is_none() {
        db.add(key, Value::raw_string(vec![0; min_len]));
        let buffer = db
            .lookup(key, Access::Peek)
            .and_then(Value::as_str_mut)
            .map(StrValue::make_raw);
        return buffer.map(|b| (b, true)).ok_or_else(wrong_type);
    }
    let value = db.lookup(key, Access::Peek).ok_or_else(wrong_type)?;
    let buffer = value.as_str_mut().ok_or_else(wrong_type)?.make_raw();
    let grown = buffer.len() < min_len;
    if grown {
        buffer.resize(min_len, 0);
    }
    Ok((buffer, grown))
}

fn bit_at(bytes: &[u8], offset: u64) -> u8 {
    let byte = bytes.get((offset >> 3) as usize).copied().unwrap_or(0);
    (byte >> (7 - (offset & 7))) & 1
}

fn setbit(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let limit = ctx.ks.proto_max_bulk_len;
    let offset = parse_bit_offset(&argv[2], None, limit)?;
    let on = match &argv[3][..] {
        b"0" => 0u8,
        b"1" => 1u8,
        _ => return Err(Frame::error("ERR bit is not an integer or out of range")),
    };
    let key = &argv[1][..];
    let mut db = selected_db(ctx);
    let (buffer, grown) = string_for_bit_write(&mut db, key, (offset >> 3) as usize + 1)?;
    let old = bit_at(buffer, offset);
    let mask = 1u8 << (7 - (offset & 7));
    let byte = &mut buffer[(offset >> 3) as usize];
    *byte = (*byte & !mask) | (on * mask);
    if grown || old != on {
        db.modified(key);
        db.notify(NotifyFlags::STRING, "setbit", key);
    }
    Ok(Frame::Integer(i64::from(old)))
}

fn getbit(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let offset = parse_bit_offset(&argv[2], None, ctx.ks.proto_max_bulk_len)?;
    let mut db = selected_db(ctx);
    let bit = read_string(&mut db, &argv[1])?.map_or(0, |bytes| bit_at(&bytes, offset));
    Ok(Frame::Integer(i64::from(bit)))
}

/// Whether a range is in bytes (default) or bits.
fn parse_unit(arg: &[u8]) -> Result<bool, Frame> {
    if is(arg, "bit") {
        Ok(true)
    } else if is(arg, "byte") {
        Ok(false)
    } else {
        Err(syntax_error())
    }
}

/// Resolves a start/end pair (negative counts from the end) against a
/// length, clamping like Redis; `None` for an empty range.
fn resolve_range(start: i64, end: i64, len: i64) -> Option<(i64, i64)> {
    let start = if start < 0 { len + start } else { start }.max(0);
    let end = if end < 0 { len + end } else { end }.max(0);
    let end = end.min(len - 1);
    (start <= end).then_some((start, end))
}

/// The bit interval of a BITCOUNT/BITPOS range.
fn bit_interval(start: i64, end: i64, in_bits: bool, byte_len: usize) -> Option<(u64, u64)> {
    let total = byte_len as i64 * if in_bits { 8 } else { 1 };
    let (start, end) = resolve_range(start, end, total)?;
    if in_bits {
        Some((start as u64, end as u64))
    } else {
        Some((start as u64 * 8, end as u64 * 8 + 7))
    }
}

fn count_bits(bytes: &[u8], from: u64, to: u64) -> u64 {
    let (first, last) = ((from >> 3) as usize, (to >> 3) as usize);
    let mut total: u64 = bytes[first..=last]
        .iter()
        .map(|b| u64::from(b.count_ones()))
        .sum();
    // Bits of the edge bytes that lie outside the interval.
    total -= u64::from((bytes[first] & !(0xffu8 >> (from & 7))).count_ones());
    total -= u64::from((bytes[last] & (0x7fu8 >> (to & 7))).count_ones());
    total
}

fn bitcount(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    // 7.2 checks the arguments before it looks the key up (#11734): a
    // bad range or unit is an error even for a missing key, which 7.0
    // answered 0 whatever followed it.
    let range = match argv.len() {
        2 => None,
        4 | 5 => {
            let start = parse_i64(&argv[2])?;
            let end = parse_i64(&argv[3])?;
            let in_bits = match argv.get(4) {
                Some(unit) => parse_unit(unit)?,
                None => false,
            };
            Some((start, end, in_bits))
        }
        _ => return Err(syntax_error()),
    };
    let mut db = selected_db(ctx);
    let Some(bytes) = read_string(&mut db, &argv[1])? else {
        return Ok(Frame::Integer(0));
    };
    let interval = match range {
        None => (!bytes.is_empty()).then(|| (0, bytes.len() as u64 * 8 - 1)),
        Some((start, end, _)) if start < 0 && end < 0 && start > end => None,
        Some((start, end, in_bits)) => bit_interval(start, end, in_bits, bytes.len()),
    };
    let total = interval.map_or(0, |(from, to)| count_bits(&bytes, from, to));
    Ok(Frame::Integer(total as i64))
}

fn bitpos(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let target = match parse_i64(&argv[2])? {
        0 => 0u8,
        1 => 1u8,
        _ => return Err(Frame::error("ERR The bit argument must be 1 or 0.")),
    };
    if argv.len() > 6 {
        return Err(syntax_error());
    }
    let start = argv.get(3).map(|a| parse_i64(a)).transpose()?;
    let in_bits = argv
        .get(5)
        .map(|a| parse_unit(a))
        .transpose()?
        .unwrap_or(false);
    let end = argv.get(4).map(|a| parse_i64(a)).transpose()?;
    let mut db = selected_db(ctx);
    // A missing key is an endless run of zeros.
    let Some(bytes) = read_string(&mut db, &argv[1])? else {
        return Ok(Frame::Integer(if target == 1 { -1 } else { 0 }));
    };
    let Some((from, to)) =
        bit_interval(start.unwrap_or(0), end.unwrap_or(-1), in_bits, bytes.len())
    else {
        return Ok(Frame::Integer(-1));
    };
    if let Some(position) = (from..=to).find(|&bit| bit_at(&bytes, bit) == target) {
        return Ok(Frame::Integer(position as i64));
    }
    // Without an explicit end the string is read as zero-padded, so the
    // first clear bit is just past it.
    Ok(Frame::Integer(if target == 0 && end.is_none() {
        to as i64 + 1
    } else {
        -1
    }))
}

/// The BITOP operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

fn bitop(ctx: &mut Ctx<'_>, argv: &[Bytes]) -> Reply {
    let op = match &argv[1] {
        name if is(name, "and") => BitOp::And,
        name if is(name, "or") => BitOp::Or,
        name if is(name, "xor") => BitOp::Xor,
        name if is(name, "not") => BitOp::Not,
        _ => return Err(syntax_error()),
    };
    if op == BitOp::Not && argv.len() != 4 {
        return Err(Frame::error(
            "ERR BITOP NOT must be called with a single source key.",
        ));
    }
    let target = &argv[2][..];
    let mut db = selected_db(ctx);
    let sources = argv[3..]
        .iter()
        .map(|key| read_string(&mut db, key).map(Option::unwrap_or_default))
        .collect::<Result<Vec<Bytes>, Frame>>()?;
    let longest = sources.iter().map(Bytes::len).max().unwrap_or(0);
    if longest == 0 {
        if db.remove(target) {
            db.notify(NotifyFlags::GENERIC, "del", target);
        }
        return Ok(Frame::Integer(0));
    }
    let byte_of = |source: &Bytes, i: usize| source.get(i).copied().unwrap_or(0);
    let result: Vec<u8> = (0..longest)
        .map(|i| {
            let first = byte_of(&sources[0], i);
            sources[1..].iter().fold(
                if op == BitOp::Not { !first } else { first },
                |acc, source| match op {
                    BitOp::And => acc & byte_of(source, i),
                    BitOp::Or => acc | byte_of(source, i),
                    BitOp::Xor => acc ^ byte_of(source, i),
                    BitOp::Not => acc,
                },
            )
        })
        .collect();
    db.set(target, Value::raw_string(result), false);
    db.notify(NotifyFlags::STRING, "set", target);
    Ok(count(longest))
}

#[cfg(test)]
mod tests;
